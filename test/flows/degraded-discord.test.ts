// Discord refusing the bridge is a degraded part, not a dead process (issue 22): a token reset
// while running (REST 401, the gateway closed with 4004) holds the posts without spending an
// attempt, is said once at error level naming DISCORD_BOT_TOKEN and on /healthz, and once Discord
// takes the token again every post that waited is made once, in order, and the gateway is back.
// A channel the bot lost access to (50001) holds its conversations only, said in the default one.
// A retried forum card whose look-up for the earlier post meets a 429 waits and looks again.
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { CHAT_JOB } from "../../src/conversations/kinds.ts";
import { conversations, messages, routes } from "../../src/db/schema.ts";
import { createChatDelivery } from "../../src/flows/delivery.ts";
import { DeferredError } from "../../src/kernel/errors.ts";
import { complete, defer } from "../../src/queue/jobs.ts";
import { startFakeDiscord } from "../fakes/discord.ts";
import { takeChatJob } from "../support/chat-jobs.ts";
import { captureLog, errorsMatching, healthOf, jobsOf, sleep } from "../support/degraded.ts";
import {
  contents,
  type DiscordWorld,
  discordEnv,
  postingAdapter,
  startDiscord,
  threadOf,
  waitCard,
  waitPosts,
} from "../support/discord-setup.ts";
import { actOnCallbacks, startHarness, until } from "../support/harness.ts";

const A = "+33612345678";
const A_SHOWN = "+33 6 12 34 56 78";
const B = "+33698765432";
const B_SHOWN = "+33 6 98 76 54 32";

let w: DiscordWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe("a retried forum card whose look-up meets a 429", () => {
  it("waits, looks again as a retry, finds the post, and opens no second one", async () => {
    const fake = await startFakeDiscord();
    const forum = fake.forumChannelId ?? "";
    const h = await startHarness({ worker: false, env: discordEnv(fake, forum) });
    try {
      const db = h.bridge.database.db;
      const adapters = new Map([["discord", postingAdapter(fake, forum, db)]]);
      const deliver = createChatDelivery({ db, adapters, log: pino({ level: "silent" }) });
      const take = (workerId: string) => takeChatJob(h.bridge.database, workerId);
      const posts = () => fake.threads.filter((t) => t.parent_id === forum).length;
      await h.sim.inbound(A, "Hello, anyone there?");
      await actOnCallbacks(h);

      // A worker opens the forum post, and dies before saving it (a forum post takes no nonce).
      const first = await take("killed");
      await deliver(first);
      expect(posts()).toBe(1);
      await db.update(conversations).set({ threadRef: null, previousThreadRef: null });
      await db.update(messages).set({ chatRef: null, ownPost: false });

      // Its lease runs out; the next worker's look-up for that post meets a rate limit: a wait.
      fake.rateLimit("GET /guilds/:id/threads/active", 1000);
      const again = await take("restarted");
      expect(again.resumed).toBe(true);
      const waited = await deliver(again).catch((err: unknown) => err);
      expect(waited).toBeInstanceOf(DeferredError);
      await defer(db, [again], 0, "restarted", (waited as Error).message);
      expect(posts()).toBe(1);

      // Taken again after the wait, it is still a retry: it looks, finds the post, uses it.
      await sleep(1100);
      const third = await take("third");
      expect(third.attempts).toBeGreaterThan(1);
      await deliver(third);
      await complete(db, [third.id], "third");
      expect(posts()).toBe(1);
      const [conv] = await db.select().from(conversations);
      expect(conv?.threadRef).toMatch(/^discord:/);
    } finally {
      await h.close();
      await fake.close();
    }
  });
});

