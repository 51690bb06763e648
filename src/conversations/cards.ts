// The one place the core's buttons and a conversation's card are built: what the chat side shows
// of a conversation (its state, its buttons), from the rows the store reads.
import {
  type ActionButton,
  type Catalogue,
  type ConversationCard,
  fill,
  wordsOf,
} from "../contracts/index.ts";
import type { Db } from "../db/database.ts";
import { formatPhone } from "../kernel/phone.ts";
import type { ReplyMode } from "./reply-mode.ts";
import { type CardFacts, type Conversation, cardFacts } from "./store.ts";

export function blockButton(
  conv: Pick<Conversation, "id" | "phone">,
  w: Catalogue = wordsOf(),
): ActionButton {
  return {
    action: "block",
    label: w.buttons.block,
    conversationId: conv.id,
    style: "danger",
    confirm: fill(w.buttons.blockConfirm, { phone: formatPhone(conv.phone) }),
  };
}

export function retryButton(
  conv: Pick<Conversation, "id">,
  messageId: number,
  w: Catalogue = wordsOf(),
): ActionButton {
  return {
    action: "retry",
    label: w.buttons.retry,
    conversationId: conv.id,
    messageId,
    style: "primary",
  };
}

export function cancelButton(
  conversationId: number,
  messageId: number,
  w: Catalogue = wordsOf(),
): ActionButton {
  return { action: "cancel", label: w.buttons.cancel, conversationId, messageId, style: "danger" };
}

/** The card's buttons, in order, for the conversation's state. */
function cardButtons(conv: Conversation, blocked: boolean, w: Catalogue): ActionButton[] {
  const id = conv.id;
  const b = w.buttons;
  return [
    conv.open
      ? { action: "close", label: b.close, conversationId: id }
      : { action: "reopen", label: b.reopen, conversationId: id, style: "primary" },
    conv.ownerId
      ? { action: "release", label: b.release, conversationId: id }
      : { action: "claim", label: b.claim, conversationId: id, style: "primary" },
    blocked ? { action: "unblock", label: b.unblock, conversationId: id } : blockButton(conv, w),
    { action: "edit-contact", label: b.editContact, conversationId: id, kind: "form" },
    { action: "assign", label: b.assign, conversationId: id, kind: "user-select" },
  ];
}

/** How the cards are shown: REPLY_MODE, the provider's default sender name, the language. */
export interface CardSettings {
  replyMode: ReplyMode;
  /** The sender name SMS go out under when their route names none (SmsProvider.defaultSender). */
  defaultSender?: string;
  /** BRIDGE_LANGUAGE's words (default English). */
  words?: Catalogue;
}

/** The card, from what the store read. */
export function buildCard(
  conv: Conversation,
  f: CardFacts,
  { replyMode, defaultSender, words = wordsOf() }: CardSettings,
): ConversationCard {
  const name = [f.contact?.firstName, f.contact?.lastName].filter(Boolean).join(" ");
  return {
    conversationId: conv.id,
    phone: conv.phone,
    contactName: name || null,
    open: conv.open,
    blocked: f.blocked,
    actions: cardButtons(conv, f.blocked, words),
    replyMode,
    owner: conv.ownerId,
    waitingSince: conv.waitingSince,
    contactProblem:
      f.contact?.syncState === "failed"
        ? fill(words.buttons.contactProblem, {
            why: f.contact.syncError ?? words.buttons.contactRefused,
          })
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
