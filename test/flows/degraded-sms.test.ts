// The provider refusing the account, or down, is a degraded part (issue 22). Ardary's #001
// (credentials) for 20 queued SMS holds them all (a wait, not 20 failures: they stay queued, no
// attempt spent), is said once in the main channel and on /healthz, and every SMS goes by itself,
// once, when the credentials work; a per-SMS refusal (#004) stays that SMS's. After an outage the
// first success ends the back-off of every SMS behind it: 50 SMS go within one probe of the
// provider's return, not after the back-off each had grown to.
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { SMS_JOB } from "../../src/conversations/kinds.ts";
import { rowsOf } from "../../src/db/database.ts";
import { healthOf, jobsOf, sleep } from "../support/degraded.ts";
import { type DiscordWorld, startDiscord } from "../support/discord-setup.ts";
import { type Harness, SIM_KEY, startHarness, until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld } from "../support/slack-setup.ts";

let discord: DiscordWorld | undefined;
let slack: SlackWorld | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await discord?.close();
  await slack?.close();
  await h?.close();
  discord = slack = h = undefined;
});

async function queue(harness: Harness, list: { phone: string; text: string }[]) {
  await harness.bridge.database.db.transaction(async (tx) => {
    for (const m of list) await harness.bridge.bridge.queueSms(tx, { ...m, author: "test" });
  });
}

const statuses = async (harness: Harness) =>
  rowsOf<{ body: string; status: string }>(
    await harness.bridge.database.db.execute(
      sql`select body, status from messages where direction = 'out' order by id`,
    ),
  );

describe("the provider refusing the account", () => {
  it("holds 20 SMS on #001, says it once, and sends each once when the credentials work", async () => {
    discord = await startDiscord("text", {
      env: { REFUSED_RETRY_MS: "400" },
      sim: { forbiddenWords: ["forbidden"] },
    });
    const world = discord;
    const sim = world.h.sim;
    sim.setAccount({ accessKey: "rotated-in-the-dashboard" });
    // No delivery reports: this test is about the sends (and a loaded machine runs it faster).
    sim.setCallbackUrl(undefined);
    const list = Array.from({ length: 20 }, (_, i) => ({
      phone: `+3361234${String(5600 + (i % 4)).padStart(4, "0")}`,
      text: i === 7 ? `a forbidden word ${i}` : `reply ${i}`,
    }));
    await queue(world.h, list);

    const health = await until(async () => {
      const body = (await healthOf(world.h.bridge.url)).body;
      return body.sms?.state === "refused" ? body : undefined;
    });
    expect(health.sms?.reason).toContain("#001");
    expect(health.sms?.fix).toContain("ARDARY_ACCESS_KEY");
    const alerts = () =>
      world.fake.messages(world.channel).filter((m) => m.content.includes("No SMS can leave"));
    await until(() => alerts().length === 1, 10_000, "the alert in the main channel");
    // Several tries later: every SMS still queued (none failed), no attempt spent.
    await sleep(2000);
    expect((await statuses(world.h)).map((m) => m.status)).toEqual(list.map(() => "queued"));
    const held = await jobsOf(world.h.bridge.database, SMS_JOB.kind);
    expect(held).toEqual({ waiting: 20, maxAttempts: 0, dead: 0 });
    expect(sim.sent).toHaveLength(0);
    expect(sim.requests.length).toBeGreaterThan(1);

    sim.setAccount({ accessKey: SIM_KEY });
    await until(() => sim.sent.length === 19, 15_000, "19 SMS accepted");
    await until(
      async () => (await statuses(world.h)).every((m) => m.status !== "queued"),
      10_000,
      "every SMS decided",
    );
    const refs = sim.sent.map((s) => s.id_sms_api);
    expect(new Set(refs).size).toBe(19);
    expect(sim.sent.map((s) => s.message).sort()).toEqual(
      list
        .map((m) => m.text)
        .filter((t) => !t.includes("forbidden"))
        .sort(),
    );
    // The per-SMS refusal stays that SMS's: failed, said in its thread.
    const failed = (await statuses(world.h)).filter((m) => m.status === "failed");
    expect(failed.map((m) => m.body)).toEqual(["a forbidden word 7"]);
    await sleep(500);
    expect(sim.sent).toHaveLength(19);
    expect(alerts()).toHaveLength(1);
    expect((await healthOf(world.h.bridge.url)).body.sms).toEqual({ state: "ok" });
    expect((await jobsOf(world.h.bridge.database, SMS_JOB.kind)).dead).toBe(0);
  });

  it("holds on an HTTP 401 and on #002 alike, said once in Slack's main channel", async () => {
    slack = await startSlackWorld({ env: { REFUSED_RETRY_MS: "300" } });
    const world = slack;
    const sim = world.h.sim;
    sim.fault({ status: 401, count: 3 });
    await queue(world.h, [{ phone: "+15550830001", text: "through a 401" }]);
    const alerts = () =>
      world.fake.topLevel(GENERAL).filter((m) => m.text.includes("No SMS can leave"));
    await until(() => alerts().length === 1, 10_000, "the alert in #general");
    await until(() => sim.sent.length === 1, 15_000, "sent after the 401s");

    sim.setAccount({ active: false });
    await queue(world.h, [{ phone: "+15550830002", text: "through a #002" }]);
    await until(() => alerts().length === 2, 10_000, "the alert of the second refusal");
    expect(alerts()[1]?.text).toContain("#002");
    await sleep(1000);
    expect(sim.sent).toHaveLength(1);
    sim.setAccount({ active: true });
    await until(() => sim.sent.length === 2, 15_000, "sent once activated");
    expect((await statuses(world.h)).map((m) => m.status)).not.toContain("failed");
  });
});

