// Raw Discord messages → the core's vocabulary: a reply to send, an edit or deletion to note,
// or an explicit `ignored` with the reason. Discord markup becomes plain text for SMS.
// https://discord.com/developers/docs/reference#message-formatting
// https://support.discord.com/hc/en-us/articles/210298617 (markdown)
import type { ChatReply, MessageRef } from "../../src/contracts/index.ts";
import { messageRef, threadRef } from "./refs.ts";

/** The fields of a gateway message the bridge reads (filled from discord.js in gateway.ts). */
export interface RawMessage {
  id: string;
  channelId: string;
  /** True when the channel is a thread (text-channel thread or forum post). */
  inThread: boolean;
  /** Discord message type: 0 default, 19 reply; others are system messages. */
  type: number;
  content: string;
  authorId: string;
  authorName: string;
  bot: boolean;
  webhookId: string | null;
  attachments: number;
  stickers: number;
}

/** Names for mentions; undefined when unknown. */
export interface NameResolver {
  user(id: string): string | undefined;
  role(id: string): string | undefined;
  channel(id: string): string | undefined;
}

export type ParsedMessage =
  | { kind: "reply"; reply: ChatReply }
  | { kind: "edit"; message: MessageRef; edit: "edited" | "deleted" }
  | { kind: "ignored"; reason: string };

const PERSON_TYPES = new Set([0, 19]);

function whyIgnored(raw: RawMessage, ownId: string): string | null {
  if (raw.authorId === ownId) return "our own message";
  if (raw.webhookId) return "posted by a webhook";
  if (raw.bot) return "posted by a bot";
  if (!PERSON_TYPES.has(raw.type)) return `system message (type ${raw.type})`;
  if (!raw.inThread) return "not in a thread";
  return null;
}

/** A new message: a person's reply in a thread, or ignored. */
export function parseMessage(raw: RawMessage, ownId: string, names: NameResolver): ParsedMessage {
  const reason = whyIgnored(raw, ownId);
  if (reason) return { kind: "ignored", reason };
  return {
    kind: "reply",
    reply: {
      platform: "discord",
      eventId: raw.id,
      thread: threadRef(raw.channelId),
      message: messageRef(raw.channelId, raw.id),
      author: raw.authorName,
      authorId: raw.authorId,
      text: toPlainText(raw.content, names),
      hasAttachments: raw.attachments + raw.stickers > 0,
    },
  };
}

/**
 * An update or deletion. `contentChanged` is false for updates that only add embeds (link
 * previews): those are not edits. A deletion of an uncached message has no author: the bridge
 * only acts on refs of SMS it sent.
 */
export function parseChange(
  raw: Pick<RawMessage, "id" | "channelId"> & Partial<RawMessage>,
  ownId: string,
  change: "edited" | "deleted",
  contentChanged = true,
): ParsedMessage {
  if (raw.authorId !== undefined) {
    const reason = whyIgnored(raw as RawMessage, ownId);
    if (reason) return { kind: "ignored", reason };
  }
  if (change === "edited" && !contentChanged) return { kind: "ignored", reason: "embeds only" };
  return { kind: "edit", message: messageRef(raw.channelId, raw.id), edit: change };
}

/** Discord markup → plain text: mentions to names, custom emoji to `:name:`, no markdown. */
export function toPlainText(content: string, names: NameResolver): string {
  const code: string[] = [];
  // Code keeps its text verbatim: set it aside before anything else is rewritten.
  let s = content.replace(/```(?:[\w+-]*\n)?([\s\S]*?)```|`([^`\n]+)`/g, (_m, block, inline) => {
    code.push(String(block ?? inline ?? "").replace(/\n$/, ""));
    return `\u0000${code.length - 1}\u0000`;
  });
  s = s
    .replace(/<@!?(\d+)>/g, (_m, id: string) => `@${names.user(id) ?? "unknown-user"}`)
    .replace(/<@&(\d+)>/g, (_m, id: string) => `@${names.role(id) ?? "unknown-role"}`)
    .replace(/<#(\d+)>/g, (_m, id: string) => `#${names.channel(id) ?? "unknown-channel"}`)
    .replace(/<a?:(\w+):\d+>/g, ":$1:")
    .replace(/<\/([\w -]+):\d+>/g, "/$1")
    .replace(/<t:(-?\d+)(?::[tTdDfFR])?>/g, (_m, t: string) =>
      new Date(Number(t) * 1000).toISOString().replace(/\.000Z$/, "Z"),
    )
    .replace(/\[([^\]\n]+)\]\(<?(https?:\/\/[^)\s>]+)>?\)/g, (_m, label: string, url: string) =>
      label === url ? url : `${label} ${url}`,
    )
    .replace(/<(https?:\/\/[^>\s]+)>/g, "$1")
    .replace(/^(?:#{1,3}|-#) +/gm, "")
    .replace(/^>>> ?/gm, "")
    .replace(/^> ?/gm, "")
    .replace(/\|\|([\s\S]+?)\|\|/g, "$1")
    .replace(/~~([\s\S]+?)~~/g, "$1")
    .replace(/\*\*\*([\s\S]+?)\*\*\*/g, "$1")
    .replace(/\*\*([\s\S]+?)\*\*/g, "$1")
    .replace(/__([\s\S]+?)__/g, "$1")
    .replace(/(^|[^\w*\\])\*(?!\s)([^*\n]+?)\*(?![\w*])/g, "$1$2")
    .replace(/(^|[^\w\\])_(?!\s)([^_\n]+?)_(?!\w)/g, "$1$2")
    .replace(/\\([*_~`|>#\-[\]()\\])/g, "$1");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL marks set-aside code spans.
  return s.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => code[Number(i)] ?? "").trim();
}
