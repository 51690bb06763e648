// The durable job queue. A job is written in the caller's transaction, so it exists exactly
// when the fact that caused it does. Workers claim due jobs with FOR UPDATE SKIP LOCKED and a
// lease (a crashed worker's jobs come back when the lease ends); jobs sharing an ordering key
// run strictly one after another in id order; failures back off exponentially with jitter,
// or exactly as long as a Retry-After said; after the last attempt a job stays as `dead`.
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Database, Db } from "./db.ts";
import { rowsOf } from "./db.ts";
import { AppError, errorMessage, RetryableError } from "./errors.ts";
import { jobs } from "./schema.ts";

export const JOBS_CHANNEL = "ardary_bridge_jobs";

/**
 * Thrown by a handler that did not attempt its work because it must wait its turn (a pacer, or
 * a destination still under a Retry-After): the job comes back after `retryAfterMs` without
 * using up an attempt, so waiting in line never kills a job.
 */
export class DeferredError extends RetryableError {
  constructor(reason: string, retryAfterMs: number) {
    super("deferred", reason, retryAfterMs);
    this.name = "DeferredError";
  }
}

export interface NewJob {
  kind: string;
  orderingKey?: string | null;
  payload: unknown;
  runAt?: Date;
  maxAttempts?: number;
}

export interface Job<P = unknown> {
  id: number;
  kind: string;
  orderingKey: string | null;
  payload: P;
  attempts: number;
  maxAttempts: number;
}

/** Enqueues in the given transaction (or connection); workers are woken when it commits. */
export async function enqueue(tx: Db, ...list: NewJob[]): Promise<void> {
  if (list.length === 0) return;
  await tx.insert(jobs).values(
    list.map((j) => ({
      kind: j.kind,
      orderingKey: j.orderingKey ?? null,
      payload: j.payload as object,
      runAt: j.runAt ?? new Date(),
      maxAttempts: j.maxAttempts ?? 10,
    })),
  );
  await tx.execute(sql`select pg_notify(${JOBS_CHANNEL}, '')`);
}

interface ClaimOptions {
  kinds: string[];
  limit: number;
  leaseMs: number;
  workerId: string;
  /**
   * Batch mode: a job may be claimed together with its due, pending predecessors of the same
   * key (they are claimed in the same batch, ahead of it). Claims of one kind are serialised by
   * an advisory lock so that two batches never split one key's jobs.
   */
  batch?: boolean;
}

type JobRow = {
  id: string | number;
  kind: string;
  ordering_key: string | null;
  payload: unknown;
  attempts: number;
  max_attempts: number;
};

/** Claims up to `limit` due jobs, in id order, respecting each ordering key's order. */
export async function claim(db: Db, o: ClaimOptions): Promise<Job[]> {
  const kinds = sql.join(
    o.kinds.map((k) => sql`${k}`),
    sql`, `,
  );
  const blocking = o.batch
    ? sql`(p.state = 'running' or p.run_at > now())`
    : sql`p.state in ('pending', 'running')`;
  const query = sql`
    with candidates as (
      select j.id from jobs j
      where j.kind in (${kinds}) and j.run_at <= now()
        and (j.state = 'pending' or (j.state = 'running' and j.lease_until < now()))
        and (j.ordering_key is null or not exists (
          select 1 from jobs p
          where p.ordering_key = j.ordering_key and p.id < j.id and p.state <> 'dead'
            and ${blocking}))
      order by j.id
      limit ${o.limit}
      for update skip locked
    )
    update jobs set state = 'running', attempts = jobs.attempts + 1, locked_by = ${o.workerId},
      lease_until = now() + make_interval(secs => ${o.leaseMs / 1000})
    from candidates where jobs.id = candidates.id
    returning jobs.id, jobs.kind, jobs.ordering_key, jobs.payload, jobs.attempts, jobs.max_attempts`;
  const rows = o.batch
    ? await db.transaction(async (tx) => {
        await tx.execute(
          sql`select pg_advisory_xact_lock(hashtext(${`jobs:${o.kinds.join(",")}`}))`,
        );
        return rowsOf<JobRow>(await tx.execute(query));
      })
    : rowsOf<JobRow>(await db.execute(query));
  return rows
    .map((r) => ({
      id: Number(r.id),
      kind: r.kind,
      orderingKey: r.ordering_key,
      payload: r.payload,
      attempts: r.attempts,
      maxAttempts: r.max_attempts,
    }))
    .sort((a, b) => a.id - b.id);
}

