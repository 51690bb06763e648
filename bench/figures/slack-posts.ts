// Reading the fake Slack's log: which SMS (by the token in their text) each reply post carried.
import type { FakePost } from "../../test/fakes/slack.ts";

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
