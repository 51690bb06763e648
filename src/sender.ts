// Sends queued SMS in batches: one provider call for up to the batch size of due messages, with
// one outcome per SMS, so a request that fails is retried alone, with exactly the SMS it carried
// (the others are done). Opt-outs are checked here, at send time, not only when queuing.
import type { Logger } from "pino";
import type { OutboundSms, SendOutcome, SmsProvider } from "./contracts.ts";
import type { Db } from "./db.ts";
import { DeferredError, RetryableError } from "./errors.ts";
import { enqueue, type Job, type NewJob } from "./jobs.ts";
import { chatJob } from "./kinds.ts";
import { formatPhone } from "./phone.ts";
import * as store from "./store.ts";
import type { JobOutcome } from "./worker.ts";

export interface SenderOptions {
  db: Db;
  provider: SmsProvider;
  log: Logger;
}

/** A Retry-After of 0 is not an invitation to a hot loop. */
const RETRY_AFTER_FLOOR_MS = 1000;

type SmsJob = Job<{ messageId: number }>;

/** The batch handler of `sms.send` jobs. */
export function createSender(o: SenderOptions) {
  return async function sendBatch(jobs: SmsJob[]): Promise<JobOutcome[]> {
    const done: JobOutcome = { ok: true };
    const byMessage = new Map(
      (
        await store.getMessages(
          o.db,
          jobs.map((j) => j.payload.messageId),
        )
      ).map((m) => [m.id, m]),
    );
    const queued = [...byMessage.values()].filter((m) => m.status === "queued");
    if (queued.length === 0) return jobs.map(() => done);
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

    const outcomes =
      toSend.length > 0 ? await o.provider.send(toSend.map((m) => outbound(m, phoneOf(m)))) : [];
    const byRef = new Map(outcomes.map((r) => [r.ref, r]));
    const result = new Map<number, JobOutcome>();
    const errors = new Map<string, Error>();
    const errorFor = (r: Exclude<SendOutcome, { outcome: "accepted" }>): Error => {
      const wait = r.outcome === "retry" ? r.retryAfterMs : undefined;
      const key = `${r.outcome}|${r.reason}|${wait}`;
      let err = errors.get(key);
      if (!err) {
        err =
          wait !== undefined
            ? new DeferredError(r.reason, Math.max(wait, RETRY_AFTER_FLOOR_MS))
            : new RetryableError("sms_not_sent", r.reason);
        errors.set(key, err);
      }
      return err;
    };
    await o.db.transaction(async (tx) => {
      const jobsToAdd: NewJob[] = [];
      const submitted: store.Submitted[] = [];
      const note = (m: store.Message, text: string) => {
        const conv = convs.get(m.conversationId);
        if (conv) jobsToAdd.push(...chatJob(conv, { type: "note", failure: true, text }));
      };
      const showStatus = (m: store.Message) => {
        const conv = convs.get(m.conversationId);
        if (conv) jobsToAdd.push(...chatJob(conv, { type: "status", messageId: m.id }));
      };
      for (const m of refused) {
        await store.failMessage(
          tx,
          m.id,
          [],
          "not sent: the recipient opted out (STOP) after it was queued",
        );
        showStatus(m);
        note(m, `🚫 Not sent: ${formatPhone(phoneOf(m))} opted out (STOP) before this SMS left.`);
      }
      for (const m of toSend) {
        const r: SendOutcome = byRef.get(m.clientRef ?? "") ?? {
          ref: m.clientRef ?? "",
          outcome: "refused",
          permanent: false,
          optedOut: false,
          codes: [],
          reason: "no answer for this SMS in the provider's reply",
        };
        if (r.outcome === "accepted") {
          const count = o.provider.countSegments(m.body);
          submitted.push({ id: m.id, segments: r.segments, encoding: count.encoding });
        } else if (r.outcome === "refused" && r.permanent) {
          await store.failMessage(tx, m.id, r.codes, r.reason);
          if (r.optedOut) await store.setOptOut(tx, phoneOf(m), "provider");
          note(m, `⚠️ SMS to ${formatPhone(phoneOf(m))} failed: ${r.reason}`);
        } else {
          // Not decided by the provider: the job comes back (a Retry-After is a wait, not a
          // failure). The SMS of one failed request share one error, so they come back together.
          result.set(m.id, { ok: false, error: errorFor(r) });
          continue;
        }
        showStatus(m);
      }
      await store.recordSubmitted(tx, submitted);
      await enqueue(tx, ...jobsToAdd);
    });
    const accepted = outcomes.filter((r) => r.outcome === "accepted").length;
    o.log.info(
      { sent: accepted, failed: queued.length - accepted - result.size, retry: result.size },
      "sms batch done",
    );
    return jobs.map((j) => result.get(j.payload.messageId) ?? done);
  };
}

function outbound(m: store.Message, to: string): OutboundSms {
  return {
    ref: m.clientRef ?? "",
    to,
    text: m.body,
    link: m.link ?? undefined,
    sendAt: m.sendAt ?? undefined,
    priority: m.priority,
  };
}
