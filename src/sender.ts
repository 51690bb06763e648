// Sends queued SMS in batches: one provider request for up to ARDARY_BATCH_SIZE due messages.
// The opt-out list is checked here, at send time, not only when queuing.
import { eq } from "drizzle-orm";
import type { Logger } from "pino";
import { SegmentedMessage } from "sms-segments-calculator";
import { chatJob } from "./bridge.ts";
import type { OutboundSms, SendResult, SmsProvider } from "./contracts.ts";
import type { Db } from "./db.ts";
import { AppError, errorMessage } from "./errors.ts";
import { enqueue, type Job, type NewJob } from "./jobs.ts";
import { formatPhone } from "./phone.ts";
import { messages } from "./schema.ts";
import * as store from "./store.ts";

export interface SenderOptions {
  db: Db;
  provider: SmsProvider;
  log: Logger;
}

/** The batch handler of `sms.send` jobs (payload `{ messageId }`). */
export function createSender(o: SenderOptions) {
  return async function sendBatch(jobs: Job[]): Promise<void> {
    const ids = jobs.map((j) => (j.payload as { messageId: number }).messageId);
    const queued = (await store.getMessages(o.db, ids)).filter((m) => m.status === "queued");
    if (queued.length === 0) return;
    const convs = new Map(
      (
        await store.getConversations(
          o.db,
          queued.map((m) => m.conversationId),
        )
      ).map((c) => [c.id, c]),
    );
    const phoneOf = (m: store.Message) => convs.get(m.conversationId)?.phone ?? "";
    const optedOut = await store.optedOutAmong(o.db, queued.map(phoneOf));
    const toSend = queued.filter((m) => !optedOut.has(phoneOf(m)));
    const refused = queued.filter((m) => optedOut.has(phoneOf(m)));

    let results: SendResult[] = [];
    let permanent: string | undefined;
    if (toSend.length > 0) {
      const batch: OutboundSms[] = toSend.map((m) => ({
        idSmsApi: m.idSmsApi ?? "",
        to: phoneOf(m),
        text: m.body,
        link: m.link ?? undefined,
        sendAt: m.sendAt ?? undefined,
        priority: m.priority,
      }));
      try {
        results = await o.provider.send(batch);
      } catch (err) {
        // Retryable failures (network, 5xx, 429) retry the whole batch with the same ids.
        if (!(err instanceof AppError) || err.retryable) throw err;
        permanent = errorMessage(err);
      }
    }
    const byId = new Map(results.map((r) => [r.idSmsApi, r]));
    await o.db.transaction(async (tx) => {
      const jobsToAdd: NewJob[] = [];
      const submitted: store.Submitted[] = [];
      for (const m of refused) {
        await fail(tx, m, [], "not sent: the recipient opted out (STOP) after it was queued");
        const conv = convs.get(m.conversationId);
        if (conv) {
          jobsToAdd.push(
            ...chatJob(conv, { type: "status", messageId: m.id }),
            ...chatJob(conv, {
              type: "note",
              failure: true,
              text: `🚫 Not sent: ${formatPhone(conv.phone)} opted out (STOP) before this SMS left.`,
            }),
          );
        }
      }
      for (const m of toSend) {
        const conv = convs.get(m.conversationId);
        const r = byId.get(m.idSmsApi ?? "");
        const reason =
          permanent ??
          (r && !r.ok
            ? r.reason
            : r
              ? undefined
              : "no answer for this SMS in the provider's reply");
        if (reason === undefined && r?.ok) {
          // The link's length is unknown until the provider shortens it: count a short one.
          const seg = new SegmentedMessage(m.body.replace("[Link]", "https://x.xx/xxxxxx"));
          submitted.push({ id: m.id, segments: r.segments, encoding: seg.encodingName });
        } else {
          const codes = r && !r.ok ? r.codes : [];
          await fail(tx, m, codes, reason ?? "unknown error");
          if (codes.includes("#003") && conv) await store.setOptOut(tx, conv.phone, "provider");
          if (conv) {
            jobsToAdd.push(
              ...chatJob(conv, {
                type: "note",
                failure: true,
                text: `⚠️ SMS to ${formatPhone(conv.phone)} failed: ${reason}`,
              }),
            );
          }
        }
        if (conv) jobsToAdd.push(...chatJob(conv, { type: "status", messageId: m.id }));
      }
      await store.recordSubmitted(tx, submitted);
      await enqueue(tx, ...jobsToAdd);
    });
    o.log.info(
      {
        sent: results.filter((r) => r.ok).length,
        failed: queued.length - results.filter((r) => r.ok).length,
      },
      "sms batch done",
    );
  };
}

async function fail(tx: Db, m: store.Message, codes: string[], error: string) {
  await tx
    .update(messages)
    .set({ status: "failed", errorCodes: codes, error })
    .where(eq(messages.id, m.id));
}
