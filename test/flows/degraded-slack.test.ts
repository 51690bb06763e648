// Slack refusing the bridge is a degraded part, not a dead process (issue 22): a token revoked
// while running holds the posts (no attempt spent, nothing dropped), says so once at error level
// naming SLACK_BOT_TOKEN and on /healthz (still 200), keeps sending SMS, and once Slack takes the
// token again every post that waited is made once, in order. A channel the bot was removed from
// holds that channel's conversations only, and is said once in the default channel. After an
// outage (HTTP 503), what backed off is posted within a probe of Slack's return.
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { CHAT_JOB } from "../../src/conversations/kinds.ts";
import { rowsOf } from "../../src/db/database.ts";
import { captureLog, errorsMatching, healthOf, jobsOf, sleep } from "../support/degraded.ts";
import { until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

let w: SlackWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** How many of the fake's posts show `text`. */
const postsOf = (world: SlackWorld, text: string) =>
  world.fake.posts.filter((p) => p.text?.includes(text)).length;

describe("Slack refusing the bridge", () => {
  it("holds every post while the token is revoked, and makes each once, in order, once it works", async () => {
    const { log, lines } = captureLog();
    w = await startSlackWorld({ env: { REFUSED_RETRY_MS: "400" }, log });
    const world = w;
    await world.h.sim.inbound("+15550800001", "before the revocation");
    const t = await world.thread("+15550800001");
    await untilInOrder(world, t, ["before the revocation"]);

    world.fake.revokeToken("token_revoked");
    const texts = ["one", "two", "three", "four", "five"].map((n) => `while revoked ${n}`);
    for (const text of texts) expect(await world.h.sim.inbound("+15550800001", text)).toBe(200);
    expect(await world.h.sim.inbound("+15550800002", "a new number meanwhile")).toBe(200);

    // Said on /healthz (still 200), with what to fix.
    const health = await until(async () => {
      const h = await healthOf(world.h.bridge.url);
      return h.body.chat?.slack?.state === "refused" ? h : undefined;
    });
    expect(health.status).toBe(200);
    expect(health.body.ok).toBe(true);
    expect(health.body.chat?.slack?.fix).toContain("SLACK_BOT_TOKEN");
    expect(health.body.chat?.slack?.reason).toContain("token_revoked");

    // A person's reply meanwhile: who wrote it cannot be checked (users.info is refused too:
    // docs/permissions.md never lets an unchecked author send), so its event is answered 500 and
    // Slack sends it again; it becomes an SMS once the token works (below).
    await expect(world.reply(t, "sent while Slack refuses us")).rejects.toThrow(/answered 500/);
    expect(world.h.sim.sent.some((s) => s.message === "sent while Slack refuses us")).toBe(false);

    // Several tries (every 400 ms) later: the posts wait, none has spent an attempt, none died.
    await sleep(2000);
    const held = await jobsOf(world.h.bridge.database, CHAT_JOB.kind);
    expect(held.waiting).toBeGreaterThan(0);
    expect(held.maxAttempts).toBe(0);
    expect(held.dead).toBe(0);
    for (const text of texts) expect(postsOf(world, text)).toBe(0);

    world.fake.restoreToken();
    await untilInOrder(world, t, ["before the revocation", ...texts], 20_000);
    // Slack's resend of the reply, now that the token works: one SMS.
    await world.reply(t, "sent while Slack refuses us");
    await until(
      () => world.h.sim.sent.some((s) => s.message === "sent while Slack refuses us"),
      10_000,
      "the reply sent as an SMS",
    );
    const other = await world.thread("+15550800002");
    await untilInOrder(world, other, ["a new number meanwhile"]);
    await until(async () => (await jobsOf(world.h.bridge.database, CHAT_JOB.kind)).waiting === 0);
    for (const text of [...texts, "a new number meanwhile"]) expect(postsOf(world, text)).toBe(1);
    expect((await jobsOf(world.h.bridge.database, CHAT_JOB.kind)).dead).toBe(0);
    expect((await healthOf(world.h.bridge.url)).body.chat?.slack).toEqual({ state: "ok" });
    // Said once, at error level, naming the variable to fix.
    expect(errorsMatching(lines, /SLACK_BOT_TOKEN/)).toHaveLength(1);
  });

  it("after an outage, posts what backed off within a probe of Slack's return, not its back-off", async () => {
    // Back-offs of 30 to 60 s after a failure: without the end of back-off on success, the posts
    // would wait that long after Slack came back.
    w = await startSlackWorld({ env: { JOB_BACKOFF_MS: "60000", OUTAGE_PROBE_MS: "1000" } });
    const world = w;
    await world.h.sim.inbound("+15550860001", "before the outage");
    const t = await world.thread("+15550860001");
    await untilInOrder(world, t, ["before the outage"]);
    const OUTAGE_MS = 3000;
    world.fake.unavailable(OUTAGE_MS);
    const back = Date.now() + OUTAGE_MS;
    const texts = ["during one", "during two", "during three"];
    for (const text of texts) await world.h.sim.inbound("+15550860001", text);
    await until(
      async () => (await healthOf(world.h.bridge.url)).body.chat?.slack?.state === "unavailable",
      10_000,
      "the outage seen",
    );
    await sleep(Math.max(0, back - Date.now()));
    const [row] = rowsOf<{ ms: string | number | null }>(
      await world.h.bridge.database.db.execute(sql`select
        extract(epoch from (min(run_at) - now())) * 1000 as ms
        from jobs where kind = 'chat.deliver' and state = 'pending' and run_at > now()`),
    );
    const backoffLeftMs = Number(row?.ms);
    expect(backoffLeftMs).toBeGreaterThan(15_000);
    await untilInOrder(world, t, ["before the outage", ...texts], 20_000);
    const last = Math.max(
      ...world.fake.posts.filter((p) => texts.some((x) => p.text?.includes(x))).map((p) => p.at),
    );
    expect(last - back).toBeLessThan(backoffLeftMs);
    for (const text of texts) expect(postsOf(world, text)).toBe(1);
  });

  it("holds the conversations of a channel the bot was removed from, says it once, and goes on elsewhere", async () => {
    w = await startSlackWorld({ env: { REFUSED_RETRY_MS: "400" } });
    const world = w;
    await world.route("+1555081", "C0SALES");
    await world.h.sim.inbound("+15550810001", "sales before");
    await world.h.sim.inbound("+15550820001", "general before");
    const sales = await world.thread("+15550810001");
    const general = await world.thread("+15550820001");
    expect(sales.channel).toBe("C0SALES");
    await untilInOrder(world, sales, ["sales before"]);
    await untilInOrder(world, general, ["general before"]);

    world.fake.removeBot("C0SALES");
    const held = ["sales one", "sales two", "sales three"];
    for (const text of held) await world.h.sim.inbound("+15550810001", text);
    await world.h.sim.inbound("+15550820001", "general after");
    // Other channels go on.
    await untilInOrder(world, general, ["general before", "general after"]);
    // The reason is said once where people look: the default channel.
    const said = (text: string) =>
      world.fake.topLevel(GENERAL).filter((m) => m.text.includes(text)).length;
    await until(() => said("cannot post in <#C0SALES>") === 1, 15_000, "the note in #general");
    const health = await until(async () => {
      const h = (await healthOf(world.h.bridge.url)).body;
      return h.chat?.slack?.channels?.C0SALES?.state === "refused" ? h : undefined;
    });
    expect(health.chat?.slack?.state).toBe("ok");
    expect(health.chat?.slack?.channels?.C0SALES?.fix).toContain("/invite");
    // A new number routed there opens in the default channel rather than wait unseen.
    await world.h.sim.inbound("+15550810002", "a new sales customer");
    const newcomer = await world.thread("+15550810002");
    expect(newcomer.channel).toBe(GENERAL);
    await untilInOrder(world, newcomer, ["a new sales customer"]);

    await sleep(1500);
    for (const text of held) expect(postsOf(world, text)).toBe(0);
    const waiting = await jobsOf(world.h.bridge.database, CHAT_JOB.kind);
    expect(waiting.maxAttempts).toBe(0);
    expect(waiting.dead).toBe(0);

    world.fake.addChannel("C0SALES");
    await untilInOrder(world, sales, ["sales before", ...held], 20_000);
    for (const text of held) expect(postsOf(world, text)).toBe(1);
    await until(
      async () => (await healthOf(world.h.bridge.url)).body.chat?.slack?.channels === undefined,
      10_000,
      "the channel ok again",
    );
    expect(said("cannot post in <#C0SALES>")).toBe(1);
  });
});
