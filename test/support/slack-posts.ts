// Reading the fake Slack's log: which SMS (by the token in their text) each post carried, and
// the requests made while a Retry-After ran.
import type { FakePost } from "../fakes/slack.ts";

/** Text of an SMS the bench sends: `<tag>-<a>-<b>-x`, found back in the posts by TOKEN. */
export const token = (tag: string, a: number, b = 0) => `${tag}-${a}-${b}-x`;

/** Every token in a post's text, in order. */
export function tokensOf(post: FakePost, tag: string): { a: number; b: number }[] {
  const re = new RegExp(`${tag}-(\\d+)-(\\d+)-x`, "g");
  const out: { a: number; b: number }[] = [];
  for (const m of (post.text ?? "").matchAll(re)) out.push({ a: Number(m[1]), b: Number(m[2]) });
  return out;
}

/** Replies (thread posts) only: a card (a parent) may quote the last SMS. */
export function replies(posts: readonly FakePost[], from = 0): FakePost[] {
  return posts.slice(from).filter((p) => p.thread_ts !== undefined);
}

/** Requests naming a channel while a Retry-After it was given for that channel still ran. */
export function insideRetryAfter(
  requests: readonly { channel?: string; at: number; status: number; retryAfter?: number }[],
): { early: number; limited: number } {
  const byChannel = new Map<string, { at: number; status: number; retryAfter?: number }[]>();
  for (const r of requests) {
    if (!r.channel) continue;
    const list = byChannel.get(r.channel) ?? [];
    list.push(r);
    byChannel.set(r.channel, list);
  }
  let early = 0;
  let limited = 0;
  for (const list of byChannel.values()) {
    for (const r of list) {
      if (r.status !== 429) continue;
      limited++;
      const end = r.at + (r.retryAfter ?? 0) * 1000;
      early += list.filter((x) => x.at > r.at && x.at < end).length;
    }
  }
  return { early, limited };
}
