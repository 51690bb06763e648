// Drizzle tables. Migrations in migrations/ are generated from this file by `npm run db:generate`.
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

import type { MessageStatus } from "../contracts/index.ts";

const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/**
 * When an SMS happened, for the reports: a customer's when they sent it (the provider's date),
 * ours when it was written. Indexed as this very expression (messages_report_at).
 */
export const reportAt = (t: { direction: unknown; receivedAt: unknown; createdAt: unknown }) =>
  sql`(case when ${t.direction} = 'in' then coalesce(${t.receivedAt}, ${t.createdAt}) else ${t.createdAt} end)`;

/** One per customer phone number and chat platform ("none" while no platform is enabled). */
export const conversations = pgTable(
  "conversations",
  {
    id: serial("id").primaryKey(),
    phone: text("phone").notNull(),
    platform: text("platform").notNull(),
    channel: text("channel"),
    threadRef: text("thread_ref"),
    /**
     * The thread's address a person can open (a Slack permalink, a Discord channel URL), saved
     * when the thread is opened (ChatAdapter.threadUrl): the export runs without the platforms.
     */
    threadUrl: text("thread_url"),
    /** The thread this one replaced when the old one was gone. */
    previousThreadRef: text("previous_thread_ref"),
    open: boolean("open").notNull().default(true),
    /** Who owns it (Claim / Assign): the platform's id of that person. */
    ownerId: text("owner_id"),
    /** Since when the customer waits for an answer (their SMS came, nobody replied yet). */
    waitingSince: at("waiting_since"),
    /** When a person last closed it (Close); null while open or never closed (src/reports/). */
    closedAt: at("closed_at"),
    lastActivityAt: at("last_activity_at").notNull().defaultNow(),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("conversations_phone_platform").on(t.phone, t.platform),
    index("conversations_thread").on(t.threadRef),
    index("conversations_waiting").on(t.waitingSince).where(sql`${t.waitingSince} is not null`),
  ],
);

/** Every SMS in or out. Outbound ones carry our own unique reference, the same on every retry. */
export const messages = pgTable(
  "messages",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    conversationId: integer("conversation_id").notNull(),
    direction: text("direction").$type<"in" | "out">().notNull(),
    body: text("body").notNull(),
    clientRef: text("client_ref"),
    status: text("status").$type<MessageStatus>().notNull(),
    /** The provider's codes for a failure, as it gave them. */
    providerCodes: jsonb("provider_codes").$type<string[]>(),
    error: text("error"),
    segments: integer("segments"),
    encoding: text("encoding"),
    author: text("author"),
    /** The platform's id of the person who wrote it (chat replies, `/sms`); null otherwise. */
    authorId: text("author_id"),
    /** An inbound STOP ("out") or START ("in") keyword (src/kernel/optout.ts); null otherwise. */
    optIntent: text("opt_intent").$type<"out" | "in">(),
    link: text("link"),
    priority: text("priority").$type<"low" | "normal" | "high">().notNull().default("normal"),
    sendAt: at("send_at"),
    /** The sender name it goes out under (its route's, else the provider's default); null: none. */
    sender: text("sender"),
    /** A marketing SMS: the provider adds its STOP notice; it leaves only in the allowed hours. */
    marketing: boolean("marketing").notNull().default(false),
    /** The chat message that caused (outbound) or shows (inbound) this SMS. */
    chatRef: text("chat_ref"),
    /** True when `chatRef` is the bridge's own post (status line edited in place), not a person's. */
    ownPost: boolean("own_post").notNull().default(false),
    /** The chat event that caused it (Slack event_id, Discord id): a retry makes no second SMS. */
    sourceEventId: text("source_event_id"),
    sentAt: at("sent_at"),
    receivedAt: at("received_at"),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [
    // Only the rows that have one (an inbound SMS has neither): an inbound SMS is written twice,
    // stored then posted (`chat_ref`), and each index it is not in is one entry less each time
    // (migration 0011, issue 19's figure 7).
    uniqueIndex("messages_client_ref").on(t.clientRef).where(sql`${t.clientRef} is not null`),
    uniqueIndex("messages_source_event")
      .on(t.sourceEventId)
      .where(sql`${t.sourceEventId} is not null`),
    index("messages_conversation").on(t.conversationId, t.id),
    // The SMS a person's chat message caused (its edits are answered: flows/bridge.ts onEdit);
    // the bridge's own posts are never looked up by their ref.
    index("messages_chat_ref")
      .on(t.chatRef)
      .where(sql`${t.ownPost} = false and ${t.chatRef} is not null`),
    // Reports (src/reports/figures.ts): an SMS's time (a customer's: when they sent it), by
    // itself for a period, and per conversation for the wait a period starts with.
    index("messages_report_at").on(reportAt(t)),
    index("messages_conversation_at").on(t.conversationId, reportAt(t)),
  ],
);

