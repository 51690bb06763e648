// Posts exactly once across crashes: a worker killed after the chat platform made a post but
// before the job was marked done (the message's chat_ref and the job's completion never
// written) leaves a job whose lease runs out; the worker that takes it again finds the post
// (Slack: message metadata read back from the thread; Discord: enforce_nonce) instead of
// making a second one. The card that starts a thread likewise: a worker killed after posting it
// but before saving the thread leaves a job whose next run finds the card (Slack: its metadata in
// the channel's history; Discord: the starter's nonce, a forum post among the active threads).
import { and, eq, gt, inArray } from "drizzle-orm";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { ChatAdapter } from "../../src/contracts/index.ts";
import { conversations, jobs, messages } from "../../src/db/schema.ts";
import { createChatDelivery } from "../../src/flows/delivery.ts";
import { complete } from "../../src/queue/jobs.ts";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord.ts";
import type { FakeSlack } from "../fakes/slack.ts";
import { claimChatJob, takeChatJob } from "../support/chat-jobs.ts";
import { discordEnv, postingAdapter } from "../support/discord-setup.ts";
import { actOnCallbacks, type Harness, startHarness, until } from "../support/harness.ts";
import { startSlackByHand } from "../support/slack-by-hand.ts";

const log = pino({ level: "silent" });
let h: Harness | undefined;
let slack: FakeSlack | undefined;
let discord: FakeDiscord | undefined;
afterEach(async () => {
  await h?.close();
  await slack?.close();
  await discord?.close();
  h = slack = discord = undefined;
});

interface World {
  adapter: ChatAdapter;
  /** The bridge's posts in the conversation's thread whose text has `text`. */
  postsWith(thread: string, text: string): number;
  /** Cards (threads started) in the conversations' channel. */
  cards(): number;
}

async function slackWorld(): Promise<World> {
  const world = await startSlackByHand(log);
  ({ h, fake: slack } = world);
  const { fake, adapter } = world;
  return {
    adapter,
    postsWith: (thread, text) => {
      const [, channel = "", ts = ""] = thread.split(":");
      return fake.thread(channel, ts).filter((m) => m.ts !== ts && m.text.includes(text)).length;
    },
    cards: () => fake.topLevel("C0GENERAL").length,
  };
}

async function discordWorld(kind: "text" | "forum"): Promise<World> {
  discord = await startFakeDiscord();
  const fake = discord;
  const channel = (kind === "text" ? fake.textChannelId : fake.forumChannelId) ?? "";
  h = await startHarness({ worker: false, env: discordEnv(fake, channel) });
  const db = h.bridge.database.db;
  const adapter = postingAdapter(fake, channel, db);
  return {
    adapter,
    postsWith: (thread, text) => {
      const id = thread.split(":").at(-1) ?? "";
      // A forum post's first message (the card) has the post's id: not one of the posts.
      return fake.messages(id).filter((m) => m.id !== id && m.content.includes(text)).length;
    },
    cards: () =>
      kind === "text"
        ? fake.messages(channel).length
        : fake.threads.filter((t) => t.parent_id === channel).length,
  };
}

describe.each([
  ["Slack", slackWorld],
  ["Discord", () => discordWorld("text")],
])("posts exactly once across a crash (%s)", (_name, start) => {
  it("finds the post of a worker killed before it marked the job done, and posts no second one", async () => {
    const w = await start();
    const harness = h as Harness;
    const db = harness.bridge.database.db;
    const deliver = createChatDelivery({
      db,
      adapters: new Map([[w.adapter.platform, w.adapter]]),
      log,
    });
    // The conversation has its thread already (its card carries the first SMS).
    await harness.sim.inbound("+15550600001", "Hello");
    await actOnCallbacks(harness);
    const opening = await takeChatJob(harness.bridge.database, "opening");
    await deliver(opening);
    await complete(db, [opening.id], "opening");
    await harness.sim.inbound("+15550600001", "Is my parcel lost?");
    await actOnCallbacks(harness);
    const parcel = and(eq(messages.direction, "in"), eq(messages.body, "Is my parcel lost?"));

    // The first worker posts, then dies: neither chat_ref nor the job's completion is written.
    const first = await takeChatJob(harness.bridge.database, "killed");
    expect(first.resumed).toBe(false);
    await deliver(first);
    const [posted] = await db.select().from(messages).where(parcel);
    expect(posted?.chatRef).toBeTruthy();
    await db.update(messages).set({ chatRef: null, ownPost: false }).where(parcel);

    // Its lease runs out; another worker takes the job again and runs it to the end.
    const again = await takeChatJob(harness.bridge.database, "restarted");
    expect(again.id).toBe(first.id);
    expect(again.resumed).toBe(true);
    await deliver(again);
    await complete(db, [again.id], "restarted");

    const [after] = await db.select().from(messages).where(parcel);
    expect(after?.chatRef).toBe(posted?.chatRef);
    const [conv] = await db.select().from(conversations);
    expect(w.postsWith(conv?.threadRef ?? "", "Is my parcel lost?")).toBe(1);
  });
});

