// Store, then answer, then work. A provider callback is answered 200 once it is stored: the
// callback path (src/app.ts, through the group commit of src/batcher.ts) writes a batch of
// events and one `events.process` job per new event in ONE statement, and nothing else. The
// worker then acts on them (routes, conversations, messages, chat and SMS jobs: src/bridge.ts)
// and marks them processed in the same transaction, so:
// - a crash between storing and acting loses nothing: the job is still there (its lease runs out);
// - acting twice makes nothing twice: an event already processed is skipped (rows locked FOR UPDATE);
// - one number's events are acted on in the order they were stored: their jobs share the
//   ordering key `events:<phone>` (src/jobs.ts runs a key's jobs one at a time, in id order).
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import { z } from "zod";
import type { Bridge } from "./bridge.ts";
import { type Database, type Db, rowsOf } from "./db.ts";
import { AppError, DeferredError } from "./errors.ts";
import { insertJobsText, type Job, jobsParams } from "./jobs.ts";
import { dedupeKey, type StoredEvent } from "./keys.ts";
import { EVENTS_JOB } from "./kinds.ts";
import type { JobOutcome } from "./worker.ts";

/** The number an event is about: its events are acted on in order. */
export function phoneOf(e: StoredEvent): string {
  return e.kind === "inbound-sms" ? e.from : e.phone;
}

/**
 * Stores a batch of callbacks and their `events.process` jobs in one statement (one round trip,
 * one commit, the same text every time); `wake` is called after the commit when one is new
 * (src/jobs.ts `jobsNotifier`: no NOTIFY inside the commit). Returns, for each, false when it
 * was a repeat: already stored (or earlier in the same batch), nothing done.
 */
export async function storeEvents(
  database: Database,
  list: StoredEvent[],
  wake: () => void = () => {},
): Promise<boolean[]> {
  if (list.length === 0) return [];
  const keys = list.map(dedupeKey);
  const first = new Map<string, number>();
  for (const [i, k] of keys.entries()) if (!first.has(k)) first.set(k, i);
  const batch = [...first].map(([key, i]) => {
    const e = list[i] as StoredEvent;
    return { n: i, key, kind: e.kind, phone: phoneOf(e), payload: e };
  });
  const [row] = await database.query<{ keys: string[] | null }>(STORE, [
    JSON.stringify(batch),
    EVENTS_JOB.kind,
    jobsParams().maxAttempts,
  ]);
  const fresh = new Set(row?.keys ?? []);
  if (fresh.size > 0) wake();
  return keys.map((k, i) => first.get(k) === i && fresh.has(k));
}

/** The one statement of the callback path: $1 the batch (JSON), $2 the job kind, $3 attempts. */
const STORE = `
  with batch as (
    select * from jsonb_to_recordset($1::jsonb)
      as b(n int, key text, kind text, phone text, payload jsonb)
  ), stored as (
    insert into events (dedupe_key, kind, payload, processed_at)
    select key, kind, payload, null from batch order by n
    on conflict (dedupe_key) do nothing
    returning id, dedupe_key
  ), queued as (
    select s.id, 'events:' || b.phone as ordering_key, jsonb_build_object('eventId', s.id) as payload
    from stored s join batch b on b.key = s.dedupe_key
  ), enqueued as (${insertJobsText("queued", 2, 3)})
  select array_agg(dedupe_key) as keys from stored`;

/** A stored event's payload (JSON: its date is a string): checked, never cast. */
const stored = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("inbound-sms"),
    from: z.string(),
    text: z.string(),
    at: z.coerce.date(),
  }),
  z.object({
    kind: z.literal("status"),
    ref: z.string(),
    phone: z.string(),
    status: z.enum(["sent", "received"]),
    at: z.coerce.date(),
  }),
  z.object({
    kind: z.literal("click"),
    ref: z.string().nullable(),
    phone: z.string(),
    link: z.string(),
    at: z.coerce.date(),
  }),
  z.object({ kind: z.literal("call"), phone: z.string(), at: z.coerce.date() }),
]);

/** A stored event that cannot be read: acting on it again will not help. */
class UnreadableEventError extends AppError {
  constructor(id: number, detail: string) {
    super("unreadable_event", `stored event #${id} cannot be read: ${detail}`, { status: 422 });
    this.name = "UnreadableEventError";
  }
}

/**
 * Acts on events not processed yet, in id order, and marks them processed, in one
 * transaction. Events already processed (a job taken again after a crash) are skipped; a second
 * worker on the same event waits for the first one's row lock, then finds it processed.
 */
async function act(db: Db, bridge: Bridge, ids: number[]): Promise<void> {
  await db.transaction(async (tx) => {
    const rows = rowsOf<{ id: string | number; payload: unknown }>(
      await tx.execute(sql`update events set processed_at = now()
        where id in (${sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        )}) and processed_at is null returning id, payload`),
    );
    if (rows.length === 0) return;
    rows.sort((a, b) => Number(a.id) - Number(b.id));
    const list = rows.map((r) => {
      const parsed = stored.safeParse(r.payload);
      if (!parsed.success) throw new UnreadableEventError(Number(r.id), parsed.error.message);
      return parsed.data as StoredEvent;
    });
    await bridge.applyEvents(tx, list);
  });
}

/**
 * The `events.process` batch handler. The batch is acted on in one transaction; when that
 * fails, each event goes again alone, in order, so that one bad event fails alone (and, after
 * its attempts, stays as a dead job, which `jobs retry` revives) while a later event of the same
 * number waits behind it.
 */
export function createEventProcessor(o: { db: Db; bridge: Bridge; log: Logger }) {
  return async (jobs: Job<{ eventId: number }>[]): Promise<JobOutcome[]> => {
    try {
      await act(
        o.db,
        o.bridge,
        jobs.map((j) => j.payload.eventId),
      );
      return jobs.map(() => ({ ok: true }));
    } catch (err) {
      if (jobs.length === 1) return [{ ok: false, error: err }];
      o.log.warn({ events: jobs.length }, "a batch of callbacks failed: acting on each alone");
    }
    const failed = new Set<string | null>();
    const outcomes: JobOutcome[] = [];
    for (const j of jobs) {
      if (failed.has(j.orderingKey)) {
        const error = new DeferredError("an earlier event of this number failed", 50);
        outcomes.push({ ok: false, error });
        continue;
      }
      try {
        await act(o.db, o.bridge, [j.payload.eventId]);
        outcomes.push({ ok: true });
      } catch (error) {
        failed.add(j.orderingKey);
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  };
}
