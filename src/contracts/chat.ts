// What the core asks of a chat platform (ChatAdapter), what it tells the core (ChatHooks), and
// what travels between them: cards, posts, buttons, forms, replies, commands.
import type { MessageStatus, Platform } from "./domain.ts";
import type { ChatDialect } from "./i18n/index.ts";
import type { SetupContext, SetupLine } from "./setup.ts";

/** Opaque, owned by the adapter that made it (`slack:<channel>:<ts>`, `discord:<thread id>`). */
export type ThreadRef = string;
/** Opaque reference to one posted chat message, owned by its adapter. */
export type MessageRef = string;

/** A button the core asks for, on a card or a post. */
export interface ActionButton {
  /** What the core does when it is pressed ("close", "block", "retry"…). */
  action: string;
  label: string;
  /** The conversation it acts on. */
  conversationId: number;
  style?: "primary" | "danger";
  /** The SMS it is about (Retry, Cancel). */
  messageId?: number;
  /** A question asked before the action is taken (Block). */
  confirm?: string;
  /**
   * A button (default), a picker of one workspace member (Assign: the pick is `value`), or a
   * button that opens a form (Edit contact: `ChatHooks.formFor`, then `onFormSubmit`).
   */
  kind?: "button" | "user-select" | "form";
}

/**
 * A form a button of kind "form" opens (a Slack modal, a Discord modal): a few text fields,
 * filled with the current values. Sizes fit every platform: a title and a submit label of at
 * most 24 characters, at most 5 fields, labels of at most 45, values of at most 3000.
 */
export interface ChatForm {
  title: string;
  submitLabel: string;
  /** A line above the fields, where the platform can show one (Slack). */
  intro?: string;
  fields: FormField[];
}

export interface FormField {
  /** Lowercase letters and `_`: the key of its value in `FormInput.values`. */
  id: string;
  label: string;
  /** The current value ("" when none). */
  value: string;
  multiline?: boolean;
  maxLength: number;
  required?: boolean;
  placeholder?: string;
}

/** A person submitted the form a button opened. */
export interface FormInput {
  platform: Platform;
  conversationId: number;
  /** The button's action ("edit-contact"). */
  action: string;
  /** Each field's value by its id ("" when left empty). */
  values: Record<string, string>;
  author: string;
  authorId?: string;
  /** The platform's id of this submission (a replayed one does nothing twice). */
  eventId?: string;
}

/** What became of a submitted form: saved, or each field's problem in words (shown on it). */
export interface FormAnswer {
  errors?: Record<string, string>;
}

/** What the chat side needs to show a conversation's card. */
export interface ConversationCard {
  conversationId: number;
  phone: string;
  contactName: string | null;
  open: boolean;
  /** The customer said STOP (START lifts it). */
  optedOut: boolean;
  /** The team blocked the number (only Unblock lifts it). */
  blocked: boolean;
  /** Its buttons, in order. */
  actions: ActionButton[];
  /** Who owns it (Claim / Assign): the platform's id of that person. */
  owner?: string | null;
  /** Since when the customer waits for an answer; null when nobody owes one. */
  waitingSince?: Date | null;
  /** REPLY_MODE: every thread reply is sent (`send`), or only those starting with `sms:`. */
  replyMode?: "send" | "explicit";
  /** Why the contact could not be added to the provider's contacts, in words (with its codes). */
  contactProblem?: string | null;
  /** The sender name SMS to this number go out under (its route's, else the account's); null: none. */
  sender?: string | null;
  lastMessage?: { text: string; at: Date; direction: "in" | "out" };
  /**
   * The conversation's first SMS, carried by the card itself (a new conversation costs one
   * post): set only for an adapter with `cardCarriesFirst`.
   */
  first?: ChatPost;
}

/** A post's idempotency: its key (`job:<id>…`) and whether an earlier attempt may have made it. */
export interface PostOnce {
  key: string;
  retry?: boolean;
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
  /** Buttons under the post (Retry on a failure, Cancel on a scheduled SMS…). */
  actions?: ActionButton[];
  /**
   * Idempotency key (`job:<id>`): the adapter marks the post with it, so that the same post
   * made again is the one already there, not a second one.
   */
  key?: string;
  /** An earlier attempt may have made this post (its outcome is unknown): look for it first. */
  retry?: boolean;
  /** A person to notify (the platform's id): named at the start of the post, the only ping. */
  mention?: string;
}

