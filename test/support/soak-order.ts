// The soak's checks (soak.ts): every callback answered 200 stored and posted once, each
// number's SMS in the order the fake Slack accepted the posts, every reply accepted once under
// its own reference; what is wrong, said in words (at most 20 lines).
import type { FakePost } from "../fakes/slack.ts";
import { token, tokensOf } from "./slack-posts.ts";

/** How many times each SMS (`<number>:<k>`) was posted. */
export function postedBy(posts: FakePost[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of posts)
    for (const t of tokensOf(p, "soak")) {
      const key = `${t.a}:${t.b}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  return counts;
}

/** Per SMS answered 200 (`answered`: number → how many it sent): stored and posted once. */
export function callbackCounts(
  answered: Map<number, number>,
  stored: Map<string, number>,
  posted: Map<string, number>,
  waiting: Set<string>,
) {
  const c = { storedTwice: 0, notStored: 0, postedTwice: 0, notPosted: 0, stillQueued: 0 };
  for (const [n, count] of answered)
    for (let k = 0; k < count; k++) {
      const s = stored.get(token("soak", n, k)) ?? 0;
      if (s === 0) c.notStored++;
      if (s > 1) c.storedTwice++;
      const p = posted.get(`${n}:${k}`) ?? 0;
      if (p === 0 && waiting.has(token("soak", n, k))) c.stillQueued++;
      else if (p === 0) c.notPosted++;
      if (p > 1) c.postedTwice++;
    }
  return c;
}

/** Replies: accepted once each, under the reference the bridge gave the SMS. */
export function acceptedCounts(
  accepted: Map<number, string[]>,
  refs: Map<string, string>,
  repliesSent: number,
) {
  const c = { acceptedTwice: 0, notAccepted: 0, wrongId: 0 };
  for (let r = 0; r < repliesSent; r++) {
    const ids = accepted.get(r) ?? [];
    if (ids.length === 0) c.notAccepted++;
    if (ids.length > 1) c.acceptedTwice++;
    const ref = refs.get(token("reply", r));
    if (ids.some((id) => id !== ref)) c.wrongId++;
  }
  return c;
}

export function orderProblems(
  posts: FakePost[],
  posted: Map<string, number>,
  t0: number,
): { outOfOrder: number; problems: string[] } {
  let outOfOrder = 0;
  const problems: string[] = [];
  const postsOf = (n: number, k: number) =>
    posts
      .filter((p) => tokensOf(p, "soak").some((t) => t.a === n && t.b === k))
      .map(
        (p) =>
          `${p.thread_ts ? "reply" : "card"} ${p.ts} at ${((p.at - t0) / 1000).toFixed(2)} s [${tokensOf(p, "soak").map((t) => t.b)}]`,
      )
      .join("; ");
  const last = new Map<number, number>();
  for (const p of posts)
    for (const t of tokensOf(p, "soak")) {
      if ((last.get(t.a) ?? -1) > t.b) {
        outOfOrder++;
        if (problems.length < 20)
          problems.push(
            `number ${t.a}: SMS ${t.b} posted after SMS ${last.get(t.a)}: ${postsOf(t.a, t.b)}`,
          );
      }
      last.set(t.a, Math.max(last.get(t.a) ?? -1, t.b));
    }
  for (const [key, c] of posted)
    if (c > 1 && problems.length < 20) {
      const [n, k] = key.split(":").map(Number) as [number, number];
      problems.push(`number ${n}: SMS ${k} posted ${c}×: ${postsOf(n, k)}`);
    }
  return { outOfOrder, problems };
}
