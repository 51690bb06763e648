// The vocabulary the core speaks. Adapters translate the provider's and the chat platforms'
// payloads into these types at the edge; the core never sees their field names.
import type { Router } from "express";

export type Platform = "slack" | "discord";

/** Status of one SMS. It only moves forward: queued → submitted → sent → received, or failed. */
export type MessageStatus = "queued" | "submitted" | "sent" | "received" | "failed";

export type Priority = "low" | "normal" | "high";

// ── SMS provider ────────────────────────────────────────────────────────────────────────────

/** One SMS to send. `idSmsApi` is always ours, unique, and kept across retries. */
export interface OutboundSms {
  idSmsApi: string;
  /** E.164 recipient. */
  to: string;
  text: string;
  /** A link to track: the provider puts its short link where `[Link]` stands in `text`. */
  link?: string;
  /** When to send; absent means now. */
  sendAt?: Date;
  priority?: Priority;
}

/** The provider's answer for one SMS of a request. */
export type SendResult =
  | { idSmsApi: string; ok: true; segments: number; sentAt?: Date }
  | { idSmsApi: string; ok: false; codes: string[]; reason: string };

export interface ContactInput {
  /** E.164. */
  phone: string;
  firstName?: string;
  lastName?: string;
  address?: string;
  email?: string;
}

export type ContactResult =
  | { phone: string; ok: true }
  | { phone: string; ok: false; codes: string[]; reason: string };

/** What a provider callback means. Dates are absolute instants. */
export type SmsEvent = (
  | { kind: "inbound-sms"; from: string; text: string; at: Date }
  | { kind: "status"; idSmsApi: string; phone: string; status: "sent" | "received"; at: Date }
  | { kind: "click"; idSmsApi: string | null; phone: string; link: string; at: Date }
  | { kind: "call"; phone: string; at: Date }
  | { kind: "ignored"; reason: string }
) &
  Adjusted;

/** What the adapter had to change so the event can be stored (never a body or a number). */
export interface Adjusted {
  /** For the logs: e.g. "date out of range: receipt time used". */
  note?: string;
  /** The provider's date as given, when it could not be used and `at` is the receipt time. */
  givenAt?: string;
}

export interface SmsProvider {
  /**
   * Sends a batch in one request; returns one result per message, in the same order.
   * Throws a RetryableError (network, timeout, 5xx, 429) when the batch as a whole may be
   * tried again, and an AppError that is not retryable when it never will succeed (#001).
   */
  send(messages: OutboundSms[]): Promise<SendResult[]>;
  addContacts(contacts: ContactInput[]): Promise<ContactResult[]>;
  /**
   * Turns a callback's parameters (GET query, or a POSTed form/JSON body) into an event.
   * Throws BadRequestError with a reason when the payload is malformed.
   */
  parseCallback(params: Record<string, unknown>): SmsEvent;
}

// ── Chat platforms ──────────────────────────────────────────────────────────────────────────

/** Opaque, owned by the adapter that made it (`slack:<channel>:<ts>`, `discord:<thread id>`). */
export type ThreadRef = string;
/** Opaque reference to one posted chat message, owned by its adapter. */
export type MessageRef = string;

/** What the chat side needs to show a conversation's card. */
export interface ConversationCard {
  conversationId: number;
  phone: string;
  contactName: string | null;
  open: boolean;
  optedOut: boolean;
  lastMessage?: { text: string; at: Date; direction: "in" | "out" };
}

/** One post in a thread. `kind` lets the adapter style it; the text is already in words. */
export interface ChatPost {
  kind: "inbound" | "outbound" | "note" | "failure";
  text: string;
  at?: Date;
  /** Who wrote an outbound text (`/sms` from another channel). */
  author?: string;
  /** Status line for an outbound SMS, updated in place. */
  status?: StatusView;
}

export interface StatusView {
  status: MessageStatus;
  sentAt?: Date | null;
  receivedAt?: Date | null;
  segments?: number | null;
  encoding?: string | null;
  error?: string | null;
}

/** A person's message in a conversation thread, already in plain text. */
export interface ChatReply {
  platform: Platform;
  /** Unique per platform message, used to deduplicate retries (Slack event_id, Discord id). */
  eventId: string;
  thread: ThreadRef;
  message: MessageRef;
  author: string;
  text: string;
  hasAttachments: boolean;
}

/** `/sms <number> <text> [--at …] [--link …] [--priority …]`, already parsed by the bridge. */
export interface SmsCommandInput {
  platform: Platform;
  eventId: string;
  author: string;
  /** Everything after `/sms`. */
  args: string;
}

export interface ChatHooks {
  /** Where Slack mounts its HTTP routes. */
  router: Router;
  onReply(reply: ChatReply): Promise<void>;
  onEdit(platform: Platform, message: MessageRef, kind: "edited" | "deleted"): Promise<void>;
  /** Returns the ephemeral answer to show the person who typed the command. */
  onCommand(input: SmsCommandInput): Promise<string>;
  onAction(
    platform: Platform,
    conversationId: number,
    action: "close" | "reopen" | "block",
    author: string,
  ): Promise<void>;
}

export interface ChatAdapter {
  readonly platform: Platform;
  /** Posts the conversation card in `channel` and returns the thread under it. */
  openThread(channel: string, card: ConversationCard): Promise<ThreadRef>;
  post(thread: ThreadRef, post: ChatPost): Promise<MessageRef>;
  /** Re-renders one of the bridge's own posts (its status line). */
  update(message: MessageRef, post: ChatPost): Promise<void>;
  /** Shows an SMS's status on a person's message (reactions): every step reached, in order. */
  react(message: MessageRef, status: StatusView): Promise<void>;
  updateCard(thread: ThreadRef, card: ConversationCard): Promise<void>;
  start(hooks: ChatHooks): Promise<void>;
  stop(): Promise<void>;
}
