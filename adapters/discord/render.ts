// What the bridge shows on Discord: the conversation card (with its buttons), posts, the
// status line of an outbound SMS, and the reactions that show each status step reached.
// https://discord.com/developers/docs/components/reference#button
import { escapeMarkdown } from "discord.js";
import type { ChatPost, ConversationCard, MessageStatus, StatusView } from "../../src/contracts.ts";
import { formatPhone } from "../../src/contracts.ts";

/** Discord refuses content over 2000 characters. */
const MAX_CONTENT = 2000;
/** Thread names are 1 to 100 characters. */
const MAX_NAME = 100;

/** Nobody is ever pinged by what the bridge posts (an SMS may say "@everyone"). */
export const NO_MENTIONS: { parse: [] } = { parse: [] };

export type CardAction = "close" | "reopen" | "block";

/** Button custom ids carry the action and the conversation id: `ardary:close:42`. */
export function actionId(action: CardAction, conversationId: number): string {
  return `ardary:${action}:${conversationId}`;
}

export function parseActionId(
  customId: string,
): { action: CardAction; conversationId: number } | null {
  const m = /^ardary:(close|reopen|block):(\d+)$/.exec(customId);
  if (!m?.[1] || !m[2]) return null;
  return { action: m[1] as CardAction, conversationId: Number(m[2]) };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function threadName(card: ConversationCard): string {
  const phone = formatPhone(card.phone);
  return clip(card.contactName ? `${card.contactName} · ${phone}` : phone, MAX_NAME);
}

/** Forum tag names that show the conversation's state (the forum must have them). */
export function cardTags(card: ConversationCard): string[] {
  if (card.optedOut) return ["opted-out"];
  return [card.open ? "open" : "closed"];
}

/** The card: who, which number, open or closed, opted out, the last message; its buttons. */
export function renderCard(card: ConversationCard) {
  const who = card.contactName
    ? `**${escapeMarkdown(card.contactName)}** · ${formatPhone(card.phone)}`
    : `**${formatPhone(card.phone)}**`;
  const state = [
    card.open ? "🟢 open" : "⚪ closed",
    ...(card.optedOut ? ["🚫 opted out (STOP): no SMS can be sent"] : []),
  ].join(" · ");
  const lines = [`📱 ${who}`, state];
  if (card.lastMessage) {
    const arrow = card.lastMessage.direction === "in" ? "📩" : "➡️";
    lines.push(`-# ${arrow} ${clip(card.lastMessage.text.replace(/\s+/g, " "), 120)}`);
  }
  const button = (action: CardAction, label: string, style: number, disabled: boolean) => ({
    type: 2,
    style,
    label,
    custom_id: actionId(action, card.conversationId),
    disabled,
  });
  return {
    content: clip(lines.join("\n"), MAX_CONTENT),
    allowed_mentions: NO_MENTIONS,
    components: [
      {
        type: 1,
        components: [
          button("close", "Close", 2, !card.open),
          button("reopen", "Reopen", 1, card.open),
          button("block", "Block number", 4, card.optedOut),
        ],
      },
    ],
  };
}

const STEPS: { status: MessageStatus; emoji: string; label: string }[] = [
  { status: "queued", emoji: "⏳", label: "queued" },
  { status: "submitted", emoji: "📤", label: "submitted" },
  { status: "sent", emoji: "✅", label: "sent" },
  { status: "received", emoji: "📬", label: "received" },
];
const FAILED = { emoji: "❌", label: "failed" };

/** Every step an SMS has reached, in order (a `received` implies `sent`, whatever came first). */
export function stepsReached(view: StatusView): { emoji: string; label: string; at?: Date }[] {
  if (view.status === "failed") return [STEPS[0] ?? FAILED, FAILED];
  const rank = STEPS.findIndex((s) => s.status === view.status);
  return STEPS.slice(0, rank + 1).map((s) => ({
    ...s,
    at:
      s.status === "sent"
        ? (view.sentAt ?? undefined)
        : s.status === "received"
          ? (view.receivedAt ?? undefined)
          : undefined,
  }));
}

/** The emoji a person's message carries for its SMS, in the order they are added. */
export function statusReactions(view: StatusView): string[] {
  return stepsReached(view).map((s) => s.emoji);
}

const time = (d: Date) => d.toISOString().slice(11, 19);

export function statusLine(view: StatusView): string {
  const steps = stepsReached(view).map(
    (s) => `${s.emoji} ${s.label}${s.at ? ` ${time(s.at)}` : ""}`,
  );
  if (view.status === "failed" && view.error) steps[steps.length - 1] += `: ${view.error}`;
  if (view.segments && view.segments > 1) {
    steps.push(`${view.segments} SMS${view.encoding ? ` (${view.encoding})` : ""}`);
  }
  return steps.join(" · ");
}

/** One post in a thread. SMS text is escaped so it reads as the customer wrote it. */
export function renderPost(post: ChatPost) {
  let content: string;
  if (post.kind === "inbound") {
    content = `📩 ${escapeMarkdown(post.text)}`;
  } else if (post.kind === "outbound") {
    const by = post.author ? `**${escapeMarkdown(post.author)}** → SMS: ` : "➡️ SMS: ";
    const status = post.status ? `\n-# ${statusLine(post.status)}` : "";
    content = `${by}${escapeMarkdown(post.text)}`;
    content = clip(content, MAX_CONTENT - status.length) + status;
  } else {
    content = post.text;
  }
  return { content: clip(content, MAX_CONTENT), allowed_mentions: NO_MENTIONS };
}