describe.each([
  ["Slack", slackWorld],
  ["Discord text channel", () => discordWorld("text")],
  ["Discord forum", () => discordWorld("forum")],
])("makes a conversation's card once across a crash (%s)", (_name, start) => {
  it("finds the card of a worker killed before it saved the thread, and posts no second one", async () => {
    const w = await start();
    const harness = h as Harness;
    const db = harness.bridge.database.db;
    const deliver = createChatDelivery({
      db,
      adapters: new Map([[w.adapter.platform, w.adapter]]),
      log,
    });
    await harness.sim.inbound("+15550600002", "Hello, anyone there?");
    await actOnCallbacks(harness);
    const hello = and(eq(messages.direction, "in"), eq(messages.body, "Hello, anyone there?"));

    // The first worker opens the thread (its card carries the SMS), then dies: the thread is
    // never saved, nor the SMS's chat ref, nor the job's completion.
    const first = await takeChatJob(harness.bridge.database, "killed");
    await deliver(first);
    const [opened] = await db.select().from(conversations);
    expect(opened?.threadRef).toBeTruthy();
    expect(w.cards()).toBe(1);
    await db.update(conversations).set({ threadRef: null, previousThreadRef: null });
    await db.update(messages).set({ chatRef: null, ownPost: false }).where(hello);

    // Its lease runs out; another worker takes the job again and runs it to the end.
    const again = await takeChatJob(harness.bridge.database, "restarted");
    expect(again.id).toBe(first.id);
    expect(again.resumed).toBe(true);
    await deliver(again);
    await complete(db, [again.id], "restarted");

    const [conv] = await db.select().from(conversations);
    expect(conv?.threadRef).toBe(opened?.threadRef);
    expect(w.cards()).toBe(1);
    const [sms] = await db.select().from(messages).where(hello);
    expect(sms?.chatRef).toBeTruthy();
    // The card carries the first SMS (its chat ref is the thread's): no post of its own.
    expect(sms?.chatRef).toBe(conv?.threadRef);
    expect(w.postsWith(conv?.threadRef ?? "", "Hello, anyone there?")).toBe(0);
  });
});

describe("a merged post made by a killed worker (Slack)", () => {
  it("marks every SMS it showed as posted, and posts none of them again", async () => {
    const w = await slackWorld();
    const harness = h as Harness;
    const db = harness.bridge.database.db;
    const deliver = createChatDelivery({
      db,
      adapters: new Map([[w.adapter.platform, w.adapter]]),
      log,
    });
    await harness.sim.inbound("+15550600003", "Hello");
    await actOnCallbacks(harness);
    const opening = await takeChatJob(harness.bridge.database, "opening");
    await deliver(opening);
    await complete(db, [opening.id], "opening");
    const texts = ["first of three", "second of three", "third of three"];
    for (const t of texts) await harness.sim.inbound("+15550600003", t);
    await actOnCallbacks(harness);
    const piled = and(eq(messages.direction, "in"), inArray(messages.body, texts));
    await until(
      async () => (await db.select().from(messages).where(piled)).length === 3,
      10_000,
      "three SMS stored",
    );

    // The first worker posts the three SMS as one post, then dies before saving it: the chat
    // refs are not written and the jobs it merged are still waiting behind its own.
    const first = await takeChatJob(harness.bridge.database, "killed");
    const behind = await db.select().from(jobs).where(gt(jobs.id, first.id));
    expect(behind).toHaveLength(2);
    await deliver(first);
    const [conv] = await db.select().from(conversations);
    expect(w.postsWith(conv?.threadRef ?? "", "second of three")).toBe(1);
    await db.update(messages).set({ chatRef: null, ownPost: false }).where(piled);
    await db.insert(jobs).values(behind);

    // Its lease runs out; the jobs are run again to the end.
    const again = await takeChatJob(harness.bridge.database, "restarted");
    expect(again.id).toBe(first.id);
    expect(again.resumed).toBe(true);
    await deliver(again);
    await complete(db, [again.id], "restarted");
    for (;;) {
      const next = await claimChatJob(harness.bridge.database, "after", 10_000);
      if (!next) break;
      await deliver(next);
      await complete(db, [next.id], "after");
    }

    for (const t of texts) expect(w.postsWith(conv?.threadRef ?? "", t), t).toBe(1);
    const refs = (await db.select().from(messages).where(piled)).map((m) => m.chatRef);
    expect(new Set(refs).size).toBe(1);
    expect(refs[0]).toBeTruthy();
  });
});