/**
 * Every provider callback as received (and every chat event's key); `dedupeKey` makes a repeat
 * a no-op. A callback is stored with `processedAt` null (its own inbox: src/ingest/inbox.ts); the
 * worker acts on it and sets `processedAt` in the same transaction. One that fails is tried
 * again at `retryAt` (`attempts`, `error`); given up, it is marked processed with its `error`.
 * Chat events are acted on as they are stored: the default marks them processed.
 */
export const events = pgTable(
  "events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    dedupeKey: text("dedupe_key").notNull().unique(),
    kind: text("kind").notNull(),
    payload: jsonb("payload").notNull(),
    receivedAt: at("received_at").notNull().defaultNow(),
    processedAt: at("processed_at").defaultNow(),
    attempts: integer("attempts").notNull().default(0),
    retryAt: at("retry_at"),
    error: text("error"),
  },
  (t) => [
    index("events_inbox").on(t.id).where(sql`${t.processedAt} is null`),
    // Reports: clicks and calls by when they happened (an ISO date in UTC: text order is time order).
    index("events_report")
      .on(sql`(${t.payload}->>'at')`)
      .where(sql`${t.kind} in ('click', 'call')`),
    index("events_waiting")
      .on(t.retryAt)
      .where(sql`${t.processedAt} is null and ${t.retryAt} is not null`),
  ],
);

export type JobState = "pending" | "running" | "dead";

/** The durable job queue (src/queue/jobs.ts). Done jobs are deleted. */
export const jobs = pgTable(
  "jobs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind").notNull(),
    /** Jobs with the same key run one at a time, in id order. */
    orderingKey: text("ordering_key"),
    payload: jsonb("payload").notNull(),
    state: text("state").$type<JobState>().notNull().default("pending"),
    runAt: at("run_at").notNull().defaultNow(),
    attempts: integer("attempts").notNull().default(0),
    /** Null: the limit of the worker that runs it (JOB_MAX_ATTEMPTS). */
    maxAttempts: integer("max_attempts"),
    leaseUntil: at("lease_until"),
    lockedBy: text("locked_by"),
    lastError: text("last_error"),
    createdAt: at("created_at").notNull().defaultNow(),
  },
  (t) => [
    index("jobs_due").on(t.kind, t.runAt).where(sql`${t.state} <> 'dead'`),
    index("jobs_ordering").on(t.orderingKey, t.id).where(sql`${t.state} <> 'dead'`),
    // The claim's look-up of due jobs that wait behind no key (src/queue/jobs.ts CLAIM_FIRSTS).
    index("jobs_unordered")
      .on(t.kind, t.id)
      .where(sql`${t.orderingKey} is null and ${t.state} <> 'dead'`),
    // When the next lease runs out (src/queue/jobs.ts queueState): running jobs are few.
    index("jobs_leases").on(t.leaseUntil).where(sql`${t.state} = 'running'`),
  ],
);

/** A phone number or prefix (E.164 digits with `+`) → where its conversations go. */
export const routes = pgTable(
  "routes",
  {
    id: serial("id").primaryKey(),
    pattern: text("pattern").notNull(),
    platform: text("platform").notNull(),
    channel: text("channel").notNull(),
    /** The sender name SMS to these numbers go out under; null: the provider's default. */
    sender: text("sender"),
  },
  (t) => [uniqueIndex("routes_pattern_platform").on(t.pattern, t.platform)],
);