export interface StatusView {
  status: MessageStatus;
  /** When a scheduled SMS is to leave. */
  sendAt?: Date | null;
  sentAt?: Date | null;
  receivedAt?: Date | null;
  segments?: number | null;
  encoding?: string | null;
  error?: string | null;
  /**
   * Why an SMS that has not left (queued or scheduled) will not go while it holds, in words: the
   * customer's STOP, the team's Block. A START or an Unblock before it leaves lifts it.
   */
  held?: string | null;
  /** The sender name it went (or goes) out under; null: the provider's own number. */
  sender?: string | null;
  /** A marketing SMS: it carries the STOP notice and leaves only in the allowed hours. */
  marketing?: boolean;
}

/** A person's message in a conversation thread, already in plain text. */
export interface ChatReply {
  platform: Platform;
  /** Unique per platform message, used to deduplicate retries (Slack event_id, Discord id). */
  eventId: string;
  thread: ThreadRef;
  message: MessageRef;
  author: string;
  /** The platform's id of the author (for a word only they see). */
  authorId?: string;
  /**
   * A guest of the workspace (a platform with guests says so; absent: a member). Guests send no
   * SMS unless the bridge allows it (src/conversations/permissions.ts).
   */
  guest?: boolean;
  text: string;
  hasAttachments: boolean;
}

/**
 * Where a person typed a command, as the adapter reads it: the channel (for a thread, the channel
 * the thread is in), and whether it was a direct message. The core decides whether that is one
 * of the bridge's own channels.
 */
export interface ChatPlace {
  /** The channel's id; absent when the platform gave none. */
  channel?: string;
  /** A direct (or group direct) message: no channel of the bridge's. */
  direct?: boolean;
}

/** `/sms <number> <text> [--at …] [--link …] [--priority …]`, parsed by the core. */
export interface SmsCommandInput {
  platform: Platform;
  eventId: string;
  author: string;
  /** The platform's id of that person (Slack U…, Discord snowflake). */
  authorId?: string;
  /** True when that person may manage the bridge (routes, templates…): the adapter decides from
   * the platform's roles (a Slack user group or workspace admins; a Discord role or Manage Server). */
  canManage: boolean;
  /** A guest of the workspace (absent: a member); see ChatReply.guest. */
  guest?: boolean;
  /** Where it was typed: only the bridge's own channels send, unless SMS_FROM_ANY_CHANNEL. */
  place: ChatPlace;
  /** Everything after `/sms`. */
  args: string;
}

/** A person pressed one of the core's buttons. */
export interface ActionInput {
  platform: Platform;
  conversationId: number;
  action: string;
  /** The SMS the button was about, if any. */
  messageId?: number;
  /** What the person picked (a user select: the platform's id of that user). */
  value?: string;
  /** The person's name, as shown in the thread. */
  author: string;
  /** The platform's id of that person. */
  authorId?: string;
  /** The platform's id of this press (a replayed request does nothing twice). */
  eventId?: string;
  /** That person may manage the bridge (Unblock…), decided as for commands; absent: no. */
  canManage?: boolean;
  /** A guest of the workspace (Retry sends an SMS); absent: a member. */
  guest?: boolean;
}

/** What a chat adapter calls when something happens on its side (the core's Bridge). */
export interface ChatHooks {
  onReply(reply: ChatReply): Promise<void>;
  onEdit(platform: Platform, message: MessageRef, kind: "edited" | "deleted"): Promise<void>;
  /** Returns the ephemeral answer to show the person who typed the command. */
  onCommand(input: SmsCommandInput): Promise<string>;
  /**
   * A button was pressed. Returns a word for that person alone when the press was refused (said
   * privately: an ephemeral message), undefined when it was taken (the thread says what it did).
   */
  onAction(input: ActionInput): Promise<string | undefined>;
  /** A button of kind "form" was pressed: the form to show, filled; null when there is none. */
  formFor(input: ActionInput): Promise<ChatForm | null>;
  /** The form was submitted: saved (its effects queued), or the fields' problems. */
  onFormSubmit(input: FormInput): Promise<FormAnswer>;
}

/** A report for a channel (the digest, src/reports/): its words and its images (PNG). */
export interface ChannelReport {
  /** Plain text, at most 1900 characters (it fits a Discord message). */
  text: string;
  images: { filename: string; title: string; data: Uint8Array }[];
}

/** What became of a report's post: it is always in the channel, in words at least. */
export interface ReportPosted {
  /**
   * Set when the platform refused the images (the app lacks a scope, the bot a permission) and
   * the words went alone: why, and what to add, in words for the log.
   */
  imagesRefused?: string;
}

