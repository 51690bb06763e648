// The one place the core's buttons and a conversation's card are built: what the chat side shows
// of a conversation (its state, its buttons), from the rows the store reads.
import type { ActionButton, ConversationCard } from "../contracts/index.ts";
import type { Db } from "../db/database.ts";
import { formatPhone } from "../kernel/phone.ts";
import type { ReplyMode } from "./reply-mode.ts";
import { type CardFacts, type Conversation, cardFacts } from "./store.ts";

export function blockButton(conv: Pick<Conversation, "id" | "phone">): ActionButton {
  return {
    action: "block",
    label: "Block number",
    conversationId: conv.id,
    style: "danger",
    confirm: `No SMS will be sent to ${formatPhone(conv.phone)} until someone presses Unblock.`,
  };
}

export function retryButton(conv: Pick<Conversation, "id">, messageId: number): ActionButton {
  return { action: "retry", label: "Retry", conversationId: conv.id, messageId, style: "primary" };
}

export function cancelButton(conversationId: number, messageId: number): ActionButton {
  return { action: "cancel", label: "Cancel", conversationId, messageId, style: "danger" };
}

/** The card's buttons, in order, for the conversation's state. */
function cardButtons(conv: Conversation, blocked: boolean): ActionButton[] {
  const id = conv.id;
  return [
    conv.open
      ? { action: "close", label: "Close", conversationId: id }
      : { action: "reopen", label: "Reopen", conversationId: id, style: "primary" },
    conv.ownerId
      ? { action: "release", label: "Release", conversationId: id }
      : { action: "claim", label: "Claim", conversationId: id, style: "primary" },
    blocked
      ? { action: "unblock", label: "Unblock number", conversationId: id }
      : blockButton(conv),
    { action: "edit-contact", label: "Edit contact", conversationId: id, kind: "form" },
    { action: "assign", label: "Assign to…", conversationId: id, kind: "user-select" },
  ];
}

/** How the cards are shown: REPLY_MODE, and the provider's default sender name. */
export interface CardSettings {
  replyMode: ReplyMode;
  /** The sender name SMS go out under when their route names none (SmsProvider.defaultSender). */
  defaultSender?: string;
}

/** The card, from what the store read. */
export function buildCard(
  conv: Conversation,
  f: CardFacts,
  { replyMode, defaultSender }: CardSettings,
): ConversationCard {
  const name = [f.contact?.firstName, f.contact?.lastName].filter(Boolean).join(" ");
  return {
    conversationId: conv.id,
    phone: conv.phone,
    contactName: name || null,
    open: conv.open,
    blocked: f.blocked,
    actions: cardButtons(conv, f.blocked),
    replyMode,
    owner: conv.ownerId,
    waitingSince: conv.waitingSince,
    contactProblem:
      f.contact?.syncState === "failed"
        ? `not added to the SMS provider's contacts: ${f.contact.syncError ?? "refused"}`
        : null,
    optedOut: f.optedOut,
    sender: f.routeSender ?? defaultSender ?? null,
    lastMessage: f.last
      ? { text: f.last.body, at: f.last.createdAt, direction: f.last.direction }
      : undefined,
    // The first SMS posted with the card itself (its chat ref is the thread's).
    first: f.first
      ? { kind: "inbound", text: f.first.body, at: f.first.receivedAt ?? f.first.createdAt }
      : undefined,
  };
}

/** What the chat side shows on a conversation's card, read now. */
export async function cardOf(
  db: Db,
  conv: Conversation,
  settings: CardSettings,
): Promise<ConversationCard> {
  return buildCard(conv, await cardFacts(db, conv), settings);
}
