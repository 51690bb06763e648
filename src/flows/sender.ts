// Sends queued SMS in batches: one provider call for up to the batch size of due messages, with
// one outcome per SMS, so a request that fails is tried again alone, with exactly the SMS it
// carried (the others are done). STOP and Block are checked here, at the moment of sending, and
// so is the marketing window: a marketing SMS that comes due outside it (a retry, a late job) is
// held again until the next allowed time, like a scheduled SMS.
// No send ends silently: a refusal, a give-up and an unknown outcome each say so in the thread.
import type { Logger } from "pino";
import {
  type ActionButton,
  fill,
  type Language,
  type OutboundSms,
  type SendOutcome,
  type SmsProvider,
  wordsOf,
} from "../contracts/index.ts";
import { encodingWords } from "../contracts/status.ts";
import { retryButton } from "../conversations/cards.ts";
import * as consent from "../conversations/consent.ts";
import { CHECK_JOB, chatJob, noticeJob, smsJob } from "../conversations/kinds.ts";
import * as store from "../conversations/store.ts";
import type { Db } from "../db/database.ts";
import { unreadFrom } from "../ingest/inbox.ts";
import { DeferredError, type RefusalWords, RetryableError, refusalIn } from "../kernel/errors.ts";
import { formatPhone } from "../kernel/phone.ts";
import { enqueue, type Job, type NewJob } from "../queue/jobs.ts";
import type { JobOutcome } from "../queue/worker.ts";
import { heldAgainWords, type MarketingRules, nextAllowed } from "../replies/marketing.ts";
import { waitingPosts } from "./actions.ts";
import { type Degraded, smsPart } from "./degraded.ts";

export interface SenderOptions {
  db: Db;
  provider: SmsProvider;
  log: Logger;
  /**
   * The parts that refuse the bridge (src/flows/degraded.ts): an account the provider refuses
   * holds every SMS; an outage is probed, and its end releases the SMS that back off.
   */
  degraded?: Degraded;
  /** Each chat platform's default channel: where an account refusal is said, once. */
  defaults?: Record<string, string>;
  /** How long an SMS whose outcome is unknown waits for a delivery report before a person is asked. */
  unknownWaitMs?: number;
  /** When marketing SMS may leave; absent: they are not checked again at send time. */
  marketing?: MarketingRules;
  /** The clock (tests set it), for the marketing window. */
  now?: () => Date;
  /** BRIDGE_LANGUAGE: the language of what the thread is told (default English). */
  language?: Language;
}

/** A Retry-After of 0 is not an invitation to a hot loop. */
const RETRY_AFTER_FLOOR_MS = 1000;

type SmsJob = Job<{ messageId: number }>;
type NotAccepted = Exclude<SendOutcome, { outcome: "accepted" }>;