/**
 * A chat platform. A call it refuses until a person changes something throws RefusedError
 * (src/kernel/errors.ts): `scope: "account"` for the token (Slack invalid_auth, token_revoked,
 * account_inactive; Discord 401 or gateway close 4004), `scope: "channel"` for a channel the bot
 * cannot use (removed from it, or it is gone), with the channel's id when the adapter knows it.
 * The core then holds that platform's (or channel's) work and tries again every minute
 * (src/flows/degraded.ts). A thread that is gone while its channel is fine stays ThreadGoneError.
 */
export interface ChatAdapter {
  readonly platform: Platform;
  /**
   * Optional: how this platform says the core's markup (bold, commands, who manages), in the
   * bridge's language. Absent: the core's markup as written.
   */
  readonly dialect?: ChatDialect;
  /**
   * Optional: asks the platform whether it accepts the token now (Slack auth.test, Discord
   * GET /users/@me): resolves when it does, throws RefusedError when it refuses it, another error
   * when it cannot say. Called at start and every minute, never on a request's path.
   */
  check?(): Promise<void>;
  /**
   * Optional: says something at the top of `channel` (not in a thread), once per `once.key` as a
   * post is (the bridge's notes about a part that refuses it: a channel, the provider).
   */
  announce?(channel: string, text: string, once?: PostOnce): Promise<void>;
  /**
   * Posts the conversation card in `channel` and returns the thread under it. `once` makes the
   * card once, as ChatPost.key/retry do a post: the adapter marks the card with `key` and, on a
   * `retry`, first looks for the card an earlier attempt made (and the thread under it).
   */
  openThread(channel: string, card: ConversationCard, once?: PostOnce): Promise<ThreadRef>;
  /** The card shows `card.first` (the first SMS): a new conversation costs one post. */
  readonly cardCarriesFirst?: boolean;
  /**
   * Optional: says once, at the top of `channel`, that `waiting` new conversations wait to be
   * posted (and how long that takes, where the platform's pace is known).
   */
  announceBacklog?(channel: string, waiting: number): Promise<void>;
  post(thread: ThreadRef, post: ChatPost): Promise<MessageRef>;
  /**
   * Optional: posts several SMS as one message, each with its time. When SMS for one thread
   * pile up (behind the platform's rate limit) they drain as one post rather than one each.
   */
  postMany?(thread: ThreadRef, posts: ChatPost[]): Promise<MessageRef>;
  /**
   * Optional, with `postMany`: the post in `thread` an earlier attempt made with `key`, and every
   * key it carries (a merged post carries one per SMS), so that the SMS it showed are not posted
   * again.
   */
  findPost?(
    thread: ThreadRef,
    key: string,
  ): Promise<{ ref: MessageRef; keys: string[] } | undefined>;
  /**
   * Optional: a word only `userId` sees, in the thread (Slack: an ephemeral message). Without
   * it, the word is posted as a quiet note.
   */
  whisper?(thread: ThreadRef, userId: string, text: string): Promise<void>;
  /** Optional: an address (https://…) a person on any platform can open to reach the thread. */
  threadUrl?(thread: ThreadRef): Promise<string | undefined>;
  /** Re-renders one of the bridge's own posts (its status line). */
  update(message: MessageRef, post: ChatPost): Promise<void>;
  /** Shows an SMS's status on a person's message (reactions): every step reached, in order. */
  react(message: MessageRef, status: StatusView): Promise<void>;
  updateCard(thread: ThreadRef, card: ConversationCard): Promise<void>;
  /** Optional: a link (or mention) people can follow to a thread, for notes and lists. */
  threadLink?(thread: ThreadRef): string;
  /** Optional: the channel id a person named (`#name`, a mention, an id); undefined if none. */
  resolveChannel?(text: string): Promise<string | undefined>;
  /**
   * Optional: posts a report at the top level of `channel`, its images attached (Slack's
   * external upload, a Discord attachment). A refusal of the images still posts the words.
   */
  postReport?(channel: string, report: ChannelReport): Promise<ReportPosted>;
  /**
   * Optional: why the bot could not post a report in `channel` (or its images), in words with
   * what to do; empty when it can, as far as the platform says without posting.
   */
  checkChannel?(channel: string): Promise<string[]>;
  /**
   * Optional: lines for the setup page and `doctor` that call the platform (through
   * `ctx.remote`: at most once a minute) or read what this adapter saw (the last event): the
   * token, the channel, the connection. The configuration's own lines are the descriptor's.
   */
  setupChecks?(ctx: SetupContext): Promise<SetupLine[]>;
  /** Starts receiving events (HTTP routes are mounted by `create`, before the server listens). */
  start(hooks: ChatHooks): Promise<void>;
  stop(): Promise<void>;
}
