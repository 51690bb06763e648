// The provider's events other than an incoming SMS (src/flows/bridge.ts): a call, a delivery status,
// a click, each told to the conversation's thread, in the caller's transaction.
import type { Logger } from "pino";
import { fill, saidAt, type Voice } from "../contracts/index.ts";
import { chatJob } from "../conversations/kinds.ts";
import * as store from "../conversations/store.ts";
import type { Db } from "../db/database.ts";
import { formatPhone } from "../kernel/phone.ts";

import { enqueue } from "../queue/jobs.ts";

/** `voice`: the words and the zone the note is said in. */
export async function onCall(
  tx: Db,
  defaults: store.Defaults,
  phone: string,
  at: Date,
  voice: Voice,
) {
  const conv = await store.ensureConversation(tx, phone, defaults);
  await enqueue(
    tx,
    ...chatJob(conv, {
      type: "note",
      text: fill(voice.words.notes.call, { phone: formatPhone(phone), at: saidAt(voice, at) }),
    }),
  );
}

export async function onDeliveryStatus(
  tx: Db,
  log: Logger,
  ref: string,
  status: "sent" | "received",
  at: Date,
) {
  const msg = await store.findMessageByRef(tx, ref);
  if (!msg) {
    log.warn({ ref }, "status for an SMS the bridge did not send: ignored");
    return;
  }
  await store.recordDelivery(tx, msg.id, status, at);
  const conv = await store.getConversation(tx, msg.conversationId);
  if (conv) await enqueue(tx, ...chatJob(conv, { type: "status", messageId: msg.id }));
}

export async function onClick(
  tx: Db,
  defaults: store.Defaults,
  ref: string | null,
  phone: string,
  link: string,
  at: Date,
  voice: Voice,
) {
  const msg = ref ? await store.findMessageByRef(tx, ref) : undefined;
  const conv = msg
    ? await store.getConversation(tx, msg.conversationId)
    : await store.ensureConversation(tx, phone, defaults);
  if (conv)
    await enqueue(
      tx,
      ...chatJob(conv, {
        type: "note",
        text: fill(voice.words.notes.click, {
          phone: formatPhone(phone),
          link,
          at: saidAt(voice, at),
        }),
      }),
    );
}
