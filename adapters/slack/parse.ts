// Raw Slack `message` events → what the bridge understands: a reply, an edit or deletion, or
// an explicit `ignored` with the reason. Slack's markup becomes plain text for an SMS.
// Event shapes: https://docs.slack.dev/reference/events/message (and its subtypes).
import { encodeRef } from "./refs.ts";

export type SlackEventResult =
  | {
      kind: "reply";
      channel: string;
      threadTs: string;
      ts: string;
      user: string;
      /** Raw mrkdwn; turn it into plain text with `toPlainText`. */
      text: string;
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

/** Common emoji codes → characters; anything else stays as `:code:`. */
const EMOJI: Record<string, string> = {
  smile: "😄",
  smiley: "😃",
  grinning: "😀",
  grin: "😁",
  laughing: "😆",
  sweat_smile: "😅",
  joy: "😂",
  rolling_on_the_floor_laughing: "🤣",
  slightly_smiling_face: "🙂",
  upside_down_face: "🙃",
  wink: "😉",
  blush: "😊",
  innocent: "😇",
  heart_eyes: "😍",
  kissing_heart: "😘",
  thinking_face: "🤔",
  neutral_face: "😐",
  confused: "😕",
  disappointed: "😞",
  worried: "😟",
  cry: "😢",
  sob: "😭",
  angry: "😠",
  scream: "😱",
  sunglasses: "😎",
  heart: "❤️",
  broken_heart: "💔",
  "+1": "👍",
  thumbsup: "👍",
  "-1": "👎",
  thumbsdown: "👎",
  ok_hand: "👌",
  clap: "👏",
  wave: "👋",
  pray: "🙏",
  muscle: "💪",
  raised_hands: "🙌",
  point_right: "👉",
  point_left: "👈",
  tada: "🎉",
  fire: "🔥",
  star: "⭐",
  sparkles: "✨",
  rocket: "🚀",
  eyes: "👀",
  "100": "💯",
  white_check_mark: "✅",
  heavy_check_mark: "✔️",
  x: "❌",
  warning: "⚠️",
  sunny: "☀️",
  calendar: "📅",
  phone: "☎️",
  telephone_receiver: "📞",
  iphone: "📱",
  email: "📧",
  package: "📦",
  truck: "🚚",
  gift: "🎁",
  coffee: "☕",
  moneybag: "💰",
  credit_card: "💳",
  house: "🏠",
  car: "🚗",
  clock1: "🕐",
  hourglass: "⌛",
  question: "❓",
  exclamation: "❗",
};

/**
 * Slack mrkdwn → the plain text of an SMS: `<https://x|label>` → `label https://x`,
 * `<https://x>` → `https://x`, `<@U1>` → the person's name (`userName`), `<#C1|name>` →
 * `#name`, `<!here>` → `@here`, `&lt;&gt;&amp;` unescaped, common `:emoji:` → characters.
 */
export async function toPlainText(
  text: string,
  userName: (id: string) => Promise<string>,
): Promise<string> {
  const parts: string[] = [];
  let last = 0;
  for (const m of text.matchAll(/<([^<>]+)>/g)) {
    parts.push(text.slice(last, m.index), await token(m[1] ?? "", userName));
    last = (m.index ?? 0) + m[0].length;
  }
  parts.push(text.slice(last));
  return parts
    .map((p, i) => (i % 2 === 1 ? p : emoji(p)))
    .join("")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

async function token(inner: string, userName: (id: string) => Promise<string>): Promise<string> {
  const bar = inner.indexOf("|");
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? undefined : inner.slice(bar + 1);
  // A person mentioned reads as their name in an SMS (no "@": the customer has no Slack).
  if (target.startsWith("@")) return label ?? (await userName(target.slice(1)));
  if (target.startsWith("#")) return `#${label ?? target.slice(1)}`;
  if (target.startsWith("!subteam^")) return label ?? "@team";
  if (target.startsWith("!date^")) return label ?? "";
  if (target.startsWith("!")) return `@${label ?? target.slice(1)}`;
  const shown = target.replace(/^mailto:/, "");
  if (label === undefined || label === target || label === shown) return shown;
  return `${label} ${shown}`;
}

function emoji(text: string): string {
  return text
    .replace(/::skin-tone-\d:/g, ":")
    .replace(/:([a-z0-9_+-]+):/g, (all, code: string) => EMOJI[code] ?? all);
}
