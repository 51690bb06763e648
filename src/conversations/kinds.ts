// The kinds of job the bridge runs, each with the schema of its payload (src/queue/jobs.ts checks it
// before a handler sees it). `chat.deliver` tells a thread what happened (src/flows/delivery.ts);
// `sms.send` hands an SMS to the provider (src/flows/sender.ts); `chat.notice` says something at the
// top of a channel (src/flows/degraded.ts). (Stored callbacks are no jobs: the
// events table is their inbox, src/ingest/inbox.ts.)
import { z } from "zod";
import { defineJob, type NewJob } from "../queue/jobs.ts";
import type * as store from "./store.ts";

const button = z.object({
  action: z.string(),
  label: z.string(),
  conversationId: z.number().int(),
  style: z.enum(["primary", "danger"]).optional(),
  messageId: z.number().int().optional(),
  confirm: z.string().optional(),
  kind: z.enum(["button", "user-select", "form"]).optional(),
});

const chatPayload = z.discriminatedUnion("type", [
  z.object({
    conversationId: z.number().int(),
    type: z.literal("message"),
    messageId: z.number().int(),
  }),
  z.object({
    conversationId: z.number().int(),
    type: z.literal("status"),
    messageId: z.number().int(),
  }),
  z.object({
    conversationId: z.number().int(),
    type: z.literal("note"),
    text: z.string(),
    failure: z.boolean().optional(),
    actions: z.array(button).optional(),
    mention: z.string().optional(),
  }),
  z.object({ conversationId: z.number().int(), type: z.literal("card") }),
  z.object({
    conversationId: z.number().int(),
    type: z.literal("whisper"),
    userId: z.string(),
    text: z.string(),
  }),
]);

export type ChatPayload = z.infer<typeof chatPayload>;
/** What a chat job does, without the conversation it belongs to. */
export type ChatJob = ChatPayload extends infer P
  ? P extends ChatPayload
    ? Omit<P, "conversationId">
    : never
  : never;

export const CHAT_JOB = defineJob("chat.deliver", chatPayload);
export const SMS_JOB = defineJob("sms.send", z.object({ messageId: z.number().int() }));
/**
 * A note at the top of a platform's channel, said once (src/flows/degraded.ts: a channel that
 * refuses the bot, the provider refusing the account). One line per platform, in order.
 */
export const NOTICE_JOB = defineJob(
  "chat.notice",
  z.object({ platform: z.string(), channel: z.string(), text: z.string() }),
);

/** The job that says `text` at the top of `channel` on `platform`. */
export function noticeJob(platform: string, channel: string, text: string): NewJob {
  return {
    kind: NOTICE_JOB.kind,
    orderingKey: `notice:${platform}`,
    payload: { platform, channel, text },
  };
}

/** Adds the pending contacts to the provider's (src/team/contacts.ts). */
export const CONTACTS_JOB = defineJob("contacts.sync", z.object({}));

/** The ordering key of a conversation's chat jobs is this prefix and its id. */
export const CHAT_KEY_PREFIX = "chat:";

/** A job that tells the conversation's thread; none while no chat platform holds it. */
export function chatJob(conv: store.Conversation, job: ChatJob): NewJob[] {
  if (conv.platform === "none") return [];
  return [
    {
      kind: CHAT_JOB.kind,
      orderingKey: `${CHAT_KEY_PREFIX}${conv.id}`,
      payload: { conversationId: conv.id, ...job },
    },
  ];
}

/** The job that sends an SMS; one number's SMS leave in the order they were written. */
export function smsJob(phone: string, messageId: number, runAt?: Date): NewJob {
  // A scheduled SMS keeps no place in the number's line: it must not hold back the SMS after it.
  const orderingKey = runAt ? null : `sms:${phone}`;
  return { kind: SMS_JOB.kind, orderingKey, payload: { messageId }, runAt };
}

/** Checks, after a while, an SMS whose outcome is unknown: still no report means ask a person. */
export const CHECK_JOB = defineJob(
  "sms.check",
  z.object({ messageId: z.number().int(), waitedMs: z.number().int() }),
);
