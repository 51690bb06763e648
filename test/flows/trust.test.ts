// What a team must be able to trust (issue "Trust"): every SMS reaches the provider at most
// once, no send ends silently, waiting is not failing, and STOP and Block hold at the moment
// of sending, whatever was queued or scheduled. Through the Slack fake and the simulator.
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/database.ts";
import { until } from "../support/harness.ts";
import { type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

let w: SlackWorld;
afterEach(async () => {
  await w.close();
});

type Thread = { channel: string; ts: string };

async function conversation(world: SlackWorld, phone: string): Promise<Thread> {
  await world.h.sim.inbound(phone, `hello from ${phone}`);
  const t = await world.thread(phone);
  await untilInOrder(world, t, [`hello from ${phone}`]);
  return t;
}

/** Presses the button whose action id starts with `conv:<action>:` in the thread. */
async function press(world: SlackWorld, t: Thread, action: string, user = "U0BOB") {
  const found = await until(
    () => {
      for (const m of world.fake.thread(t.channel, t.ts)) {
        const id = new RegExp(`conv:${action}:\\d+(?::\\d+)?`).exec(JSON.stringify(m.blocks))?.[0];
        if (id) return { id, ts: m.ts };
      }
      return undefined;
    },
    15_000,
    `a ${action} button`,
  );
  const res = await world.fake.signer.sendAction(world.events, {
    actionId: found.id,
    value: found.id.split(":")[2] ?? "",
    userId: user,
    channelId: t.channel,
    messageTs: found.ts,
  });
  expect(res.status).toBe(200);
}

async function messages(world: SlackWorld) {
  return rowsOf<{ id: string; status: string; error: string | null; client_ref: string }>(
    await world.h.bridge.database.db.execute(
      sql`select id, status, error, client_ref from messages where direction = 'out' order by id`,
    ),
  );
}

/** Runs a scheduled SMS's send now, as if its time had come (the test's clock, not the bridge's). */
async function timeComes(world: SlackWorld) {
  await world.h.bridge.database.db.execute(
    sql`update jobs set run_at = now() where kind = 'sms.send' and state = 'pending'`,
  );
  await world.h.bridge.database.db.execute(sql`select pg_notify('ardary_bridge_jobs', '')`);
}

const accepted = (world: SlackWorld) => world.h.sim.sent.map((s) => s.id_sms_api);

describe("trust", () => {
  it("a failing second request of a mixed-priority batch: every SMS accepted exactly once", async () => {
    w = await startSlackWorld();
    await w.h.sim.fault({ status: 500, skip: 1, count: 1 });
    await w.h.bridge.database.db.transaction(async (tx) => {
      for (const [i, priority] of (["high", "normal", "high", "low"] as const).entries())
        await w.h.bridge.bridge.queueSms(tx, {
          phone: `+1555030000${i}`,
          text: `sms ${i}`,
          author: "test",
          priority,
        });
    });
    await until(async () => (await messages(w)).every((m) => m.status !== "queued"), 20_000);
    const refs = accepted(w);
    expect(refs).toHaveLength(4);
    expect(new Set(refs).size).toBe(4);
    // The failed request was retried alone, with exactly the SMS it carried.
    const bodies = w.h.sim.requests.map((r) =>
      (r.body as { messages: { id_sms_api: string }[] }).messages.map((m) => m.id_sms_api),
    );
    expect(bodies).toHaveLength(4);
    expect(bodies[3]).toEqual(bodies[1]);
  });

  it("a send that dies says so in the thread with ❌, and Retry sends it once", async () => {
    w = await startSlackWorld({ env: { JOB_MAX_ATTEMPTS: "2", JOB_BACKOFF_MS: "50" } });
    const t = await conversation(w, "+15550300010");
    await w.h.sim.fault({ status: 500, untilMs: 60_000 });
    await w.reply(t, "Your parcel is on its way");
    await untilInOrder(w, t, ["Your parcel is on its way", "not sent: gave up after 2 attempts"]);
    const [dead] = await messages(w);
    expect(dead?.status).toBe("failed");
    expect(accepted(w)).toEqual([]);
    await w.h.sim.clearFaults();
    await press(w, t, "retry");
    await until(() => accepted(w).length === 1, 15_000, "the retried SMS");
    await untilInOrder(w, t, ["sent the SMS again"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(accepted(w)).toEqual([dead?.client_ref]);
    expect((await messages(w))[0]?.status).not.toBe("failed");
  });

  it("waits are not failures: Retry-After 0 and a 503 with Retry-After; each SMS once, none dead", async () => {
    w = await startSlackWorld({ env: { JOB_MAX_ATTEMPTS: "2", JOB_BACKOFF_MS: "50" } });
    await w.h.sim.fault({ status: 429, retryAfterSec: 0, count: 3 });
    await w.h.sim.fault({ status: 503, retryAfterSec: 1, untilMs: 4_000 });
    await w.h.bridge.database.db.transaction(async (tx) => {
      for (let i = 0; i < 3; i++)
        await w.h.bridge.bridge.queueSms(tx, {
          phone: `+1555030002${i}`,
          text: `m${i}`,
          author: "t",
        });
    });
    await until(() => accepted(w).length === 3, 30_000, "three accepted");
    expect(new Set(accepted(w)).size).toBe(3);
    // Retry-After 0 is no hot loop: the floor spaces the requests a second apart.
    const times = w.h.sim.requests.map((r) => r.at.getTime());
    for (let i = 1; i < Math.min(times.length, 4); i++)
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(900);
    const dead = rowsOf(
      await w.h.bridge.database.db.execute(sql`select id from jobs where state = 'dead'`),
    );
    expect(dead).toEqual([]);
  });

  it("a scheduled SMS waits with us: STOP before its time stops it, and the post says so", async () => {
    w = await startSlackWorld();
    const phone = "+15550300030";
    const t = await conversation(w, phone);
    const at = new Date(Date.now() + 60 * 60_000).toISOString();
    const res = await w.fake.signer.sendCommand(w.events, {
      text: `${phone} --at "${at}" See you tomorrow`,
      userId: "U0ALICE",
      channelId: t.channel,
    });
    expect(res.status).toBe(200);
    await untilInOrder(w, t, ["See you tomorrow"]);
    await until(() => JSON.stringify(w.fake.thread(t.channel, t.ts)).includes("scheduled for"));
    expect(w.h.sim.requests).toHaveLength(0);
    await w.h.sim.inbound(phone, "STOP");
    await untilInOrder(w, t, ["opted out (STOP)"]);
    await timeComes(w);
    await until(async () => (await messages(w))[0]?.status === "failed", 15_000, "refused");
    expect((await messages(w))[0]?.error).toMatch(/opted out \(STOP\)/);
    await untilInOrder(w, t, ["Not sent to", "opted out (STOP) before it left"]);
    expect(w.h.sim.requests).toHaveLength(0);
  });

  it("Cancel on a scheduled SMS stops it", async () => {
    w = await startSlackWorld();
    const phone = "+15550300040";
    const t = await conversation(w, phone);
    const at = new Date(Date.now() + 60 * 60_000).toISOString();
    await w.fake.signer.sendCommand(w.events, {
      text: `${phone} --at "${at}" Reminder`,
      userId: "U0ALICE",
      channelId: t.channel,
    });
    await untilInOrder(w, t, ["Reminder"]);
    await press(w, t, "cancel");
    await untilInOrder(w, t, ["cancelled a scheduled SMS"]);
    await timeComes(w);
    await until(async () => (await messages(w))[0]?.status === "cancelled");
    await until(
      async () =>
        rowsOf(
          await w.h.bridge.database.db.execute(sql`select id from jobs where kind = 'sms.send'`),
        ).length === 0,
    );
    expect(w.h.sim.requests).toHaveLength(0);
  });

  it("Block is the team's: the customer's YES does not lift it; Unblock does", async () => {
    // Unblock is for managers (docs/permissions.md): Alice is an admin; Bob blocks.
    w = await startSlackWorld({
      fake: {
        users: {
          U0ALICE: { name: "alice", real_name: "Alice Martin", is_admin: true },
          U0BOB: { name: "bob", real_name: "Bob Durand" },
        },
      },
    });
    const phone = "+15550300050";
    const t = await conversation(w, phone);
    await press(w, t, "block");
    await untilInOrder(w, t, ["blocked"]);
    await w.h.sim.inbound(phone, "Yes");
    await untilInOrder(w, t, ["Yes"]);
    await w.reply(t, "Are you there?");
    await untilInOrder(w, t, ["Are you there?", "the team blocked this number"]);
    expect(w.h.sim.requests).toHaveLength(0);
    await press(w, t, "unblock", "U0ALICE");
    await untilInOrder(w, t, ["unblocked"]);
    await w.reply(t, "Back again");
    await until(() => w.h.sim.sent.length === 1, 15_000, "sent after Unblock");
    expect(w.h.sim.sent.map((s) => s.message)).toEqual(["Back again"]);
  });

  it("a provider stalling past the deadline: accepted once, ⚠️ shown, its report clears it", async () => {
    w = await startSlackWorld({ env: { ARDARY_TIMEOUT_MS: "400" } });
    const t = await conversation(w, "+15550300060");
    await w.h.sim.fault({ delayMs: 1500 });
    const { ts } = await w.reply(t, "Slow day");
    await until(async () => (await messages(w))[0]?.status === "unknown", 15_000, "unknown");
    await until(() => w.fake.reactions(t.channel, ts).includes("warning"));
    // The provider took it after all: its delivery report moves it on; nothing is sent twice.
    await until(async () => (await messages(w))[0]?.status === "received", 15_000, "received");
    await new Promise((r) => setTimeout(r, 500));
    expect(w.h.sim.sent).toHaveLength(1);
    expect(w.h.sim.requests.filter((r) => r.endpoint === "sendSms")).toHaveLength(1);
  });

  it("a sentence that asks to stop is no opt-out, but offers Block", async () => {
    w = await startSlackWorld();
    const phone = "+15550300070";
    const t = await conversation(w, phone);
    await w.h.sim.inbound(phone, "please stop texting me");
    await untilInOrder(w, t, ["looks like a request to stop"]);
    await press(w, t, "block");
    await untilInOrder(w, t, ["blocked"]);
    const stops = rowsOf(
      await w.h.bridge.database.db.execute(sql`select phone from opt_outs where phone = ${phone}`),
    );
    expect(stops).toEqual([]);
  });

  it("says what an SMS costs: the post's status line, and a word to a reply's author only", async () => {
    w = await startSlackWorld();
    const phone = "+15550300080";
    const t = await conversation(w, phone);
    await w.fake.signer.sendCommand(w.events, {
      text: `${phone} Party time 🎉`,
      userId: "U0ALICE",
      channelId: t.channel,
    });
    await until(
      () => JSON.stringify(w.fake.thread(t.channel, t.ts)).includes("Unicode because of 🎉"),
      15_000,
      "the cost on the status line",
    );
    await w.reply(t, "x".repeat(200), { user: "U0BOB" });
    const whisper = await until(
      () => w.fake.ephemerals.find((e) => JSON.stringify(e).includes("2 SMS")),
      15_000,
      "a word to the author",
    );
    expect(JSON.stringify(whisper)).toContain("U0BOB");
    expect(JSON.stringify(whisper)).toContain("Your reply goes out as 2 SMS · GSM-7");
  });
});
