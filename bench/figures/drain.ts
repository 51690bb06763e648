// Figure 4: a burst of inbound SMS from many numbers, all routed to one channel that the fake
// Slack limits to a burst of 5 posts then 1 per second. The floor is what the limit allows for
// the fewest posts that can carry them: one card per new number plus one reply per thread
// (the bridge merges SMS that pile up in a thread, up to 25 a post), less the burst.
import { performance } from "node:perf_hooks";
import { request } from "undici";
import { GENERAL, startSlackWorld } from "../../test/flows/slack-setup.ts";
import { SECRET, until } from "../../test/support/harness.ts";
import { keepAliveAgent } from "../load.ts";
import { type BenchOptions, frMobile, inboundUrl, type Row } from "../world.ts";
import { replies, token, tokensOf } from "./slack-posts.ts";

const BURST = 5;
const PER_SECOND = 1;
const PER_NUMBER = 10;
/** Most SMS the bridge merges into one post (src/delivery.ts MERGE_MAX). */
const MERGE_MAX = 25;

export async function figureDrain(opts: BenchOptions): Promise<Row[]> {
  const numbers = opts.quick ? 10 : 100;
  const total = numbers * PER_NUMBER;
  const minimalPosts = numbers + numbers * Math.ceil(PER_NUMBER / MERGE_MAX);
  const floorMs = (Math.max(0, minimalPosts - BURST) / PER_SECOND) * 1000;
  const world = await startSlackWorld({
    fake: { rateLimit: { burst: BURST, perSecond: PER_SECOND }, channels: [GENERAL] },
  });
  const agent = keepAliveAgent(numbers);
  try {
    const base = world.h.bridge.url;
    const t0 = Date.now();
    const t0p = performance.now();
    let callbackErrors = 0;
    // Numbers at once; each number's SMS one after another, as the provider sends them.
    await Promise.all(
      Array.from({ length: numbers }, async (_, n) => {
        for (let k = 0; k < PER_NUMBER; k++) {
          const url = inboundUrl(base, SECRET, frMobile(700_000 + n), token("drain", n, k));
          const res = await request(url, { dispatcher: agent });
          await res.body.dump();
          if (res.statusCode !== 200) callbackErrors++;
        }
      }),
    );
    const ingestMs = performance.now() - t0p;
    const count = () => {
      let c = 0;
      for (const p of replies(world.fake.posts)) c += tokensOf(p, "drain").length;
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
    for (const p of replies(world.fake.posts)) {
      for (const t of tokensOf(p, "drain")) {
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
    const lost = total - seen.size;
    const drainMs = lastAt - t0;
    // Requests naming the channel while a Retry-After it was given still ran.
    const reqs = world.fake.requests;
    const limited = reqs.filter((r) => r.status === 429);
    let early = 0;
    for (const r of limited) {
      const until = r.at + (r.retryAfter ?? 0) * 1000;
      early += reqs.filter((x) => x.channel === r.channel && x.at > r.at && x.at < until).length;
    }
    const postCalls = world.fake.posts.filter((p) => p.channel === GENERAL).length;
    const ratio = drainMs / floorMs;
    const name = `4 burst drain (${total} SMS, ${numbers} numbers, 1 channel)`;
    const note = `floor: ${minimalPosts} posts (${numbers} cards + ${numbers} merged replies) − burst ${BURST}, at ${PER_SECOND}/s = ${(floorMs / 1000).toFixed(0)} s; the bridge made ${postCalls} chat.postMessage calls accepted, ${limited.length} answered 429; callbacks took ${(ingestMs / 1000).toFixed(1)} s, ${callbackErrors} not 200; ${duplicates} posted twice`;
    return [
      {
        figure: name,
        metric: "drain time",
        value: drainMs / 1000,
        unit: "s",
        reference: { label: "floor set by the limit", value: floorMs / 1000, unit: "s" },
        ratio,
        goal: "≤ 1.1× floor",
        met: lost === 0 && ratio <= 1.1,
        note,
      },
      {
        figure: name,
        metric: "lost / out of order / inside Retry-After",
        value: `${lost} / ${outOfOrder} / ${early}`,
        unit: "",
        goal: "0 / 0 / 0",
        met: lost === 0 && outOfOrder === 0 && early === 0,
      },
    ];
  } finally {
    await agent.close();
    await world.close();
  }
}