/** A finished job is deleted (in the transaction that recorded its effect, when given one). */
export async function complete(tx: Db, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.execute(
    sql`delete from jobs where id in (${sql.join(
      ids.map((id) => sql`${id}`),
      sql`, `,
    )})`,
  );
}

/**
 * Puts jobs back for a later attempt, or leaves them dead after their last one. A batch is
 * rescheduled with one delay, so it is retried together and in the same order.
 */
export async function fail(
  db: Db,
  list: Job[],
  err: unknown,
  backoff: (attempt: number, err: unknown) => number,
): Promise<void> {
  const error = errorMessage(err).slice(0, 1000);
  const permanent = err instanceof AppError && !err.retryable && err.status < 500;
  const delayMs = backoff(Math.max(...list.map((j) => j.attempts)), err);
  const ids = (dead: boolean) =>
    list
      .filter((j) => dead === (permanent || j.attempts >= j.maxAttempts))
      .map((j) => sql`${j.id}`);
  for (const dead of [true, false]) {
    const chosen = ids(dead);
    if (chosen.length === 0) continue;
    await db.execute(sql`
      update jobs set state = ${dead ? "dead" : "pending"}, last_error = ${error},
        lease_until = null, locked_by = null,
        run_at = now() + make_interval(secs => ${dead ? 0 : delayMs / 1000})
      where id in (${sql.join(chosen, sql`, `)})`);
  }
}

/** Exponential back-off with jitter; a failure's own Retry-After wins. */
export function backoffDelay(baseMs: number, maxMs = 10 * 60_000) {
  return (attempt: number, err: unknown): number => {
    if (err instanceof AppError && err.retryAfterMs !== undefined) {
      return err.retryAfterMs + Math.floor(Math.random() * Math.min(250, err.retryAfterMs * 0.1));
    }
    const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
    return Math.floor(exp / 2 + Math.random() * (exp / 2));
  };
}

export interface JobCounts {
  pending: { kind: string; count: number; nextRunAt: Date | null }[];
  dead: { id: number; kind: string; attempts: number; lastError: string | null; at: Date }[];
}

/** What `ardary-bridge jobs` shows. */
export async function listJobs(db: Db): Promise<JobCounts> {
  const pending = rowsOf<{ kind: string; count: string | number; next: Date | null }>(
    await db.execute(sql`select kind, count(*) as count, min(run_at) as next from jobs
      where state <> 'dead' group by kind order by kind`),
  );
  const dead = rowsOf<{
    id: string | number;
    kind: string;
    attempts: number;
    last_error: string | null;
    run_at: Date;
  }>(
    await db.execute(sql`select id, kind, attempts, last_error, run_at from jobs
      where state = 'dead' order by id desc limit 100`),
  );
  return {
    pending: pending.map((p) => ({ kind: p.kind, count: Number(p.count), nextRunAt: p.next })),
    dead: dead.map((d) => ({
      id: Number(d.id),
      kind: d.kind,
      attempts: d.attempts,
      lastError: d.last_error,
      at: d.run_at,
    })),
  };
}

export type JobHandler = (job: Job) => Promise<void>;
export type BatchHandler = (jobs: Job[]) => Promise<void>;

export interface WorkerOptions {
  database: Database;
  handlers: Record<string, JobHandler>;
  /** Kinds handled many at a time, in batches of up to `limit` (e.g. SMS sends). */
  batchHandlers?: Record<string, { limit: number; handle: BatchHandler }>;
  concurrency?: number;
  leaseMs?: number;
  backoffBaseMs?: number;
  /** Slowest poll, in case a NOTIFY is missed (another process on a dropped connection). */
  pollMs?: number;
  onError?: (job: Job, err: unknown) => void;
}

