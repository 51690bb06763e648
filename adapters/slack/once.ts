// Posts exactly once. Every post of the bridge carries its idempotency keys in Slack's message
// metadata; a post an earlier attempt may have made (a timeout, a worker killed before the job
// was marked done) is first looked for in its thread, and the message found is used instead.
// https://docs.slack.dev/messaging/message-metadata
// https://docs.slack.dev/reference/methods/conversations.replies
// A card (the post a thread starts from) carries its key the same way and is looked for in the
// channel's recent history instead (conversations.history).
// https://docs.slack.dev/reference/methods/conversations.history
// Only a look-up that completed and found nothing lets the post be made: a rate limit or a
// transient failure while looking (a 429, a 5xx, the network) is a wait (DeferredError: the job
// comes back and looks again), a refusal stays a refusal, never "not found".
import type { ChatPost } from "../../src/contracts/index.ts";
import {
  DeferredError,
  errorMessage,
  RefusedError,
  RetryableError,
} from "../../src/kernel/errors.ts";
import type { createSlackApi } from "./api.ts";
import { slackErrorCode } from "./refusals.ts";

type SlackApi = ReturnType<typeof createSlackApi>;

export const EVENT_TYPE = "ardary_bridge_post";
/** How far back a thread is read for an earlier attempt's post. */
const LOOK_BACK_MS = 24 * 60 * 60_000;
const PAGE = 200;
const MAX_PAGES = 10;

/** chat.postMessage's `metadata` for these posts: their keys, space-separated (none, none). */
export function metadataFor(posts: Pick<ChatPost, "key">[]) {
  const keys = posts.flatMap((p) => (p.key ? [p.key] : []));
  if (keys.length === 0) return undefined;
  return { event_type: EVENT_TYPE, event_payload: { key: keys.join(" ") } };
}

/** How long a look-up that failed for now waits before it is tried again. */
const LOOK_AGAIN_MS = 3000;

/**
 * One page of a look-up: a transient failure becomes a wait (the look-up is tried again), never an
 * answer; a rate limit already is one (DeferredError), refusals and a thread gone stay as they are.
 */
async function looking<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RetryableError && !(err instanceof DeferredError))
      throw new DeferredError(
        `Slack ${what}: the look-up for an earlier post failed (${errorMessage(err)}): tried again`,
        err.retryAfterMs ?? LOOK_AGAIN_MS,
      );
    throw err;
  }
}

interface Keyed {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: { key?: unknown } };
}

/** The keys a message of ours carries (none for anyone else's). */
function keysOf(m: Keyed): string[] {
  if (m.metadata?.event_type !== EVENT_TYPE) return [];
  return String(m.metadata.event_payload?.key ?? "")
    .split(" ")
    .filter(Boolean);
}

/** True when the message is one of ours and carries `key`. */
function carries(m: Keyed, key: string): boolean {
  return keysOf(m).includes(key);
}

/**
 * The ts of the bridge's top-level message in `channel` (a card) that carries `key`, if one was
 * posted in the last day. Newest first, so an earlier attempt's card is on the first page.
 * A channel the bot may post in but not read (a public channel it is not a member of, posted
 * to with chat:write.public) cannot be looked in: undefined, the card is posted.
 */
export async function findCard(
  api: SlackApi,
  channel: string,
  key: string,
): Promise<string | undefined> {
  const oldest = ((Date.now() - LOOK_BACK_MS) / 1000).toFixed(6);
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let res: Awaited<ReturnType<SlackApi["client"]["conversations"]["history"]>>;
    try {
      res = await looking("conversations.history", () =>
        api.call(channel, "conversations.history", (c) =>
          c.conversations.history({
            channel,
            oldest,
            include_all_metadata: true,
            limit: PAGE,
            cursor,
          }),
        ),
      );
    } catch (err) {
      // Posting there with chat:write.public, unable to read it: the card is posted.
      const notIn = slackErrorCode((err as { cause?: unknown }).cause) === "not_in_channel";
      if (err instanceof RefusedError && notIn) return undefined;
      throw err;
    }
    const found = (res.messages ?? []).find((m) => carries(m as Keyed, key));
    if (found?.ts) return found.ts;
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}

/**
 * The bridge's reply in the thread `threadTs` that carries `key`, if there is one: its ts and
 * every key it carries (a post that merged several SMS carries each one's).
 */
export async function findPosted(
  api: SlackApi,
  channel: string,
  threadTs: string,
  key: string,
): Promise<{ ts: string; keys: string[] } | undefined> {
  const since = (Date.now() - LOOK_BACK_MS) / 1000;
  const oldest = Math.max(Number(threadTs), since).toFixed(6);
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await looking("conversations.replies", () =>
      api.call(channel, "conversations.replies", (c) =>
        c.conversations.replies({
          channel,
          ts: threadTs,
          oldest,
          include_all_metadata: true,
          limit: PAGE,
          cursor,
        }),
      ),
    );
    for (const m of res.messages ?? []) {
      if (m.ts && m.ts !== threadTs && carries(m as Keyed, key))
        return { ts: m.ts, keys: keysOf(m as Keyed) };
    }
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}
