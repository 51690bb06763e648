// A merged post survives a crash without a second copy. SMS that piled up in a thread go out as
// one Slack post (postMany) carrying every merged job's key; a worker killed after that post but
// before recording it used to leave the merged jobs pending, so the next worker posted them
// again. They are now held under the first job's lease while the post is made, and taken again
// as retries that find their key in the post. (Slack only: Discord posts each SMS on its own.)
import { and, eq, inArray } from "drizzle-orm";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { ChatAdapter } from "../../src/contracts/index.ts";
import { CHAT_JOB } from "../../src/conversations/kinds.ts";
import { conversations, jobs, messages } from "../../src/db/schema.ts";
import { createChatDelivery } from "../../src/flows/delivery.ts";
import { complete } from "../../src/queue/jobs.ts";
import { Worker } from "../../src/queue/worker.ts";
import type { FakeSlack } from "../fakes/slack.ts";
import { claimChatJob } from "../support/chat-jobs.ts";
import { actOnCallbacks, type Harness, until } from "../support/harness.ts";
import { type SlackByHand, startSlackByHand } from "../support/slack-by-hand.ts";

const log = pino({ level: "silent" });
let h: Harness | undefined;
let slack: FakeSlack | undefined;
afterEach(async () => {
  await h?.close();
  await slack?.close();
  h = slack = undefined;
});

const take = (harness: Harness, workerId: string) =>
  claimChatJob(harness.bridge.database, workerId);

/**
 * Chat delivery through a Slack adapter whose process dies right after Slack accepted its first
 * merged post (nothing after it runs), and whether it has.
 */
function dyingAfterMergedPost({ h: harness, adapter: slackAdapter }: SlackByHand) {
  const db = harness.bridge.database.db;
  let killed = false;
  const dying: ChatAdapter = {
    ...slackAdapter,
    postMany: async (thread, posts) => {
      const ref = await slackAdapter.postMany?.(thread, posts);
      if (killed) return ref as string;
      killed = true;
      return new Promise<string>(() => {});
    },
  };
  const deliver = createChatDelivery({ db, adapters: new Map([["slack", dying]]), log });
  return { deliver, killed: () => killed };
}

/** The number writes in and its thread is opened (its card carries that first SMS). */
async function opened(
  harness: Harness,
  deliver: ReturnType<typeof createChatDelivery>,
  phone: string,
): Promise<void> {
  await harness.sim.inbound(phone, "Hello");
  await actOnCallbacks(harness);
  const opening = await until(() => take(harness, "opening"));
  await deliver(opening);
  await complete(harness.bridge.database.db, [opening.id], "opening");
}

describe("a merged post and a crash (Slack)", () => {
  it("posts the SMS a killed worker had merged once, not again, when the look-up meets a 429", async () => {
    const world = await startSlackByHand(log);
    ({ h, fake: slack } = world);
    const { fake, h: harness } = world;
    const database = harness.bridge.database;
    const db = database.db;
    const { deliver, killed } = dyingAfterMergedPost(world);
    await opened(harness, deliver, "+15550700002");
    const texts = ["first of four", "second of four", "third of four", "fourth of four"];
    for (const t of texts) expect(await harness.sim.inbound("+15550700002", t)).toBe(200);
    await actOnCallbacks(harness);

    // A worker merges the four into one post, and dies right after Slack took it.
    const first = await until(() => take(harness, "killed"));
    void deliver(first);
    // Killed once Slack answered (the fake shows the post a moment before the answer arrives).
    await until(() => killed());
    expect(fake.posts.some((p) => p.text?.includes("fourth of four"))).toBe(true);
    // The restarted worker's look-ups for that post meet a rate limit first.
    fake.rateLimit("C0GENERAL", 1500, ["conversations.replies"]);

    const worker = new Worker({
      database,
      handlers: [{ def: CHAT_JOB, run: deliver }],
      leaseMs: 5000,
      pollMs: 100,
    });
    await worker.start();
    try {
      const left = async () =>
        (await db.select({ id: jobs.id }).from(jobs).where(eq(jobs.kind, CHAT_JOB.kind))).length;
      await until(async () => (await left()) === 0, 20_000, "every chat job done");
    } finally {
      await worker.stop(1000);
    }
    const limited = fake.requests.filter(
      (r) => r.method === "conversations.replies" && r.status === 429,
    );
    expect(limited.length).toBeGreaterThan(0);
    const [conv] = await db.select().from(conversations);
    const [, channel = "", ts = ""] = (conv?.threadRef ?? "").split(":");
    const replies = fake.thread(channel, ts).filter((m) => m.ts !== ts);
    for (const t of texts) expect(replies.filter((m) => m.text.includes(t))).toHaveLength(1);
  });

  it("posts the SMS a killed worker had merged once, not again", async () => {
    const world = await startSlackByHand(log);
    ({ h, fake: slack } = world);
    const { fake, h: harness } = world;
    const db = harness.bridge.database.db;
    // The process dies right after Slack accepted the merged post: nothing after it runs.
    const { deliver, killed } = dyingAfterMergedPost(world);
    // The conversation has its thread (its card carries the first SMS).
    await opened(harness, deliver, "+15550700001");
    const texts = ["first of three", "second of three", "third of three"];
    for (const t of texts) expect(await harness.sim.inbound("+15550700001", t)).toBe(200);
    await actOnCallbacks(harness);

    // The first worker merges the three into one post, then dies.
    const first = await until(() => take(harness, "killed"));
    void deliver(first);
    // Killed once Slack answered (the fake shows the post a moment before the answer arrives).
    await until(() => killed());
    expect(fake.posts.some((p) => p.text?.includes("third of three"))).toBe(true);

    // Its lease runs out; another worker takes every job left, one after another.
    const left = async () =>
      (await db.select({ id: jobs.id }).from(jobs).where(eq(jobs.kind, CHAT_JOB.kind))).length;
    for (let i = 0; i < 10 && (await left()) > 0; i++) {
      const job = await until(() => take(harness, "restarted"), 10_000);
      await deliver(job);
      await complete(db, [job.id], "restarted");
    }
    expect(await left()).toBe(0);

    const [conv] = await db.select().from(conversations);
    const [, channel = "", ts = ""] = (conv?.threadRef ?? "").split(":");
    const replies = fake.thread(channel, ts).filter((m) => m.ts !== ts);
    for (const t of texts) expect(replies.filter((m) => m.text.includes(t))).toHaveLength(1);
    const rows = await db
      .select()
      .from(messages)
      .where(and(eq(messages.direction, "in"), inArray(messages.body, texts)));
    expect(rows.map((r) => r.chatRef)).toEqual(texts.map(() => rows[0]?.chatRef));
    expect(rows[0]?.chatRef).toBeTruthy();
  });
});
