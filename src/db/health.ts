// Is the database there? Requests that need it fail fast with 503 while it is known to be
// unreachable, rather than queueing behind a dead connection; a probe finds out when it is back.
import { AppError, errorMessage } from "../kernel/errors.ts";

/** The database cannot be reached (or is overloaded) right now: try again later. 503. */
export class DatabaseUnavailableError extends AppError {
  constructor(message = "database unavailable", cause?: unknown) {
    super("database_unavailable", message, { status: 503, retryable: true, cause });
    this.name = "DatabaseUnavailableError";
  }
}

/** Node socket errors and postgres.js connection errors: the link to the database is gone. */
const LINK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/**
 * SQLSTATEs that mean "not now" rather than "never": connection exceptions (08), insufficient
 * resources (53), operator intervention (57: shutdown, statement timeout), transaction rollback
 * (40: serialization failure, deadlock).
 */
const TRANSIENT_SQLSTATE = /^(08|53|57|40)/;

/** True when `err` (or one of its causes) says the database is unreachable or only busy. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof DatabaseUnavailableError) return true;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === "string" && (LINK_CODES.has(code) || TRANSIENT_SQLSTATE.test(code)))
      return true;
    if (typeof message === "string" && /PGlite is closed/i.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The SQLSTATE of a database error about a value it cannot store (22xxx: data exception). */
export function dataErrorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Work that got no answer from the database within its deadline (withDeadline). */
export class DeadlineError extends DatabaseUnavailableError {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = "DeadlineError";
  }
}

/**
 * Work that waited its budget while no probe of the database answered: this request gets its
 * 503 now, whatever the probe still out finds. 503.
 */
export class NotAnsweringError extends DatabaseUnavailableError {
  constructor(ms: number) {
    super(`database not answering within ${ms} ms`);
    this.name = "NotAnsweringError";
  }
}

export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

export interface HealthOptions {
  /** A cheap query (`select 1`). */
  probe: () => Promise<unknown>;
  /** How long a probe may take before the database counts as unreachable. */
  probeTimeoutMs?: number;
  /** How often to probe while it is down. */
  retryMs?: number;
  onChange?: (up: boolean, reason: string) => void;
}

export class DatabaseHealth {
  private down = false;
  private probing: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** When a probe last answered (performance.now()). */
  private answeredAt = Number.NEGATIVE_INFINITY;
  /** Work waiting in `await`, told at once when the database is found down. */
  private readonly waiting = new Set<() => void>();

  constructor(private readonly o: HealthOptions) {}

  /** False while the database is known to be unreachable. */
  get up(): boolean {
    return !this.down;
  }

  /** Throws a DatabaseUnavailableError at once while the database is known to be down. */
  assertUp(): void {
    if (this.down) throw new DatabaseUnavailableError();
  }

  /** Something that needed the database failed: if it was the database, start probing. */
  report(err: unknown): void {
    if (!isDatabaseUnavailable(err)) return;
    // Down at once, so the requests behind this one are refused without waiting; the probe
    // (now, then every `retryMs`) puts it back up as soon as the database answers.
    this.set(false, errorMessage(err));
    void this.check();
  }

  /** Probes now (one probe at a time); resolves to whether the database answered. */
  check(): Promise<boolean> {
    this.probing ??= (async () => {
      try {
        await withDeadline(this.o.probe(), this.o.probeTimeoutMs ?? 500, "health probe");
        this.answeredAt = performance.now();
        this.set(true, "probe answered");
        return true;
      } catch (err) {
        this.set(false, errorMessage(err));
        return false;
      } finally {
        this.probing = undefined;
      }
    })();
    return this.probing;
  }

  /**
   * Waits for work that needs the database. Past `patienceMs` the database is probed (the probe
   * has `probeTimeoutMs`): answering, the wait goes on (slow is not gone), probed again every
   * `patienceMs`; not answering, the database is down and a DatabaseUnavailableError thrown.
   * Whoever finds the database down (this probe, another request's failure) ends every such
   * wait at once: work queued behind a silent connection is not left to run out its own
   * patience. Past `budgetMs`, when no probe has answered since this wait began, this wait
   * alone ends with a NotAnsweringError (the database is not marked down for it: the probe
   * decides that): the caller's answer stays within its budget while a probe is still out.
   * A failure that says the database is gone marks it down.
   */
  async await<T>(
    work: Promise<T>,
    patienceMs: number,
    budgetMs = Number.POSITIVE_INFINITY,
  ): Promise<T> {
    if (!Number.isFinite(patienceMs)) {
      try {
        return await work;
      } catch (err) {
        this.report(err);
        throw err;
      }
    }
    const began = performance.now();
    const late = Symbol("late");
    let timer: NodeJS.Timeout | undefined;
    let downed: (() => void) | undefined;
    const gone = new Promise<never>((_, reject) => {
      downed = () => reject(new DatabaseUnavailableError("database not answering"));
    });
    gone.catch(() => {});
    if (downed) this.waiting.add(downed);
    let nextProbe = began + patienceMs;
    let budgetEnd = began + budgetMs;
    try {
      for (;;) {
        const wake = Math.min(nextProbe, budgetEnd) - performance.now();
        const r = await Promise.race([
          work,
          gone,
          new Promise<typeof late>((resolve) => {
            timer = setTimeout(() => resolve(late), Math.max(0, wake));
          }),
        ]).finally(() => clearTimeout(timer));
        if (r !== late) return r as T;
        const now = performance.now();
        if (now >= budgetEnd) {
          if (this.answeredAt < began) throw new NotAnsweringError(budgetMs);
          budgetEnd = Number.POSITIVE_INFINITY; // it answers: slow is not gone
        }
        if (now >= nextProbe) {
          // Slow: is the database still there? The work may end while the probe runs.
          void this.check();
          nextProbe = now + patienceMs;
        }
      }
    } catch (err) {
      if (!(err instanceof NotAnsweringError)) this.report(err);
      throw err;
    } finally {
      if (downed) this.waiting.delete(downed);
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private set(up: boolean, reason: string): void {
    if (this.down === !up) {
      if (!up) this.schedule();
      return;
    }
    this.down = !up;
    this.o.onChange?.(up, reason);
    if (!up) {
      for (const end of [...this.waiting]) end();
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), this.o.retryMs ?? 200);
    this.timer.unref();
  }
}
