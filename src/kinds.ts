// The kinds of job the bridge runs, each with the schema of its payload (src/jobs.ts checks it
// before a handler sees it). `chat.deliver` tells a thread what happened (src/delivery.ts);
// `sms.send` hands an SMS to the provider (src/sender.ts).
import { z } from "zod";
import { defineJob, type NewJob } from "./jobs.ts";
import type * as store from "./store.ts";

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
  }),
  z.object({ conversationId: z.number().int(), type: z.literal("card") }),
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

/** A job that tells the conversation's thread; none while no chat platform holds it. */
export function chatJob(conv: store.Conversation, job: ChatJob): NewJob[] {
  if (conv.platform === "none") return [];
  return [
    {
      kind: CHAT_JOB.kind,
      orderingKey: `chat:${conv.id}`,
      payload: { conversationId: conv.id, ...job },
    },
  ];
}

/** The job that sends an SMS; one number's SMS leave in the order they were written. */
export function smsJob(phone: string, messageId: number): NewJob {
  return { kind: SMS_JOB.kind, orderingKey: `sms:${phone}`, payload: { messageId } };
}