describe("the provider after an outage", () => {
  /** How long the provider is down: short, so that the test is. */
  const OUTAGE_MS = 6000;

  it("sends 50 SMS within one probe of its return, not after the back-off each had grown to", async () => {
    // Back-offs of 30 to 60 s after the first failure: without the end of back-off on success,
    // the SMS would wait that long after the provider came back.
    h = await startHarness({ env: { JOB_BACKOFF_MS: "60000" } });
    const harness = h;
    const sim = harness.sim;
    sim.fault({ status: 503, untilMs: OUTAGE_MS });
    const back = Date.now() + OUTAGE_MS;
    const list = Array.from({ length: 50 }, (_, i) => ({
      phone: `+1555084${String(i).padStart(4, "0")}`,
      text: `during the outage ${i}`,
    }));
    await queue(harness, list);
    await until(
      async () => (await healthOf(harness.bridge.url)).body.sms?.state === "unavailable",
      10_000,
      "the outage seen",
    );
    // At the provider's return, every SMS backs off until 30 s later at the earliest.
    await sleep(Math.max(0, back - Date.now()));
    const [row] = rowsOf<{ ms: number | string | null }>(
      await harness.bridge.database.db.execute(sql`select
        extract(epoch from (min(run_at) - now())) * 1000 as ms
        from jobs where kind = 'sms.send' and state = 'pending' and run_at > now()`),
    );
    const backoffLeftMs = Number(row?.ms);
    expect(backoffLeftMs).toBeGreaterThan(15_000);

    await until(() => sim.sent.length >= 50, 30_000, "50 SMS accepted");
    const last = Math.max(...sim.sent.map((s) => s.at.getTime()));
    const drainMs = last - back;
    console.log(
      `outage of ${OUTAGE_MS} ms: last of 50 SMS accepted ${drainMs} ms after the return (back-off left: ${Math.round(backoffLeftMs)} ms)`,
    );
    // None waited its old back-off: the first success ended it for all.
    expect(drainMs).toBeLessThan(backoffLeftMs);
    expect(new Set(sim.sent.map((s) => s.id_sms_api)).size).toBe(50);
    await sleep(300);
    expect(sim.sent).toHaveLength(50);
    expect((await healthOf(harness.bridge.url)).body.sms).toEqual({ state: "ok" });
  });
});
