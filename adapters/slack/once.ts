// Posts exactly once. Every post of the bridge carries its idempotency keys in Slack's message
// metadata; a post an earlier attempt may have made (a timeout, a worker killed before the job
// was marked done) is first looked for in its thread, and the message found is used instead.
// https://docs.slack.dev/messaging/message-metadata
// https://docs.slack.dev/reference/methods/conversations.replies
import type { ChatPost } from "../../src/contracts.ts";
import type { createSlackApi } from "./api.ts";

type SlackApi = ReturnType<typeof createSlackApi>;

export const EVENT_TYPE = "ardary_bridge_post";
/** How far back a thread is read for an earlier attempt's post. */
const LOOK_BACK_MS = 24 * 60 * 60_000;
const PAGE = 200;
const MAX_PAGES = 10;

/** chat.postMessage's `metadata` for these posts: their keys, space-separated (none, none). */
export function metadataFor(posts: ChatPost[]) {
  const keys = posts.flatMap((p) => (p.key ? [p.key] : []));
  if (keys.length === 0) return undefined;
  return { event_type: EVENT_TYPE, event_payload: { key: keys.join(" ") } };
}

/** The ts of the bridge's reply in the thread `threadTs` that carries `key`, if there is one. */
export async function findPosted(
  api: SlackApi,
  channel: string,
  threadTs: string,
  key: string,
): Promise<string | undefined> {
  const since = (Date.now() - LOOK_BACK_MS) / 1000;
  const oldest = Math.max(Number(threadTs), since).toFixed(6);
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await api.call(channel, "conversations.replies", (c) =>
      c.conversations.replies({
        channel,
        ts: threadTs,
        oldest,
        include_all_metadata: true,
        limit: PAGE,
        cursor,
      }),
    );
    for (const m of res.messages ?? []) {
      const meta = (m as { metadata?: { event_type?: string; event_payload?: { key?: unknown } } })
        .metadata;
      if (meta?.event_type !== EVENT_TYPE || m.ts === threadTs) continue;
      if (
        String(meta.event_payload?.key ?? "")
          .split(" ")
          .includes(key)
      )
        return m.ts;
    }
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}