export const contacts = pgTable(
  "contacts",
  {
    phone: text("phone").primaryKey(),
    firstName: text("first_name"),
    lastName: text("last_name"),
    email: text("email"),
    address: text("address"),
    syncedAt: at("synced_at"),
    company: text("company"),
    notes: text("notes"),
    /** Other columns of an imported file, kept as they were. */
    fields: jsonb("fields").$type<Record<string, string>>(),
    /** Sync to the provider: pending (new or changed), ok, failed (syncError says why), skipped. */
    syncState: text("sync_state")
      .$type<"pending" | "ok" | "failed" | "skipped">()
      .notNull()
      .default("pending"),
    syncError: text("sync_error"),
  },
  (t) => [index("contacts_sync_pending").on(t.phone).where(sql`${t.syncState} = 'pending'`)],
);

/** Numbers whose owner said STOP (only their START lifts it). */
export const optOuts = pgTable("opt_outs", {
  phone: text("phone").primaryKey(),
  /** "sms" (the customer wrote STOP) or "provider" (it refused: the recipient opted out). */
  source: text("source").notNull(),
  at: at("at").notNull().defaultNow(),
});

/** Numbers the team blocked: only a person's Unblock lifts it, whatever the customer writes. */
export const blocks = pgTable("blocks", {
  phone: text("phone").primaryKey(),
  /** Who blocked it, as shown in the thread. */
  blockedBy: text("blocked_by").notNull(),
  at: at("at").notNull().defaultNow(),
});

/** Values the bridge makes itself and keeps (the generated callback secret). */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

// Issue 13 (replies at scale): templates, auto-replies, status history, forgotten numbers.

/** Canned answers: `::name` in a thread or after `/sms <number>` sends the body, fields filled. */
export const templates = pgTable("templates", {
  name: text("name").primaryKey(),
  body: text("body").notNull(),
  /** Saved as marketing: a send that uses it is a marketing SMS (src/replies/marketing.ts). */
  marketing: boolean("marketing").notNull().default(false),
  createdBy: text("created_by").notNull(),
  createdAt: at("created_at").notNull().defaultNow(),
});

/** One auto-reply per conversation per closed period (a local "YYYY-MM-DD HH:MM" of its start). */
export const autoReplies = pgTable(
  "auto_replies",
  {
    conversationId: integer("conversation_id").notNull(),
    period: text("period").notNull(),
    messageId: bigint("message_id", { mode: "number" }),
    at: at("at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: "auto_replies_pk", columns: [t.conversationId, t.period] })],
);

/** Every status an outbound SMS went through, with its time (the audit export's history). */
export const messageStatuses = pgTable(
  "message_statuses",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    messageId: bigint("message_id", { mode: "number" }).notNull(),
    status: text("status").notNull(),
    at: at("at").notNull().defaultNow(),
  },
  (t) => [index("message_statuses_message").on(t.messageId, t.id)],
);

/** Customers erased on request: only what the opt-out law needs (a hash of the number, STOP date). */
export const forgotten = pgTable("forgotten", {
  phoneHash: text("phone_hash").primaryKey(),
  stopAt: at("stop_at"),
  forgottenAt: at("forgotten_at").notNull().defaultNow(),
});

/** Token buckets shared by every process of the database (src/queue/budget.ts); times in ms. */
export const budgets = pgTable("budgets", {
  key: text("key").primaryKey(),
  tokens: doublePrecision("tokens").notNull(),
  atMs: doublePrecision("at_ms").notNull(),
  /** The turn given to the last caller told to wait (callers are spread one interval apart). */
  nextSlotMs: doublePrecision("next_slot_ms").notNull().default(0),
  /** Nothing is taken before this (the platform said wait). */
  heldUntilMs: doublePrecision("held_until_ms").notNull().default(0),
  /** What the last take answered (0: taken). */
  waitMs: doublePrecision("wait_ms").notNull().default(0),
});
