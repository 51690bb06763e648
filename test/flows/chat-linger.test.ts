// A busy thread waits a moment before its next post (CHAT_LINGER_MS): after a post that carried
// several SMS, the thread's next SMS is deferred (no attempt spent) so that the SMS after it share
// one post (and they do, once the wait is over); a quiet thread's SMS is posted at once, and so is the SMS after a full post (a
// backlog goes at the channel's pace). Played job by job, as a worker would, with a long linger
// so that nothing here depends on time. (Slack: Discord posts each SMS on its own.)
import { sql } from "drizzle-orm";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/database.ts";
import { createChatDelivery } from "../../src/flows/delivery.ts";
import { DeferredError } from "../../src/kernel/errors.ts";
import { complete, defer } from "../../src/queue/jobs.ts";
import type { FakeSlack } from "../fakes/slack.ts";
import { takeChatJob } from "../support/chat-jobs.ts";
import { actOnCallbacks, type Harness } from "../support/harness.ts";
import { startSlackByHand } from "../support/slack-by-hand.ts";

const log = pino({ level: "silent" });
const LINGER_MS = 60_000;
let h: Harness | undefined;
let slack: FakeSlack | undefined;
afterEach(async () => {
  await h?.close();
  await slack?.close();
  h = slack = undefined;
});

describe("a busy thread's next post waits for the SMS after it", () => {
  it("defers the SMS after a merged post, then posts it with the SMS after it; not a quiet thread's, nor the SMS after a full post", async () => {
    const world = await startSlackByHand(log);
    ({ h, fake: slack } = world);
    const { fake, h: harness, adapter } = world;
    const db = harness.bridge.database.db;
    const deliver = createChatDelivery({
      db,
      adapters: new Map([["slack", adapter]]),
      log,
      lingerMs: LINGER_MS,
    });
    /** `texts` arrive from `phone`, and the next chat job is run as a worker would. */
    const step = async (phone: string, texts: string[]) => {
      for (const t of texts) expect(await harness.sim.inbound(phone, t)).toBe(200);
      await actOnCallbacks(harness);
      const job = await takeChatJob(harness.bridge.database, "w");
      try {
        await deliver(job);
        await complete(db, [job.id], "w");
        return { job, deferred: undefined };
      } catch (err) {
        if (!(err instanceof DeferredError)) throw err;
        await defer(db, [job], err.retryAfterMs ?? 0, "w", err.message);
        return { job, deferred: err };
      }
    };
    const postsWith = (text: string) => fake.posts.filter((p) => p.text?.includes(text));

    const busy = "+15550710001";
    // The card (it carries the first SMS), then three that pile up: one post.
    expect((await step(busy, ["Hello"])).deferred).toBeUndefined();
    expect((await step(busy, ["one", "two", "three"])).deferred).toBeUndefined();
    expect(postsWith("three")).toHaveLength(1);
    expect(postsWith("three")[0]?.text).toContain("one");
    // The next one waits for the SMS after it, up to the linger, without spending an attempt.
    const four = await step(busy, ["four"]);
    expect(four.deferred?.retryAfterMs).toBeGreaterThan(LINGER_MS - 10_000);
    expect(four.deferred?.retryAfterMs).toBeLessThanOrEqual(LINGER_MS);
    expect(postsWith("four")).toHaveLength(0);

    // A quiet thread meanwhile: its card and its next SMS, each at once.
    const quiet = "+15550710002";
    expect((await step(quiet, ["Bonjour"])).deferred).toBeUndefined();
    expect((await step(quiet, ["only one"])).deferred).toBeUndefined();
    expect(postsWith("only one")).toHaveLength(1);

    // A backlog: a full post (25 SMS) does not hold the next one back.
    const backlog = "+15550710003";
    expect((await step(backlog, ["Hi"])).deferred).toBeUndefined();
    const many = Array.from({ length: 25 }, (_, i) => `backlog ${i + 1};`);
    expect((await step(backlog, many)).deferred).toBeUndefined();
    expect(postsWith("backlog 25;")).toHaveLength(1);
    expect(postsWith("backlog 1;")[0]).toBe(postsWith("backlog 25;")[0]);
    expect((await step(backlog, ["after the backlog"])).deferred).toBeUndefined();
    expect(postsWith("after the backlog")).toHaveLength(1);

    // The deferred SMS is still there, pending, its attempt given back.
    const [row] = rowsOf<{ state: string; attempts: number; last_error: string }>(
      await db.execute(sql`select state, attempts, last_error from jobs where id = ${four.job.id}`),
    );
    expect(row).toMatchObject({ state: "pending", attempts: 0 });
    expect(row?.last_error).toContain("busy thread");

    // What came meanwhile shares its post: the wait over (its time brought forward, as the
    // clock would), the deferred SMS is posted with the one after it, in one post, in order.
    expect(await harness.sim.inbound(busy, "five")).toBe(200);
    await actOnCallbacks(harness);
    await db.execute(sql`update jobs set run_at = created_at where id = ${four.job.id}`);
    const again = await takeChatJob(harness.bridge.database, "w");
    expect(again.id).toBe(four.job.id);
    await deliver(again);
    await complete(db, [again.id], "w");
    expect(postsWith("four")).toHaveLength(1);
    expect(postsWith("five")).toEqual(postsWith("four"));
    const text = postsWith("four")[0]?.text ?? "";
    expect(text.indexOf("four")).toBeLessThan(text.indexOf("five"));
    // The job of "five" went with the post: nothing of the thread is left to post.
    const [left] = rowsOf<{ n: number }>(
      await db.execute(sql`select count(*)::int as n from jobs where kind = 'chat.deliver'`),
    );
    expect(left?.n).toBe(0);
  });
});
