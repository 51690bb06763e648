// What the buttons the core puts on cards and posts do. Each runs in the caller's transaction
// (Bridge.onAction) and says in the thread who did what.
import { and, eq } from "drizzle-orm";
import type { Logger } from "pino";
import { type ActionInput, type Catalogue, fill } from "../contracts/index.ts";
import * as consent from "../conversations/consent.ts";
import type { ActionHandler } from "../conversations/features.ts";
import { chatJob, SMS_JOB, smsJob } from "../conversations/kinds.ts";
import * as store from "../conversations/store.ts";
import type { Db } from "../db/database.ts";
import { conversations, messages } from "../db/schema.ts";
import { formatPhone } from "../kernel/phone.ts";
import { enqueue, type NewJob, retryDead } from "../queue/jobs.ts";
import { findDead } from "../queue/overview.ts";

/**
 * A STOP, a START, a Block or an Unblock changed whether the SMS to this number that have not
 * left (scheduled, or waiting to be tried again) will go: their posts say it now, not at their
 * time (delivery reads the hold: consent.holdOf). The sender decides again when it sends.
 */
export async function waitingPosts(tx: Db, phone: string): Promise<NewJob[]> {
  const rows = await tx
    .select({ id: messages.id, conv: conversations })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .where(
      and(
        eq(conversations.phone, phone),
        eq(messages.direction, "out"),
        eq(messages.status, "queued"),
      ),
    )
    .orderBy(messages.id);
  return rows.flatMap((r) => chatJob(r.conv, { type: "status", messageId: r.id }));
}

const note = (conv: store.Conversation, text: string) => chatJob(conv, { type: "note", text });
const card = (conv: store.Conversation) => chatJob(conv, { type: "card" });
const status = (conv: store.Conversation, messageId: number) =>
  chatJob(conv, { type: "status", messageId });

const builtIn: Record<string, ActionHandler> = {
  async close(tx, conv, { author }, _log, w) {
    await store.setConversationOpen(tx, conv.id, false);
    return [...note(conv, fill(w.notes.closed, { author })), ...card(conv)];
  },
  async reopen(tx, conv, { author }, _log, w) {
    await store.setConversationOpen(tx, conv.id, true);
    return [...note(conv, fill(w.notes.reopened, { author })), ...card(conv)];
  },
  async block(tx, conv, { author }, _log, w) {
    if (!(await consent.setBlock(tx, conv.phone, author))) return [];
    const text = fill(w.notes.blocked, { author, phone: formatPhone(conv.phone) });
    return [...note(conv, text), ...card(conv), ...(await waitingPosts(tx, conv.phone))];
  },
  async unblock(tx, conv, { author }, _log, w) {
    if (!(await consent.clearBlock(tx, conv.phone))) return [];
    const stop = (await consent.isOptedOut(tx, conv.phone)) ? w.notes.unblockedStopHolds : "";
    const text = fill(w.notes.unblocked, { author, phone: formatPhone(conv.phone) }) + stop;
    return [...note(conv, text), ...card(conv), ...(await waitingPosts(tx, conv.phone))];
  },
  async cancel(tx, conv, { author, messageId }, _log, w) {
    const m = messageId === undefined ? undefined : await store.cancelMessage(tx, messageId);
    if (!m || m.conversationId !== conv.id) return [];
    return [...status(conv, m.id), ...note(conv, fill(w.notes.cancelled, { author }))];
  },
  async retry(tx, conv, { author, messageId }, _log, w) {
    if (messageId === undefined) return [];
    const m = await store.getMessage(tx, messageId);
    if (!m || m.conversationId !== conv.id || (m.status !== "failed" && m.status !== "unknown"))
      return [];
    const refusal = await consent.refusalOf(tx, conv.phone, w);
    if (refusal) return note(conv, fill(w.notes.notRetried, { why: refusal }));
    // The same SMS, same reference: its dead send revived (retryJobs requeues it and updates its
    // status), or, for an unknown outcome whose send ended, a new send.
    const dead = await findDead(tx, SMS_JOB.kind, "messageId", m.id);
    const jobs: NewJob[] = [];
    if (dead.length > 0) await retryJobs(tx, dead);
    else {
      await store.requeueMessage(tx, m.id);
      jobs.push(smsJob(conv.phone, m.id), ...status(conv, m.id));
    }
    // Only a send that failed for certain is known not to have reached the provider.
    const why = m.status === "failed" ? w.notes.retriedFailed : w.notes.retriedUnknown;
    return [...jobs, ...note(conv, fill(w.notes.retried, { author, why }))];
  },
};

/** Runs the action a button named (the core's, or a feature's); an unknown one is logged. */
export async function runAction(
  tx: Db,
  conv: store.Conversation,
  input: ActionInput,
  log: Logger,
  features: ReadonlyMap<string, ActionHandler>,
  words: Catalogue,
): Promise<void> {
  const handler = builtIn[input.action] ?? features.get(input.action);
  if (!handler) {
    log.warn({ action: input.action.slice(0, 40) }, "unknown button action: ignored");
    return;
  }
  await enqueue(tx, ...(await handler(tx, conv, input, log, words)));
}

/** Dead jobs back in the queue (by id, or all); a dead SMS goes back to queued, same reference. */
export async function retryJobs(tx: Db, which: number[] | "all"): Promise<number[]> {
  const revived = await retryDead(tx, which);
  const jobs: NewJob[] = [];
  for (const j of revived) {
    const parsed = SMS_JOB.schema.safeParse(j.payload);
    if (j.kind !== SMS_JOB.kind || !parsed.success) continue;
    const msg = await store.requeueMessage(tx, parsed.data.messageId);
    const conv = msg && (await store.getConversation(tx, msg.conversationId));
    if (conv) jobs.push(...chatJob(conv, { type: "status", messageId: msg.id }));
  }
  await enqueue(tx, ...jobs);
  return revived.map((j) => j.id);
}
