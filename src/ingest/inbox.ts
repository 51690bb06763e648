// Store, then answer, then work. A provider callback is answered 200 once it is stored: the
// callback path (src/http/app.ts, through the group commit of src/ingest/batcher.ts) inserts a batch of
// events, unprocessed, in ONE statement, and nothing else. The worker then acts on them
// (routes, conversations, messages, consent, statuses, chat and SMS jobs: src/flows/bridge.ts) and
// marks them processed in the same transaction. So:
// - a crash between storing and acting loses nothing: the event stays unprocessed, and the
//   transaction that was acting on it (if any) is rolled back with its connection;
// - acting twice makes nothing twice: an event is taken only while unprocessed, under a lock;
// - one number's events are acted on in the order they were stored: the events table is its
//   own inbox, taken in id order by one transaction at a time (an advisory lock across
//   processes), and a number with an event waiting to be tried again waits behind it.
import { and, inArray, isNull, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { z } from "zod";
import { dedupeKey, type StoredEvent } from "../conversations/keys.ts";
import type { Database, Db } from "../db/database.ts";
import { rowsOf } from "../db/database.ts";
import { isDatabaseUnavailable } from "../db/health.ts";
import { events } from "../db/schema.ts";
import { AppError, errorMessage, isPermanent } from "../kernel/errors.ts";
import { maskPhone } from "../kernel/phone.ts";
import { backoffDelay } from "../queue/jobs.ts";
import type { Inbox } from "../queue/worker.ts";

/** The number an event is about: its events are acted on in order. */
export function phoneOf(e: StoredEvent): string {
  return e.kind === "inbound-sms" ? e.from : e.phone;
}

/**
 * Stores a batch of callbacks in one statement (one round trip, one commit, the same text every
 * time); `wake` is called after the commit when one is new (src/queue/jobs.ts `jobsNotifier`: no
 * NOTIFY inside the commit). Returns, for each, false when it was a repeat: already stored (or
 * earlier in the same batch), nothing done.
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
    return { n: i, key, kind: e.kind, payload: e };
  });
  const rows = await database.query<{ dedupe_key: string }>(STORE, [JSON.stringify(batch)]);
  const fresh = new Set(rows.map((r) => r.dedupe_key));
  if (fresh.size > 0) wake();
  return keys.map((k, i) => first.get(k) === i && fresh.has(k));
}

/** The callbacks' kinds (chat events share the table under `chat-…` kinds). */
const CALLBACK_KINDS = ["inbound-sms", "status", "click", "call"] satisfies StoredEvent["kind"][];

/** When the provider's last stored callback arrived (the setup page's "last called back"). */
export async function lastCallbackAt(db: Db): Promise<Date | undefined> {
  const [row] = rowsOf<{ received_at: Date | string }>(
    await db.execute(sql`select received_at from events
      where kind in (${sql.join(
        CALLBACK_KINDS.map((k) => sql`${k}`),
        sql`, `,
      )}) order by id desc limit 1`),
  );
  return row ? new Date(row.received_at) : undefined;
}

/** The one statement of the callback path ($1: the batch as JSON). */
const STORE = `insert into events (dedupe_key, kind, payload, processed_at)
  select b.key, b.kind, b.payload, null
  from jsonb_to_recordset($1::jsonb) as b(n int, key text, kind text, payload jsonb)
  order by b.n
  on conflict (dedupe_key) do nothing
  returning dedupe_key`;

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

/** The number of a stored payload, in SQL (for the numbers that wait behind a failure). */
const PHONE = (t: string) => `coalesce(${t}.payload->>'from', ${t}.payload->>'phone', '')`;

/**
 * Due events of `e`: unprocessed, not waiting to be tried again, and of no number that has an
 * event waiting (it goes first). The same rule tells the worker that work is due (so that it
 * never spins on events held back) and takes them.
 */
const DUE = `e.processed_at is null and (e.retry_at is null or e.retry_at <= now())
  and ${PHONE("e")} not in (select ${PHONE("w")} from events w
    where w.processed_at is null and w.retry_at > now())`;

/** Key of the advisory lock that makes the inbox one transaction at a time, across processes. */
const INBOX_LOCK = 727_100_002;

export interface InboxOptions {
  database: Database;
  /** What acts on stored callbacks, in the caller's transaction (the Bridge, src/flows/bridge.ts). */
  bridge: { applyEvents(tx: Db, list: StoredEvent[]): Promise<void> };
  log: Logger;
  /** Attempts before an event is given up (JOB_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** First wait before an event that failed is tried again (JOB_BACKOFF_MS); it doubles. */
  backoffMs: number;
  /** Most events acted on in one transaction. */
  batch?: number;
}

type Row = { id: string | number; payload: unknown; attempts: number };

/** The worker's side of the inbox (src/queue/worker.ts runs it when `due` says so). */
export function createInbox(o: InboxOptions): Inbox {
  const db = o.database.db;
  const limit = o.batch ?? 200;
  const backoff = backoffDelay(o.backoffMs);

  // The statements of a round hold no parameter (numbers of ours, written in): drizzle sends a
  // statement with parameters in two round trips (describe, then run), one without in one.

  /** One transaction at a time, whatever the number of processes (PGlite: one connection). */
  const lock = async (tx: Db) => {
    if (o.database.kind === "postgres")
      await tx.execute(sql.raw(`select pg_advisory_xact_lock(${INBOX_LOCK})`));
  };

  /**
   * Due events in id order, but none of a number that has one waiting to be tried again. Read by
   * a plain index scan, which marks the entries of the events processed since it last passed as
   * dead, so that the next round skips them; a bitmap scan (the planner's choice for the few
   * events it expects) reads each one from the table again at every round until a vacuum removes
   * them: 4,400 pages a round after a minute of load (bench figure 7).
   */
  const take = async (tx: Db, only?: number): Promise<Row[]> => {
    await tx.execute(sql.raw("set local enable_bitmapscan = off"));
    const rows = rowsOf<Row>(
      await tx.execute(
        sql.raw(`select e.id, e.payload, e.attempts from events e where ${DUE}
          ${only === undefined ? "" : `and e.id = ${Math.trunc(only)}`}
          order by e.id limit ${Math.trunc(limit)} for update of e`),
      ),
    );
    await tx.execute(sql.raw("set local enable_bitmapscan to default"));
    return rows;
  };

  /** Acts on the rows taken and marks them processed, in the caller's transaction. */
  const act = async (tx: Db, rows: Row[]) => {
    const list = rows.map((r) => {
      const parsed = stored.safeParse(r.payload);
      if (!parsed.success) throw new UnreadableEventError(Number(r.id), parsed.error.message);
      return parsed.data as StoredEvent;
    });
    await o.bridge.applyEvents(tx, list);
    const ids = rows.map((r) => Math.trunc(Number(r.id))).join(", ");
    await tx.execute(
      sql.raw(`update events set processed_at = now(), retry_at = null where id in (${ids})`),
    );
  };

  /** An event that failed alone: tried again later, or given up (marked processed) at last. */
  const failed = async (row: Row, err: unknown) => {
    const attempt = row.attempts + 1;
    const last = isPermanent(err) || attempt >= o.maxAttempts;
    const error = errorMessage(err).slice(0, 1000);
    const delayMs = backoff(attempt, err);
    await db.execute(sql`update events set attempts = ${attempt}, error = ${error},
      retry_at = ${last ? null : sql`now() + make_interval(secs => ${delayMs / 1000})`},
      processed_at = ${last ? sql`now()` : null}
      where id = ${Number(row.id)} and processed_at is null`);
    const what = { event: Number(row.id), phone: maskPhone(phoneOfPayload(row.payload)), attempt };
    if (last) o.log.error({ ...what, err: error }, "callback given up: not acted on");
    else o.log.warn({ ...what, err: error }, "callback not acted on: tried again later");
  };

  return {
    // The newest first: under load, due events are at the index's end, behind thousands of
    // entries of processed ones that only a vacuum removes (3 pages read instead of 4,400).
    due: `(select e.id from events e where ${DUE} order by e.id desc limit 1) is not null`,
    nextAt: "(select min(retry_at) from events where processed_at is null and retry_at > now())",
    async run() {
      let rows: Row[] = [];
      try {
        await db.transaction(async (tx) => {
          await lock(tx);
          rows = await take(tx);
          if (rows.length > 0) await act(tx, rows);
        });
        return rows.length >= limit;
      } catch (err) {
        // The database gone: nothing is held (the transaction was rolled back); the next wake
        // or poll tries again, and no attempt is counted.
        if (rows.length === 0 || isDatabaseUnavailable(err)) throw err;
        if (rows.length > 1)
          o.log.warn({ events: rows.length }, "a batch of callbacks failed: acting on each alone");
      }
      // One bad event must not hold the others back; a later one of its number waits behind it.
      const holding = new Set<string>();
      for (const r of rows) {
        const phone = phoneOfPayload(r.payload);
        if (holding.has(phone)) continue;
        try {
          await db.transaction(async (tx) => {
            await lock(tx);
            const [row] = await take(tx, Number(r.id));
            if (row) await act(tx, [row]);
          });
        } catch (err) {
          if (isDatabaseUnavailable(err)) throw err;
          holding.add(phone);
          await failed(r, err);
        }
      }
      return true;
    },
  };
}

/** The numbers among `phones` with a stored callback the worker has not acted on yet. */
export async function unreadFrom(db: Db, phones: string[]): Promise<Set<string>> {
  if (phones.length === 0) return new Set();
  const rows = await db
    .selectDistinct({ phone: sql<string>`${events.payload}->>'from'` })
    .from(events)
    .where(
      and(
        isNull(events.processedAt),
        inArray(sql`${events.payload}->>'from'`, [...new Set(phones)]),
      ),
    );
  return new Set(rows.map((r) => r.phone));
}

function phoneOfPayload(payload: unknown): string {
  const p = (payload ?? {}) as { from?: unknown; phone?: unknown };
  return String(p.from ?? p.phone ?? "");
}
