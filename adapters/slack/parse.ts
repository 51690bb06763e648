// Raw Slack `message` events → what the bridge understands: a reply, an edit or deletion, or
// an explicit `ignored` with the reason. Its text becomes plain text for an SMS in plain.ts.
// Event shapes: https://docs.slack.dev/reference/events/message (and its subtypes).
import { encodeRef } from "./refs.ts";

export type SlackEventResult =
  | {
      kind: "reply";
      channel: string;
      threadTs: string;
      ts: string;
      user: string;
      /** Raw mrkdwn; turn it (or `blocks`) into plain text with `toPlainText` (plain.ts). */
      text: string;
      /** The message's blocks (rich_text from Slack's composer), when it has any. */
      blocks?: unknown[];
      hasFiles: boolean;
    }
  | { kind: "edited" | "deleted"; channel: string; ts: string }
  | { kind: "ignored"; reason: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** Subtypes that are a person's message in a thread; every other subtype is ignored. */
const PERSON_SUBTYPES = new Set([undefined, "file_share", "thread_broadcast", "me_message"]);

/** `botUserId`: the bridge's own user, whose posts are never replies. */
export function parseMessageEvent(event: unknown, botUserId?: string): SlackEventResult {
  if (!isObj(event) || event.type !== "message") return ignored("not a message event");
  const channel = str(event.channel);
  if (!channel) return ignored("no channel");
  const subtype = str(event.subtype);
  if (subtype === "message_changed") {
    const message = isObj(event.message) ? event.message : {};
    const previous = isObj(event.previous_message) ? event.previous_message : {};
    const ts = str(message.ts);
    if (!ts || isBot(message, botUserId)) return ignored("edit of a bot message");
    if (!inThread(message)) return ignored("edit outside a thread");
    // Slack also sends message_changed when a link unfurls: only a new text is an edit.
    if (message.text === previous.text) return ignored("message changed without a new text");
    return { kind: "edited", channel, ts };
  }
  if (subtype === "message_deleted") {
    const ts = str(event.deleted_ts);
    const previous = isObj(event.previous_message) ? event.previous_message : {};
    if (!ts || isBot(previous, botUserId)) return ignored("deletion of a bot message");
    return { kind: "deleted", channel, ts };
  }
  if (!PERSON_SUBTYPES.has(subtype)) return ignored(`subtype ${subtype} is not handled`);
  if (isBot(event, botUserId)) return ignored("a bot's message (or the bridge's own post)");
  const ts = str(event.ts);
  const user = str(event.user);
  if (!ts || !user) return ignored("no ts or user");
  if (!inThread(event)) return ignored("not in a thread");
  const files = Array.isArray(event.files) ? event.files : [];
  return {
    kind: "reply",
    channel,
    threadTs: String(event.thread_ts),
    ts,
    user,
    text: typeof event.text === "string" ? event.text : "",
    ...(Array.isArray(event.blocks) ? { blocks: event.blocks } : {}),
    hasFiles: files.length > 0,
  };
}

function ignored(reason: string): SlackEventResult {
  return { kind: "ignored", reason };
}

function isBot(m: Obj, botUserId: string | undefined): boolean {
  return (
    m.subtype === "bot_message" ||
    m.bot_id !== undefined ||
    m.bot_profile !== undefined ||
    (botUserId !== undefined && m.user === botUserId)
  );
}

/** A reply inside a thread (not the parent itself). */
function inThread(m: Obj): boolean {
  return typeof m.thread_ts === "string" && m.thread_ts !== m.ts;
}

/** The thread and message refs of a reply, as the bridge stores them. */
export function refsOf(r: { channel: string; threadTs: string; ts: string }) {
  return { thread: encodeRef(r.channel, r.threadTs), message: encodeRef(r.channel, r.ts) };
}