describe("Discord refusing the bridge", () => {
  it("holds every post while the token is reset, and makes each once, in order, once it works", async () => {
    const { log, lines } = captureLog();
    w = await startDiscord("text", { env: { REFUSED_RETRY_MS: "400" }, log });
    const world = w;
    await world.h.sim.inbound(A, "before the reset");
    const { threadId } = await waitCard(world, A_SHOWN, "📩 before the reset");
    await until(() => world.fake.connections === 1, 10_000, "the gateway");

    world.fake.revokeToken();
    const texts = ["one", "two", "three", "four"].map((n) => `while reset ${n}`);
    for (const text of texts) expect(await world.h.sim.inbound(A, text)).toBe(200);
    expect(await world.h.sim.inbound(B, "a new number meanwhile")).toBe(200);

    const health = await until(async () => {
      const h = await healthOf(world.h.bridge.url);
      return h.body.chat?.discord?.state === "refused" ? h : undefined;
    });
    expect(health.status).toBe(200);
    expect(health.body.chat?.discord?.fix).toContain("DISCORD_BOT_TOKEN");
    await sleep(2000);
    const held = await jobsOf(world.h.bridge.database, CHAT_JOB.kind);
    expect(held.waiting).toBeGreaterThan(0);
    expect(held.maxAttempts).toBe(0);
    expect(held.dead).toBe(0);
    expect(contents(world, threadId)).toEqual([]);

    world.fake.restoreToken();
    await waitPosts(world, A_SHOWN, (c) => c.startsWith("📩 while reset"), texts.length);
    expect(contents(world, threadId)).toEqual(texts.map((t) => `📩 ${t}`));
    await waitCard(world, B_SHOWN, "📩 a new number meanwhile");
    expect((await jobsOf(world.h.bridge.database, CHAT_JOB.kind)).dead).toBe(0);
    // The gateway is back: a person's reply in the thread becomes an SMS again.
    await until(() => world.fake.connections === 1, 15_000, "the gateway again");
    world.fake.messageCreate(threadId, { content: "we are back" });
    await until(
      () => world.h.sim.sent.some((s) => s.message === "we are back"),
      15_000,
      "the reply sent",
    );
    expect((await healthOf(world.h.bridge.url)).body.chat?.discord).toEqual({ state: "ok" });
    expect(errorsMatching(lines, /DISCORD_BOT_TOKEN/)).toHaveLength(1);
  });

  it("holds the conversations of a channel the bot lost access to, and says it in the default channel", async () => {
    w = await startDiscord("text", { env: { REFUSED_RETRY_MS: "400" } });
    const world = w;
    const forum = world.fake.forumChannelId ?? "";
    await world.h.bridge.database.db
      .insert(routes)
      .values({ pattern: "+3361", platform: "discord", channel: forum });
    await world.h.sim.inbound(A, "forum before");
    await world.h.sim.inbound(B, "text before");
    const inForum = await until(
      () => world.fake.threads.find((t) => t.parent_id === forum && t.name.includes(A_SHOWN)),
      10_000,
      "the forum post",
    );
    await waitCard(world, B_SHOWN, "📩 text before");

    world.fake.removeAccess(forum);
    const held = ["forum one", "forum two"];
    for (const text of held) await world.h.sim.inbound(A, text);
    await world.h.sim.inbound(B, "text after");
    await waitPosts(world, B_SHOWN, (c) => c === "📩 text after");
    const notes = () =>
      world.fake
        .messages(world.channel)
        .filter((m) => m.content.includes(`cannot post in <#${forum}>`));
    await until(() => notes().length === 1, 15_000, "the note in the default channel");
    const health = await until(async () => {
      const h = (await healthOf(world.h.bridge.url)).body;
      return h.chat?.discord?.channels?.[forum]?.state === "refused" ? h : undefined;
    });
    expect(health.chat?.discord?.state).toBe("ok");
    await sleep(1500);
    expect(contents(world, inForum.id)).toEqual([]);
    expect((await jobsOf(world.h.bridge.database, CHAT_JOB.kind)).maxAttempts).toBe(0);

    world.fake.restoreAccess(forum);
    await until(() => contents(world, inForum.id).length === held.length, 20_000, "the held posts");
    expect(contents(world, inForum.id)).toEqual(held.map((t) => `📩 ${t}`));
    expect(threadOf(world, A_SHOWN)).toBeUndefined(); // still in the forum, not moved
    expect(notes()).toHaveLength(1);
    expect((await jobsOf(world.h.bridge.database, CHAT_JOB.kind)).dead).toBe(0);
  });
});
