// Figure 4: a burst of inbound SMS from many numbers, all routed to one channel that the fake
// Slack limits to a burst of 5 posts then 1 per second. The floor is what the limit allows for
// the fewest posts that can carry them: one card per new number (it carries the number's first
// SMS) plus one reply per thread for the rest (the bridge merges SMS that pile up in a thread,
// up to 25 a post), less the burst. `burstDrain` is shared with figure 7 (2 workers).
import { performance } from "node:perf_hooks";
import { request } from "undici";
import type { FakeSlack } from "../../test/fakes/slack.ts";
import { SECRET, until } from "../../test/support/harness.ts";
import { token, tokensOf } from "../../test/support/slack-posts.ts";
import { GENERAL, startSlackWorld } from "../../test/support/slack-setup.ts";
import { frMobile, inboundUrl } from "../../test/support/world.ts";
import { keepAliveAgent } from "../load.ts";
import type { BenchOptions, Row } from "../table.ts";

/** The fake Slack's limit of every channel in this figure. */
export const DRAIN_LIMIT = { burst: 5, perSecond: 1 };
const PER_NUMBER = 10;
/** Most SMS the bridge merges into one post (src/flows/delivery.ts MERGE_MAX). */
const MERGE_MAX = 25;

export interface DrainRun {
  numbers: number;
  total: number;
  minimalPosts: number;
  floorMs: number;
  drainMs: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  /** Requests naming the channel while a Retry-After it was given still ran. */
  early: number;
  limited: number;
  postCalls: number;
  ingestMs: number;
  callbackErrors: number;
}

/**
 * `numbers` numbers at once, each sending its 10 SMS one after another (the provider's order),
 * to the bridge at `bases` (number n calls bases[n % bases.length]); waits until every SMS is
 * posted in `channel` of `fake` (or the floor × 1.5 + 30 s) and reads the fake's log.
 */
export async function burstDrain(o: {
  bases: string[];
  fake: FakeSlack;
  numbers: number;
  channel: string;
  tag?: string;
}): Promise<DrainRun> {
  const tag = o.tag ?? "drain";
  const { numbers, fake, channel } = o;
  const total = numbers * PER_NUMBER;
  // The card carries the first SMS; the other 9 go in one merged reply.
  const minimalPosts = numbers + numbers * Math.ceil((PER_NUMBER - 1) / MERGE_MAX);
  const floorMs = (Math.max(0, minimalPosts - DRAIN_LIMIT.burst) / DRAIN_LIMIT.perSecond) * 1000;
  const from = fake.posts.length;
  const reqFrom = fake.requests.length;
  const agent = keepAliveAgent(numbers);
  const posts = () => fake.posts.slice(from).filter((p) => p.channel === channel);
  try {
    const t0 = Date.now();
    const t0p = performance.now();
    let callbackErrors = 0;
    await Promise.all(
      Array.from({ length: numbers }, async (_, n) => {
        const base = o.bases[n % o.bases.length] as string;
        for (let k = 0; k < PER_NUMBER; k++) {
          const url = inboundUrl(base, SECRET, frMobile(700_000 + n), token(tag, n, k));
          const res = await request(url, { dispatcher: agent });
          await res.body.dump();
          if (res.statusCode !== 200) callbackErrors++;
        }
      }),
    );
    const ingestMs = performance.now() - t0p;
    const count = () => {
      let c = 0;
      for (const p of posts()) c += tokensOf(p, tag).length;
      return c;
    };
    const timeoutMs = floorMs * 1.5 + 30_000;
    await until(() => count() >= total, timeoutMs, "the burst to drain").catch(() => undefined);

    // Lost, duplicated, out of order: each number's SMS in the order the fake accepted them.
    const last = new Map<number, number>();
    const seen = new Set<string>();
    let outOfOrder = 0;
    let duplicates = 0;
    let lastAt = t0;
    for (const p of posts()) {
      for (const t of tokensOf(p, tag)) {
        const key = `${t.a}:${t.b}`;
        if (seen.has(key)) {
          duplicates++;
          continue;
        }
        seen.add(key);
        if ((last.get(t.a) ?? -1) > t.b) outOfOrder++;
        last.set(t.a, Math.max(last.get(t.a) ?? -1, t.b));
        lastAt = Math.max(lastAt, p.at);
      }
    }
    const reqs = fake.requests.slice(reqFrom).filter((r) => r.channel === channel);
    const limited = reqs.filter((r) => r.status === 429);
    let early = 0;
    for (const r of limited) {
      const end = r.at + (r.retryAfter ?? 0) * 1000;
      early += reqs.filter((x) => x.at > r.at && x.at < end).length;
    }
    return {
      numbers,
      total,
      minimalPosts,
      floorMs,
      drainMs: lastAt - t0,
      lost: total - seen.size,
      duplicates,
      outOfOrder,
      early,
      limited: limited.length,
      postCalls: posts().length,
      ingestMs,
      callbackErrors,
    };
  } finally {
    await agent.close();
  }
}

/** The two rows of a drain: its time against the floor, and lost / out of order / early. */
export function drainRows(name: string, d: DrainRun, extra = ""): Row[] {
  const ratio = d.drainMs / d.floorMs;
  const note = `floor: ${d.minimalPosts} posts (${d.numbers} cards carrying the first SMS + ${d.numbers} merged replies) − burst ${DRAIN_LIMIT.burst}, at ${DRAIN_LIMIT.perSecond}/s = ${(d.floorMs / 1000).toFixed(0)} s; the bridge made ${d.postCalls} chat.postMessage calls accepted, ${d.limited} answered 429; callbacks took ${(d.ingestMs / 1000).toFixed(1)} s, ${d.callbackErrors} not 200; ${d.duplicates} posted twice${extra}`;
  return [
    {
      figure: name,
      metric: "drain time",
      value: d.drainMs / 1000,
      unit: "s",
      reference: { label: "floor set by the limit", value: d.floorMs / 1000, unit: "s" },
      ratio,
      goal: "≤ 1.1× floor",
      met: d.lost === 0 && ratio <= 1.1,
      note,
    },
    {
      figure: name,
      metric: "lost / out of order / inside Retry-After",
      value: `${d.lost} / ${d.outOfOrder} / ${d.early}`,
      unit: "",
      goal: "0 / 0 / 0",
      met: d.lost === 0 && d.outOfOrder === 0 && d.early === 0 && d.duplicates === 0,
    },
  ];
}

export async function figureDrain(opts: BenchOptions): Promise<Row[]> {
  const numbers = opts.quick ? 10 : 100;
  const world = await startSlackWorld({
    fake: { rateLimit: DRAIN_LIMIT, channels: [GENERAL] },
  });
  try {
    const d = await burstDrain({
      bases: [world.h.bridge.url],
      fake: world.fake,
      numbers,
      channel: GENERAL,
    });
    return drainRows(`4 burst drain (${d.total} SMS, ${numbers} numbers, 1 channel)`, d);
  } finally {
    await world.close();
  }
}
