// Runs jobs until stopped: wakes on NOTIFY, and otherwise when the next job is due, at the
// latest every `pollMs`. Each kind has a handler (one job at a time) or a batch handler (many
// at a time, e.g. SMS sends, with one outcome per job). Payloads are checked against the kind's
// schema before a handler sees them. `stop()` takes no new job and waits for those in hand.
import { randomUUID } from "node:crypto";
import type { Database } from "./db.ts";
import { AppError, DeferredError } from "./errors.ts";
import {
  backoffDelay,
  claim,
  complete,
  defer,
  fail,
  JOBS_CHANNEL,
  type Job,
  type JobKind,
  nextDueInMs,
  releaseAll,
} from "./jobs.ts";

/** What became of one job of a batch: done, or this error (a DeferredError waits its turn). */
export type JobOutcome = { ok: true } | { ok: false; error: unknown };

export interface Handler<P> {
  def: JobKind<P>;
  run(job: Job<P>): Promise<void>;
}

export interface BatchHandler<P> {
  def: JobKind<P>;
  limit: number;
  /** One outcome per job, in order; a throw is the outcome of every job of the batch. */
  run(jobs: Job<P>[]): Promise<JobOutcome[]>;
}

export interface WorkerOptions {
  database: Database;
  // biome-ignore lint/suspicious/noExplicitAny: handlers of every payload type in one list
  handlers: Handler<any>[];
  // biome-ignore lint/suspicious/noExplicitAny: idem
  batchHandlers?: BatchHandler<any>[];
  concurrency?: number;
  leaseMs?: number;
  backoffBaseMs?: number;
  /** Slowest poll, in case a NOTIFY is missed (another process on a dropped connection). */
  pollMs?: number;
  onError?: (job: Job | undefined, err: unknown) => void;
}

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

  private get db() {
    return this.o.database.db;
  }

  private async pump(): Promise<void> {
    const leaseMs = this.o.leaseMs ?? 60_000;
    const concurrency = this.o.concurrency ?? 8;
    const claimOf = (kinds: string[], limit: number, batch: boolean) =>
      claim(this.db, { kinds, limit, leaseMs, workerId: this.id, batch });
    try {
      for (const b of this.o.batchHandlers ?? []) {
        while (!this.stopped && this.running < concurrency) {
          const claimed = await claimOf([b.def.kind], b.limit, true);
          if (claimed.length === 0) break;
          this.track(claimed, b.def, (list) => b.run(list));
        }
      }
      const byKind = new Map(this.o.handlers.map((h) => [h.def.kind, h]));
      while (!this.stopped && byKind.size > 0 && this.running < concurrency) {
        const claimed = await claimOf([...byKind.keys()], concurrency - this.running, false);
        if (claimed.length === 0) break;
        for (const job of claimed) {
          const h = byKind.get(job.kind);
          if (h) this.track([job], h.def, async ([j]) => [await settle(() => h.run(j as Job))]);
        }
      }
    } catch (err) {
      this.o.onError?.(undefined, err);
    }
    await this.scheduleNext();
  }

  /** Runs a claimed list and records each job's outcome; the queue never sees an unchecked payload. */
  private track<P>(
    list: Job[],
    def: JobKind<P>,
    run: (jobs: Job<P>[]) => Promise<JobOutcome[]>,
  ): void {
    this.running++;
    const p = (async () => {
      const valid: Job<P>[] = [];
      const outcomes = new Map<Job, JobOutcome>();
      for (const j of list) {
        const parsed = def.schema.safeParse(j.payload);
        if (parsed.success) valid.push({ ...j, payload: parsed.data });
        else outcomes.set(j, { ok: false, error: new MalformedJobError(j, parsed.error.message) });
      }
      if (valid.length > 0) {
        let results: JobOutcome[];
        try {
          results = await run(valid);
        } catch (error) {
          results = valid.map(() => ({ ok: false, error }));
        }
        for (const [i, j] of valid.entries())
          outcomes.set(list.find((x) => x.id === j.id) as Job, results[i] ?? { ok: true });
      }
      await this.record(outcomes);
    })()
      .catch((err) => this.o.onError?.(undefined, err))
      .finally(() => {
        this.running--;
        this.inFlight.delete(p);
        this.wake();
      });
    this.inFlight.add(p);
  }

  /** Done jobs are deleted; failures back off (a batch's together); deferrals wait their turn. */
  private async record(outcomes: Map<Job, JobOutcome>): Promise<void> {
    const done: number[] = [];
    const failed = new Map<unknown, Job[]>();
    for (const [job, r] of outcomes) {
      if (r.ok) done.push(job.id);
      else failed.set(r.error, [...(failed.get(r.error) ?? []), job]);
    }
    await complete(this.db, done, this.id);
    for (const [error, list] of failed) {
      if (error instanceof DeferredError) {
        await defer(this.db, list, Math.max(error.retryAfterMs ?? 0, 50), this.id);
        continue;
      }
      for (const job of list) this.o.onError?.(job, error);
      const delay = this.backoff(Math.max(...list.map((j) => j.attempts)), error);
      await fail(this.db, list, error, delay, this.id);
    }
  }

  private async scheduleNext(): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.wakeTimer);
    const pollMs = this.o.pollMs ?? 5_000;
    let delay = pollMs;
    try {
      const ms = await nextDueInMs(this.db);
      if (ms !== undefined) delay = Math.min(pollMs, Math.max(5, ms + 5));
    } catch {
      // The database may be down: poll again later.
    }
    this.wakeTimer = setTimeout(() => this.wake(), delay);
    this.wakeTimer.unref();
  }

  /** Takes no new job, waits up to `timeoutMs` for those in hand; then gives them back. */
  async stop(timeoutMs = 20_000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.wakeTimer);
    await this.unlisten?.().catch(() => {});
    const all = Promise.allSettled([...this.inFlight]);
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    if (this.inFlight.size > 0) await releaseAll(this.db, this.id).catch(() => {});
  }
}

async function settle(fn: () => Promise<void>): Promise<JobOutcome> {
  try {
    await fn();
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A payload that does not match its kind's schema: never retried (it will not change). */
class MalformedJobError extends AppError {
  constructor(job: Job, detail: string) {
    super("malformed_job", `job #${job.id} (${job.kind}) has a malformed payload: ${detail}`, {
      status: 400,
    });
    this.name = "MalformedJobError";
  }
}
