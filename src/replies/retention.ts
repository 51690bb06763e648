// Retention and erasure. RETENTION_DAYS (unset = keep) replaces the bodies of SMS older than
// that with a marker, once a day, by a job that enqueues its next run; `ardary-bridge forget
// <number>` erases a customer: bodies, contact, the number itself (the conversation keeps a
// hash), and keeps only what the opt-out law needs (a hash of the number and the STOP date).
import { and, eq, inArray, lt, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { type Catalogue, wordsOf } from "../contracts/index.ts";
import * as consent from "../conversations/consent.ts";
import { chatJob } from "../conversations/kinds.ts";
import type { Db } from "../db/database.ts";
import {
  blocks,
  contacts,
  conversations,
  events,
  forgotten,
  messages,
  optOuts,
} from "../db/schema.ts";
import { BadRequestError } from "../kernel/errors.ts";
import { toE164 } from "../kernel/phone.ts";
import { countLive, defineJob, enqueue, type Job } from "../queue/jobs.ts";

export const RETENTION_JOB = defineJob("retention.sweep", z.object({}));
const DAY_MS = 86_400_000;
const CHUNK = 5000;

export const retentionMarker = (days: number) => `[removed: older than ${days} days]`;
export const ERASED = "[erased on the customer's request]";

/** Replaces bodies (messages, stored inbound callbacks) older than `days`; returns how many. */
export async function sweepBodies(db: Db, days: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - days * DAY_MS);
  const marker = retentionMarker(days);
  let total = 0;
  for (;;) {
    const old = db
      .select({ id: messages.id })
      .from(messages)
      .where(
        and(
          sql`coalesce(${messages.receivedAt}, ${messages.createdAt}) < ${cutoff.toISOString()}::timestamptz`,
          ne(messages.body, marker),
          ne(messages.body, ERASED),
        ),
      )
      .limit(CHUNK);
    const done = await db
      .update(messages)
      .set({ body: marker })
      .where(inArray(messages.id, old))
      .returning({ id: messages.id });
    total += done.length;
    if (done.length < CHUNK) break;
  }
  await db
    .update(events)
    .set({ payload: sql`${events.payload} || jsonb_build_object('text', ${marker}::text)` })
    .where(
      and(
        eq(events.kind, "inbound-sms"),
        lt(events.receivedAt, cutoff),
        sql`${events.payload}->>'text' is distinct from ${marker}`,
      ),
    );
  return total;
}

/** The daily sweep: runs, then enqueues tomorrow's (one chain, however many processes). */
export function createRetentionSweep(db: Db, days: number) {
  return async (job: Job<Record<string, never>>) => {
    await sweepBodies(db, days);
    await db.transaction(async (tx) => {
      if ((await countLive(tx, RETENTION_JOB.kind, job.id)) > 0) return;
      await enqueue(tx, {
        kind: RETENTION_JOB.kind,
        orderingKey: "retention",
        payload: {},
        runAt: new Date(Date.now() + DAY_MS),
      });
    });
  };
}

/** Starts the daily chain when none is running (at a worker's start). */
export async function ensureRetentionJob(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('ardary-bridge:retention'))`);
    if ((await countLive(tx, RETENTION_JOB.kind)) > 0) return;
    await enqueue(tx, { kind: RETENTION_JOB.kind, orderingKey: "retention", payload: {} });
  });
}

/**
 * Erases a customer: message bodies, stored callbacks, contact, block, opt-out row, and the
 * number in its conversations (replaced by a hash). A STOP is kept as the hash and its date, so
 * the number still cannot be texted. Notes it in each thread. Returns what it did, in words.
 */
export async function forgetCustomer(
  db: Db,
  input: string,
  /** The words of the note in each thread (BRIDGE_LANGUAGE's). */
  w: Catalogue = wordsOf(),
): Promise<string> {
  const phone = toE164(input);
  if (!phone) throw new BadRequestError(`"${input}" is not a phone number (+33612345678)`);
  return db.transaction(async (tx) => {
    const hash = consent.phoneHash(phone);
    const [stop] = await tx.select().from(optOuts).where(eq(optOuts.phone, phone));
    await tx
      .insert(forgotten)
      .values({ phoneHash: hash, stopAt: stop?.at ?? null })
      .onConflictDoUpdate({
        target: forgotten.phoneHash,
        set: {
          forgottenAt: new Date(),
          stopAt: sql`coalesce(${forgotten.stopAt}, excluded.stop_at)`,
        },
      });
    const convs = await tx.select().from(conversations).where(eq(conversations.phone, phone));
    const ids = convs.map((c) => c.id);
    const erased = ids.length
      ? await tx
          .update(messages)
          .set({ body: ERASED, link: null })
          .where(inArray(messages.conversationId, ids))
          .returning({ id: messages.id })
      : [];
    await tx
      .update(events)
      .set({
        payload: sql`jsonb_build_object('kind', ${events.kind}, 'erased', true)`,
        dedupeKey: sql`'erased:' || md5(${events.dedupeKey})`,
      })
      .where(sql`${events.payload}->>'from' = ${phone} or ${events.payload}->>'phone' = ${phone}`);
    await tx.delete(contacts).where(eq(contacts.phone, phone));
    await tx.delete(optOuts).where(eq(optOuts.phone, phone));
    await tx.delete(blocks).where(eq(blocks.phone, phone));
    for (const c of convs) {
      await tx
        .update(conversations)
        .set({ phone: `erased:${hash.slice(0, 16)}:${c.id}`, open: false })
        .where(eq(conversations.id, c.id));
      const after = { ...c, phone: `erased:${hash.slice(0, 16)}:${c.id}`, open: false };
      await enqueue(
        tx,
        ...chatJob(after, {
          type: "note",
          text: w.notes.erased + (stop ? w.notes.erasedStopKept : ""),
        }),
        ...chatJob(after, { type: "card" }),
      );
    }
    return `forgot ${input.trim()}: ${erased.length} SMS bodies erased in ${convs.length} conversation(s); contact removed${stop ? "; the STOP is kept (as a hash of the number and its date)" : ""}`;
  });
}