/** The batch handler of `sms.send` jobs. */
export function createSender(o: SenderOptions) {
  const w = wordsOf(o.language);
  /** Why the provider refused an SMS, for the thread: its codes in the bridge's language. */
  const whyOf = (r: { reason: string; codes?: readonly string[] }) =>
    (r.codes?.length && o.provider.describeCodes?.(r.codes, o.language ?? "en")) || r.reason;
  const unknownWaitMs = o.unknownWaitMs ?? 10 * 60_000;
  return sendBatch;

  async function sendBatch(jobs: SmsJob[]): Promise<JobOutcome[]> {
    const done: JobOutcome = { ok: true };
    const jobOf = new Map(jobs.map((j) => [j.payload.messageId, j]));
    const messages = await store.getMessages(o.db, [...jobOf.keys()]);
    const queued = messages.filter((m) => m.status === "queued");
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
    const phones = queued.map(phoneOf);
    // A callback from the number that is stored but not yet acted on may be a STOP: its SMS
    // waits for the worker to read it (a wait, not an attempt), so STOP holds from its 200.
    // Read before the opt-outs, never after: a STOP acted on between the two reads (its opt-out
    // and its being read are one transaction) is then seen by the second; read the other way,
    // it was in neither, and the SMS left (seen once under the full test suite's load, in
    // test/flows/core-sending.test.ts).
    const unread = await unreadFrom(o.db, phones);
    const blocked = await consent.blockedAmong(o.db, phones);
    const optedOut = await consent.optedOutAmong(o.db, phones);
    const refusalOf = (m: store.Message) =>
      blocked.has(phoneOf(m))
        ? w.sender.blockedBeforeLeft
        : optedOut.has(phoneOf(m))
          ? w.sender.stopBeforeLeft
          : undefined;
    const result = new Map<number, JobOutcome>();
    const waiting = new DeferredError("a message from the customer is read first", 200);
    for (const m of queued)
      if (!refusalOf(m) && unread.has(phoneOf(m))) result.set(m.id, { ok: false, error: waiting });
    // A marketing SMS due outside the hours marketing SMS may leave waits for the next one.
    const heldAgain = new Map<number, Date>();
    const now = o.now?.() ?? new Date();
    for (const m of queued) {
      if (!o.marketing || !m.marketing || refusalOf(m) || result.has(m.id)) continue;
      const at = m.sendAt && m.sendAt.getTime() > now.getTime() ? m.sendAt : now;
      const allowed = nextAllowed(o.marketing, at);
      if (allowed.getTime() > at.getTime()) heldAgain.set(m.id, allowed);
    }
    const toSend = queued.filter((m) => !refusalOf(m) && !result.has(m.id) && !heldAgain.has(m.id));

    // An account the provider refuses holds every SMS: one batch tries per interval.
    const held = toSend.length > 0 ? await o.degraded?.turn(smsPart) : undefined;
    for (const m of held ? toSend : []) result.set(m.id, { ok: false, error: held });
    const outcomes =
      toSend.length > 0 && !held
        ? await o.provider.send(toSend.map((m) => outbound(m, phoneOf(m))))
        : [];
    const byRef = new Map(outcomes.map((r) => [r.ref, r]));
    const refusal = outcomes.find((r) => r.outcome === "account-refused");
    const accountRefused =
      refusal?.outcome === "account-refused" && o.degraded
        ? await o.degraded.refused(smsPart, refusal, () => sayRefused(refusal))
        : undefined;
    if (outcomes.some((r) => r.outcome === "accepted")) await o.degraded?.worked(smsPart);
    else {
      const failed = outcomes.find((r) => r.outcome === "retry");
      if (failed) await o.degraded?.failing(smsPart, failed.reason);
    }
    // The SMS of one failed request share one error, so they come back together, in order.
    const errors = new Map<string, Error>();
    const errorFor = (r: NotAccepted): Error => {
      const wait = r.outcome === "retry" ? r.retryAfterMs : undefined;
      const key = `${r.outcome}|${r.reason}|${wait}`;
      let err = errors.get(key);
      if (!err) {
        // A Retry-After is a wait, not a failure: it uses up no attempt.
        err =
          wait !== undefined
            ? new DeferredError(r.reason, Math.max(wait, RETRY_AFTER_FLOOR_MS))
            : new RetryableError("sms_not_sent", r.reason);
        errors.set(key, err);
      }
      return err;
    };
    await o.db.transaction(async (tx) => {
      const later: NewJob[] = [];
      const submitted: store.Submitted[] = [];
      const tell = (m: store.Message, text: string, actions?: ActionButton[]) => {
        const conv = convs.get(m.conversationId);
        if (!conv) return;
        later.push(...chatJob(conv, { type: "status", messageId: m.id }));
        if (text) later.push(...chatJob(conv, { type: "note", failure: true, text, actions }));
      };
      const to = (m: store.Message) => formatPhone(phoneOf(m));
      for (const m of queued) {
        if (result.has(m.id)) continue; // waits for the customer's message to be read
        const refusal = refusalOf(m);
        if (refusal) {
          // Its reason is stored as the thread says it (its status line, the export and the
          // report show it after "failed").
          await store.failMessage(tx, m.id, [], refusal);
          tell(m, fill(w.notes.notSentTo, { phone: to(m), why: refusal }));
          continue;
        }
        const until = heldAgain.get(m.id);
        const conv = convs.get(m.conversationId);
        if (until && o.marketing) {
          // Scheduled again: this job is done, a new one (outside the number's line) waits.
          await store.rescheduleMessage(tx, m.id, until);
          const lead = o.provider.scheduleLeadMs ?? 60_000;
          later.push(smsJob(phoneOf(m), m.id, new Date(until.getTime() - lead)));
          if (conv)
            later.push(
              ...chatJob(conv, { type: "status", messageId: m.id }),
              ...chatJob(conv, {
                type: "note",
                text: heldAgainWords(o.marketing, to(m), until, o.language),
              }),
            );
          continue;
        }
        const r: SendOutcome = byRef.get(m.clientRef ?? "") ?? {
          ref: m.clientRef ?? "",
          outcome: "unknown",
          reason: "the provider's answer said nothing of this SMS",
        };
        const job = jobOf.get(m.id);
        if (r.outcome === "accepted") {
          // The encoding was counted when the SMS was queued.
          const encoding = m.encoding ?? encodingWords(o.provider.countSegments(m.body), w);
          submitted.push({ id: m.id, segments: r.segments, encoding });
          tell(m, "");
        } else if (r.outcome === "account-refused") {
          // The account, not this SMS: it waits (no attempt spent) until the account works.
          result.set(m.id, {
            ok: false,
            error: accountRefused ?? new DeferredError(r.reason, RETRY_AFTER_FLOOR_MS * 60),
          });
        } else if (r.outcome === "refused" && r.permanent) {
          // Stored as the thread says it (its status line, the export and the report show it).
          const why = whyOf(r);
          await store.failMessage(tx, m.id, r.codes, why);
          if (r.optedOut) {
            await consent.setOptOut(tx, phoneOf(m), "provider");
            later.push(...(await waitingPosts(tx, phoneOf(m)))); // its other SMS will not go
          }
          tell(m, fill(w.sender.failed, { to: to(m), why }));
        } else if (r.outcome === "unknown") {
          // It may have been accepted: never sent again by itself. Its delivery report decides;
          // without one, a person is asked.
          await store.markUnknown(tx, m.id, r.reason);
          tell(m, "");
          later.push({
            kind: CHECK_JOB.kind,
            payload: { messageId: m.id, waitedMs: unknownWaitMs },
            runAt: new Date(Date.now() + unknownWaitMs),
          });
        } else if (
          job &&
          job.maxAttempts !== null &&
          job.attempts >= job.maxAttempts &&
          !(errorFor(r) instanceof DeferredError)
        ) {
          // The last attempt failed too: the thread says so, and the job stays dead for a retry.
          const reason = fill(w.sender.gaveUpWhy, { attempts: job.attempts, why: whyOf(r) });
          await store.failMessage(tx, m.id, r.outcome === "refused" ? r.codes : [], reason);
          tell(
            m,
            fill(w.sender.gaveUp, { to: to(m), why: reason, job: job.id }),
            conv ? [retryButton(conv, m.id, w)] : undefined,
          );
          result.set(m.id, { ok: false, error: errorFor(r) });
        } else {
          result.set(m.id, { ok: false, error: errorFor(r) });
        }
      }
      await store.recordSubmitted(tx, submitted);
      await enqueue(tx, ...later);
    });
    const accepted = outcomes.filter((r) => r.outcome === "accepted").length;
    if (held) o.log.debug({ waiting: held.message }, "sms batch held");
    o.log.info(
      {
        sent: accepted,
        notSent: queued.length - accepted - result.size - heldAgain.size,
        retry: result.size,
        ...(heldAgain.size > 0 ? { heldAgain: heldAgain.size } : {}),
      },
      "sms batch done",
    );
    return jobs.map((j) => result.get(j.payload.messageId) ?? done);
  }

  /** Said once, when the provider begins refusing the account: in every main channel. */
  async function sayRefused(r: {
    reason: string;
    fix: string;
    said?: RefusalWords;
  }): Promise<void> {
    const { reason, fix } = refusalIn(r, o.language);
    const text = fill(w.sender.noSmsCanLeave, { why: reason, fix });
    await enqueue(
      o.db,
      ...Object.entries(o.defaults ?? {}).map(([platform, channel]) =>
        noticeJob(platform, channel, text),
      ),
    );
  }
}

/** An SMS whose outcome is unknown, a while later: a report came, or a person is asked. */
export function createOutcomeCheck(o: { db: Db; language?: Language }) {
  const w = wordsOf(o.language);
  return async function check(job: Job<{ messageId: number; waitedMs: number }>) {
    const m = await store.getMessage(o.db, job.payload.messageId);
    if (m?.status !== "unknown") return;
    const conv = await store.getConversation(o.db, m.conversationId);
    if (!conv) return;
    const minutes = Math.round(job.payload.waitedMs / 60_000);
    await enqueue(
      o.db,
      ...chatJob(conv, {
        type: "note",
        failure: true,
        text: fill(w.sender.noReport, {
          when: minutes > 0 ? fill(w.sender.noReportAfter, { minutes }) : w.sender.noReportYet,
          phone: formatPhone(conv.phone),
        }),
        actions: [retryButton(conv, m.id, w)],
      }),
    );
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
    ...(m.marketing ? { marketing: true } : {}),
    ...(m.sender ? { sender: m.sender } : {}),
  };
}
