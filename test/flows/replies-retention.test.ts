// Retention and erasure (issue 13): RETENTION_DAYS replaces old bodies by a marker, daily, by a
// job that enqueues its next run; `forget` leaves no text, name or number of the customer in any
// column of any table, notes it in the thread, and a STOP still holds.
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/database.ts";
import { contacts } from "../../src/db/schema.ts";
import { forgetCustomer, retentionMarker } from "../../src/replies/retention.ts";
import { settled, smsTo } from "../support/discord-setup.ts";
import { until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

const A = "+33612345678";
const B = "+33698765432";

let w: SlackWorld;
afterEach(async () => {
  await w.close();
});

const q = async <T>(query: ReturnType<typeof sql>) =>
  rowsOf<T>(await w.h.bridge.database.db.execute(query));

/** Every job done but the daily sweep, which always waits for its next day. */
async function drained() {
  await w.h.sim.idle();
  await until(
    async () => {
      const [row] = await q<{ n: number }>(
        sql`select (select count(*) from jobs where state <> 'dead' and kind <> 'retention.sweep')
          + (select count(*) from events where processed_at is null) as n`,
      );
      return Number(row?.n) === 0;
    },
    15_000,
    "the job queue to drain",
  );
}

async function slackCommand(text: string): Promise<string> {
  const before = w.fake.responses.length;
  await w.fake.signer.sendCommand(w.events, { text, userId: "U0ALICE", channelId: GENERAL });
  await until(() => w.fake.responses.length > before, 10_000, "the command's answer");
  return JSON.stringify(w.fake.responses[before]?.body);
}

describe("retention and erasure", () => {
  it("RETENTION_DAYS replaces old bodies and keeps the rest; the sweep renews itself daily", async () => {
    w = await startSlackWorld({ env: { RETENTION_DAYS: "30" } });
    await w.h.sim.inbound(A, "an old secret");
    await untilInOrder(w, await w.thread(A), ["an old secret"]);
    await drained();
    await q(sql`update messages set created_at = now() - interval '40 days',
      received_at = now() - interval '40 days'`);
    await q(sql`update events set received_at = now() - interval '40 days'`);
    await w.h.sim.inbound(A, "a fresh message");
    await untilInOrder(w, await w.thread(A), ["a fresh message"]);
    await q(sql`update jobs set run_at = now() where kind = 'retention.sweep'`);
    await q(sql`select pg_notify('ardary_bridge_jobs', '')`);
    const marker = retentionMarker(30);
    // The sweep replaces the messages' bodies, then the stored callbacks': wait for both.
    await until(
      async () => {
        const rows = await q<{ body: string }>(sql`select body from messages order by id`);
        const [event] = await q<{ text: string }>(
          sql`select payload->>'text' as text from events where kind = 'inbound-sms' order by id limit 1`,
        );
        return rows[0]?.body === marker && event?.text === marker;
      },
      15_000,
      "the sweep",
    );
    await drained();
    const rows = await q<{ body: string; status: string }>(
      sql`select body, status from messages order by id`,
    );
    expect(rows).toEqual([
      { body: marker, status: "received" },
      { body: "a fresh message", status: "received" },
    ]);
    const texts = await q<{ text: string }>(
      sql`select payload->>'text' as text from events where kind = 'inbound-sms' order by id`,
    );
    expect(texts.map((t) => t.text)).toEqual([marker, "a fresh message"]);
    // Once this run is done, exactly one sweep waits, for the next day.
    await until(
      async () => {
        const [next] = await q<{ n: number; later: boolean }>(
          sql`select count(*)::int as n, bool_and(run_at > now() + interval '23 hours') as later
          from jobs where kind = 'retention.sweep' and state <> 'dead'`,
        );
        return next?.n === 1 && next.later;
      },
      15_000,
      "the next day's sweep",
    );
  }, 120_000);

  it("forget leaves no text, name or number of the customer anywhere; their STOP still holds", async () => {
    w = await startSlackWorld();
    await w.h.bridge.database.db
      .insert(contacts)
      .values({ phone: A, firstName: "Camille", lastName: "Durand", email: "camille@example.com" });
    await w.h.sim.inbound(A, "My address is 12 rue Secrète");
    const t = await w.thread(A);
    await w.reply(t, "Thanks, noted for your parcel");
    await until(() => smsTo(w.h, A).length === 1, 10_000, "the reply");
    await w.h.sim.inbound(A, "STOP");
    await untilInOrder(w, t, ["opted out (STOP)"]);
    await w.h.sim.inbound(B, "another customer");
    await settled(w.h);

    expect(await forgetCustomer(w.h.bridge.database.db, A)).toMatch(/the STOP is kept/);
    await untilInOrder(w, t, ["erased on request", "the number still cannot be texted"]);
    await settled(w.h);
    const needles = [
      "Camille",
      "Durand",
      "camille@",
      "rue Secrète",
      "noted for your parcel",
      A,
      "612345678",
    ];
    const columns = await q<{ table_name: string; column_name: string }>(
      sql`select table_name, column_name from information_schema.columns
        where table_schema = 'public' and data_type in ('text', 'jsonb', 'character varying')`,
    );
    expect(columns.length).toBeGreaterThan(20);
    const found: string[] = [];
    for (const c of columns) {
      const [row] = await q<{ n: number }>(
        sql.raw(
          `select count(*)::int as n from "${c.table_name}" where "${c.column_name}"::text ilike any(array[${needles.map((n) => `'%${n}%'`).join(",")}])`,
        ),
      );
      if (Number(row?.n) > 0) found.push(`${c.table_name}.${c.column_name}`);
    }
    expect(found).toEqual([]);
    // The other customer is untouched.
    const other = await q<{ body: string }>(
      sql`select body from messages where body = 'another customer'`,
    );
    expect(other).toHaveLength(1);

    expect(await slackCommand(`${A} Are you still there?`)).toContain("opted out (STOP)");
    await settled(w.h);
    expect(smsTo(w.h, A)).toHaveLength(1);
  }, 120_000);
});
