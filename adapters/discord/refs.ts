// Discord thread and message references, as the core stores them (opaque strings).
// A thread is `discord:<thread id>`; a message is `discord:<channel id>:<message id>` (the
// channel is a thread for posts inside it, or the parent channel for a text channel's card).
import type { MessageRef, ThreadRef } from "../../src/contracts/index.ts";

const SNOWFLAKE = /^\d{15,22}$/;

export function threadRef(threadId: string): ThreadRef {
  return `discord:${threadId}`;
}

/** The thread id of a `discord:<id>` ref; null when the ref is not one of ours. */
export function parseThreadRef(ref: ThreadRef): string | null {
  const m = /^discord:(\d+)$/.exec(ref);
  return m?.[1] && SNOWFLAKE.test(m[1]) ? m[1] : null;
}

export function messageRef(channelId: string, messageId: string): MessageRef {
  return `discord:${channelId}:${messageId}`;
}

export function parseMessageRef(ref: MessageRef): { channelId: string; messageId: string } | null {
  const m = /^discord:(\d+):(\d+)$/.exec(ref);
  if (!m?.[1] || !m[2] || !SNOWFLAKE.test(m[1]) || !SNOWFLAKE.test(m[2])) return null;
  return { channelId: m[1], messageId: m[2] };
}