/**
 * Runs jobs until stopped. Wakes on NOTIFY, and otherwise when the next job is due, at the
 * latest every `pollMs`. `stop()` takes no new job and waits for those in hand.
 */
export class Worker {
  readonly id = randomUUID();
  private running = 0;
  private stopped = true;
  private wakeTimer: NodeJS.Timeout | undefined;
  private pumping = false;
  private again = false;
  private unlisten: (() => Promise<void>) | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly backoff: (attempt: number, err: unknown) => number;

  constructor(private readonly o: WorkerOptions) {
    this.backoff = backoffDelay(o.backoffBaseMs ?? 1000);
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.unlisten = await this.o.database.listen(JOBS_CHANNEL, () => this.wake());
    this.wake();
  }

  /** Looks for work now. */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async pump(): Promise<void> {
    const { database, handlers, batchHandlers = {} } = this.o;
    const db = database.db;
    const leaseMs = this.o.leaseMs ?? 60_000;
    const concurrency = this.o.concurrency ?? 8;
    try {
      for (const [kind, b] of Object.entries(batchHandlers)) {
        while (!this.stopped && this.running < concurrency) {
          const claimed = await claim(db, {
            kinds: [kind],
            limit: b.limit,
            leaseMs,
            workerId: this.id,
            batch: true,
          });
          if (claimed.length === 0) break;
          this.track(claimed, () => b.handle(claimed));
        }
      }
      const kinds = Object.keys(handlers);
      while (!this.stopped && kinds.length > 0 && this.running < concurrency) {
        const claimed = await claim(db, {
          kinds,
          limit: concurrency - this.running,
          leaseMs,
          workerId: this.id,
        });
        if (claimed.length === 0) break;
        for (const job of claimed) {
          const handler = handlers[job.kind];
          if (handler) this.track([job], () => handler(job));
        }
      }
    } catch (err) {
      this.o.onError?.(
        { id: 0, kind: "claim", orderingKey: null, payload: null, attempts: 0, maxAttempts: 0 },
        err,
      );
    }
    await this.scheduleNext();
  }

  private track(list: Job[], run: () => Promise<void>): void {
    this.running++;
    const db = this.o.database.db;
    const p = run()
      .then(() =>
        complete(
          db,
          list.map((j) => j.id),
        ),
      )
      .catch(async (err) => {
        if (!(err instanceof DeferredError)) for (const job of list) this.o.onError?.(job, err);
        await fail(db, list, err, this.backoff).catch(() => {});
      })
      .finally(() => {
        this.running--;
        this.inFlight.delete(p);
        this.wake();
      });
    this.inFlight.add(p);
  }

  private async scheduleNext(): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.wakeTimer);
    const pollMs = this.o.pollMs ?? 5_000;
    let delay = pollMs;
    try {
      const [row] = rowsOf<{ ms: number | string | null }>(
        await this.o.database.db.execute(sql`select extract(epoch from (min(coalesce(
          case when state = 'running' then lease_until else run_at end, run_at)) - now())) * 1000 as ms
          from jobs where state <> 'dead'`),
      );
      if (row?.ms !== null && row?.ms !== undefined)
        delay = Math.min(pollMs, Math.max(5, Number(row.ms) + 5));
    } catch {
      // The database may be down: poll again later.
    }
    this.wakeTimer = setTimeout(() => this.wake(), delay);
    this.wakeTimer.unref();
  }

  /** Takes no new job, waits up to `timeoutMs` for those in hand; unfinished ones keep their lease. */
  async stop(timeoutMs = 20_000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.wakeTimer);
    await this.unlisten?.().catch(() => {});
    const all = Promise.allSettled([...this.inFlight]);
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    if (this.inFlight.size > 0) await this.release();
  }

  /** Gives jobs still in hand back to the queue at once, rather than at the end of their lease. */
  private async release(): Promise<void> {
    await this.o.database.db
      .execute(sql`update jobs set state = 'pending', lease_until = null, locked_by = null
        where locked_by = ${this.id} and state = 'running'`)
      .catch(() => {});
  }
}
