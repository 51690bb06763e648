// Runs jobs until stopped: wakes on NOTIFY, and otherwise when the next job is due, at the
// latest every `pollMs`. Each kind has a handler (one job at a time) or a batch handler (many
// at a time, e.g. SMS sends, with one outcome per job). Payloads are checked against the kind's
// schema before a handler sees them. `stop()` takes no new job and waits for those in hand.
import { randomUUID } from "node:crypto";
import type { Database } from "../db/database.ts";
import { DeadlineError, withDeadline } from "../db/health.ts";
import { AppError, DeferredError, errorMessage } from "../kernel/errors.ts";
import {
  backoffDelay,
  claim,
  complete,
  defer,
  fail,
  JOBS_CHANNEL,
  type Job,
  type JobKind,
  queueState,
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

/**
 * Work that is no job (the inbox of stored callbacks, src/ingest/inbox.ts): looked at each time the
 * worker wakes, run one round after another (one at a time in this process) while it says more
 * may be waiting. It holds nothing between rounds: a round is a transaction.
 */
export interface Inbox {
  /** A boolean SQL expression (of no parameter): work is due now. */
  due: string;
  /** A timestamptz SQL expression (of no parameter): when work waiting to be tried again becomes due (or null). */
  nextAt: string;
  /** One round; true when more may be waiting at once. */
  run(): Promise<boolean>;
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
  /** Attempts a job gets before it is given up, unless it has its own limit (JOB_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /** Slowest poll, in case a NOTIFY is missed (another process on a dropped connection). */
  pollMs?: number;
  onError?: (job: Job | undefined, err: unknown) => void;
  inbox?: Inbox;
}

export class Worker {
  readonly id = randomUUID();
  private running = 0;
  private stopped = true;
  private wakeTimer: NodeJS.Timeout | undefined;
  private pumping = false;
  /** The look for work in progress (its claims): a stop waits for it. */
  private pumped: Promise<void> = Promise.resolve();
  private again = false;
  private inboxRunning = false;
  /** An inbox round just ended: the next look for work claims single jobs at once. */
  private afterInbox = false;
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

  /**
   * Callbacks were just stored: the inbox's round starts at once, without first asking the
   * database what is due (one round trip less before a callback reaches its thread; bench figure
   * 3). A round already running leaves them to the look for work that follows it.
   */
  stored(): void {
    if (this.stopped) return;
    if (this.o.inbox && !this.inboxRunning) this.runInbox();
    else this.wake();
  }

  /** Looks for work now. */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    this.pumped = this.pump().finally(() => {
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
    let next: number | undefined;
    try {
      next = await this.guard(this.pumpOnce(), STUCK_MS, "looking for jobs");
    } catch (err) {
      this.o.onError?.(undefined, err);
    }
    this.scheduleNext(next);
  }

  /** Claims what is due and starts it; resolves to when the next job becomes due. */
  private async pumpOnce(): Promise<number | undefined> {
    const leaseMs = this.o.leaseMs ?? 60_000;
    const concurrency = this.o.concurrency ?? 8;
    const alone = this.o.database.kind === "pglite";
    const claimOf = (kinds: string[], limit: number, batch: boolean) =>
      claim(this.o.database, {
        kinds,
        limit,
        leaseMs,
        workerId: this.id,
        maxAttempts: this.o.maxAttempts ?? 10,
        batch,
        alone,
      });
    const batches = this.o.batchHandlers ?? [];
    const all = [...batches.map((b) => b.def.kind), ...this.o.handlers.map((h) => h.def.kind)];
    // Right after an inbox round, which queued the posts of what it acted on, those are claimed
    // while the queue's state is read rather than after it: one round trip less before a post.
    // A slot stays free for each batch kind (SMS sends go first, as below).
    const early = this.afterInbox ? concurrency - this.running - batches.length : 0;
    this.afterInbox = false;
    const [{ due, otherDue, nextInMs }, claimedEarly] = await Promise.all([
      queueState(this.o.database, all, this.o.inbox),
      early > 0 && this.o.handlers.length > 0
        ? claimOf(
            this.o.handlers.map((h) => h.def.kind),
            early,
            false,
          )
        : [],
    ]);
    this.startJobs(claimedEarly);
    if (otherDue) this.runInbox();
    for (const b of batches) {
      while (!this.stopped && due.has(b.def.kind) && this.running < concurrency) {
        const claimed = await claimOf([b.def.kind], b.limit, true);
        if (claimed.length > 0) this.track(claimed, b.def, (list) => b.run(list));
        // Fewer than asked: nothing else is due now (or it waits behind its key).
        if (claimed.length < b.limit) break;
      }
    }
    const byKind = new Map(
      this.o.handlers.filter((h) => due.has(h.def.kind)).map((h) => [h.def.kind, h]),
    );
    while (!this.stopped && byKind.size > 0 && this.running < concurrency) {
      const limit = concurrency - this.running;
      const claimed = await claimOf([...byKind.keys()], limit, false);
      this.startJobs(claimed);
      if (claimed.length < limit) break;
    }
    return nextInMs;
  }

  /** Starts claimed single jobs, each with its kind's handler. */
  private startJobs(claimed: Job[]): void {
    for (const job of claimed) {
      const h = this.o.handlers.find((x) => x.def.kind === job.kind);
      if (h) this.track([job], h.def, async ([j]) => [await settle(() => h.run(j as Job))]);
    }
  }

  /**
   * Work on the database that never ends is given up after `ms`, rather than keep this worker
   * waiting forever; `reset` also replaces the pool, whose connections are suspect, and ends the
   * backends its statements were in flight on. The last resort: a connection that went silent (a
   * NAT or a failover forgot it, and TCP says so only after minutes) is found in about 2 s by
   * the pool's stall watch (src/db/stall.ts), which retires the pool; the statement in flight
   * fails, and with it this work. What was in hand is safe: a job's lease runs out and it is
   * taken again; a round of the inbox is a transaction.
   */
  private guard<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
    return withDeadline(work, ms, what).catch((err) => {
      if (err instanceof DeadlineError) this.o.database.reset?.();
      throw err;
    });
  }

  /** Runs the inbox's rounds until it has nothing more at once; then looks for work again. */
  private runInbox(): void {
    const inbox = this.o.inbox;
    if (!inbox || this.inboxRunning) return;
    this.inboxRunning = true;
    this.running++;
    const p = (async () => {
      while (!this.stopped && (await this.guard(inbox.run(), STUCK_MS, "inbox round")));
    })()
      .catch((err) => this.o.onError?.(undefined, err))
      .finally(() => {
        this.inboxRunning = false;
        this.running--;
        this.inFlight.delete(p);
        this.afterInbox = true;
        this.wake();
      });
    this.inFlight.add(p);
  }

  /** Runs a claimed list and records each job's outcome; the queue never sees an unchecked payload. */
  private track<P>(
    list: Job[],
    def: JobKind<P>,
    run: (jobs: Job<P>[]) => Promise<JobOutcome[]>,
  ): void {
    // Claimed while stopping: not begun; the stop gives them back (releaseAll).
    if (this.stopped) return;
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
      await this.guard(this.record(outcomes), STUCK_MS, "recording outcomes");
    })()
      .catch((err) => this.o.onError?.(undefined, err))
      .finally(() => {
        this.running--;
        this.inFlight.delete(p);
        this.wake();
      });
    this.inFlight.add(p);
  }

  /**
   * Records outcomes; when the database is briefly unreachable, tries again a few times (each
   * statement only touches jobs still leased to this worker, so a repeat changes nothing twice)
   * rather than leave the jobs running until their lease runs out: a stored callback would wait
   * that long to reach its thread.
   */
  private async record(outcomes: Map<Job, JobOutcome>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.recordOnce(outcomes);
        return;
      } catch (err) {
        if (this.stopped || attempt >= RECORD_RETRIES.length) throw err;
        await new Promise((r) => setTimeout(r, RECORD_RETRIES[attempt]));
      }
    }
  }

  /** Done jobs are deleted; failures back off (a batch's together); deferrals wait their turn. */
  private async recordOnce(outcomes: Map<Job, JobOutcome>): Promise<void> {
    const done: number[] = [];
    const failed = new Map<unknown, Job[]>();
    for (const [job, r] of outcomes) {
      if (r.ok) done.push(job.id);
      else failed.set(r.error, [...(failed.get(r.error) ?? []), job]);
    }
    await complete(this.db, done, this.id);
    for (const [error, list] of failed) {
      if (error instanceof DeferredError) {
        const why = errorMessage(error);
        await defer(this.db, list, Math.max(error.retryAfterMs ?? 0, 50), this.id, why);
        continue;
      }
      for (const job of list) this.o.onError?.(job, error);
      const delay = this.backoff(Math.max(...list.map((j) => j.attempts)), error);
      await fail(this.db, list, error, delay, this.id, this.o.maxAttempts ?? 10);
    }
  }

  /**
   * The timer for the next job that becomes due (or lease that runs out), at the latest every
   * `pollMs`; jobs in hand wake the worker when they end. Unknown (the database down): poll.
   */
  private scheduleNext(nextInMs: number | undefined): void {
    if (this.stopped) return;
    clearTimeout(this.wakeTimer);
    const pollMs = this.o.pollMs ?? 5_000;
    const delay = nextInMs === undefined ? pollMs : Math.min(pollMs, Math.max(5, nextInMs + 5));
    this.wakeTimer = setTimeout(() => this.wake(), delay);
    this.wakeTimer.unref();
  }

  /** Takes no new job, waits up to `timeoutMs` for those in hand; then gives them back. */
  async stop(timeoutMs = 20_000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.wakeTimer);
    await this.unlisten?.().catch(() => {});
    const deadline = new Promise((r) => setTimeout(r, timeoutMs).unref());
    // A claim in progress ends first: what it takes is then either begun (in hand, waited for
    // below) or left unbegun (given back below). Before, a stop during a claim ended the process
    // with the claimed jobs running on a lease nobody held: a minute before another took them.
    await Promise.race([this.pumped, deadline]);
    await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
    // Whatever this worker still holds (unbegun, or still in hand past the deadline) goes back.
    await releaseAll(this.db, this.id).catch(() => {});
  }
}

/**
 * The most a step of the worker on the database may take (claiming, a round of the inbox,
 * recording outcomes): above the server's statement timeout (15 s) and a connect (3 s).
 */
const STUCK_MS = 30_000;

/** Waits before each new try at recording outcomes (ms): about 6 s in all. */
const RECORD_RETRIES = [200, 400, 800, 1600, 3200];

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
