// Connections that stopped answering. A statement sent over a connection that a NAT or a load
// balancer forgot (no reset, no answer) waits for ever: TCP says nothing for minutes (its
// keep-alive only runs on an idle connection, and unacknowledged data is retried for ~15
// minutes), and Postgres keeps the backend at the other end waiting for its client, with every
// lock its transaction holds; a backend caught between two messages of one statement (drizzle
// describes a statement, then runs it) is "active", so neither statement_timeout nor
// idle_in_transaction_session_timeout ends it.
// The watch looks at the statements in flight on the pool. One that has waited `suspectMs` is
// looked up in pg_stat_activity, over a connection that is not the pool's (`inspect`):
// - its backend is waiting for its client (ClientRead) for as long, or is gone: the link is
//   half-open, each side waiting for the other. Seen again at the next look (`confirmMs` later,
//   the same backend state since the same moment), the pool is retired: a new one takes over,
//   what was in flight on the old one fails as a dropped connection does (a callback 503s, a
//   round of the worker is tried again), and the backends it was in flight on are ended
//   (pg_terminate_backend, by whoever retires the pool: END_ALL): their transactions roll
//   back, their locks are freed.
// - it waits for a lock held by a session of a role whose privileges we have, in a transaction,
//   waiting for its client for `orphanMs` (still so at the next look): that session is ended. An orphan (a
//   process that died with its connection half-open, or a session on a link gone elsewhere)
//   must not hold a lock for ever, even over a restart.
// pg_terminate_backend needs the privileges of the backend's role (being it, or a member that
// inherits it: pg_has_role 'usage'), or pg_signal_backend; a superuser's backend only a
// superuser may end. A refusal is logged and the watch goes on.

/** What postgres.js says of a connection: its backend's pid (null until it is known). */
export interface Backend {
  pid: number | null;
}

/** A postgres.js query: `state` is its connection's backend once the query was sent. */
export interface Watched {
  state?: Backend | null;
}

export interface StallOptions {
  /** Runs a statement over a connection that is not the pool's, with a deadline of its own. */
  inspect<T>(text: string, params: unknown[]): Promise<T[]>;
  /** Retires the pool: a new one takes over; what is in flight on it fails. */
  retire(reason: string): void;
  /** Said when a backend is ended or the pool retired (warn), or an end is refused (error). */
  say?(level: "warn" | "error", fields: Record<string, unknown>, message: string): void;
  /** A statement in flight this long is looked up on the server. */
  suspectMs?: number;
  /** A verdict holds only if the next look, at least this much later, finds the same. */
  confirmMs?: number;
  /** A lock holder waiting for its client this long, in its transaction, is an orphan. */
  orphanMs?: number;
  /** How often the statements in flight are looked at. */
  tickMs?: number;
}

interface Entry {
  backend: () => Backend | null | undefined;
  since: number;
}

type Row = {
  pid: number;
  mine: boolean;
  state: string | null;
  wait_event_type: string | null;
  wait_event: string | null;
  in_xact: boolean;
  since: string | null;
  silent_ms: number | null;
  may_end: boolean;
  app: string | null;
};

/**
 * Our backends among $1, and the backends that block them (pg_blocking_pids: the holders of the
 * locks they wait for). One snapshot of pg_stat_activity serves both.
 */
const INSPECT = `with mine as (
    select a.pid, pg_blocking_pids(a.pid) as blockers from pg_stat_activity a
    where a.pid = any($1::int[]))
  select a.pid, a.pid = any($1::int[]) as mine, a.state, a.wait_event_type, a.wait_event,
    a.xact_start is not null as in_xact, a.state_change::text as since,
    (extract(epoch from now() - a.state_change) * 1000)::int as silent_ms,
    coalesce(pg_has_role(a.usesysid, 'usage'), false) as may_end, a.application_name as app
  from pg_stat_activity a
  where a.pid = any($1::int[]) or a.pid in (select unnest(m.blockers) from mine m)`;

/** Watched no longer than this (see tick). */
const FORGET_MS = 60_000;

const END_ONE = "select pg_terminate_backend($1::int) as ended";

/**
 * Ends the backends among $1 (ours: the pool given up had statements in flight on them). Our
 * side of those connections is closed with the pool, but over a link that went silent the
 * server would never hear it: a backend caught mid-transaction would keep its locks.
 */
export const END_ALL = `select count(*) filter (where pg_terminate_backend(p))::int as ended
  from unnest($1::int[]) p where p <> pg_backend_pid()`;

export class StallWatch {
  private readonly live = new Set<Entry>();
  private timer: NodeJS.Timeout | undefined;
  private looking = false;
  /** Verdicts of the last look: key (what, pid, since) → when first seen. */
  private seen = new Map<string, number>();
  private readonly suspectMs: number;
  private readonly confirmMs: number;
  private readonly orphanMs: number;
  private readonly tickMs: number;

  constructor(private readonly o: StallOptions) {
    this.suspectMs = o.suspectMs ?? 1000;
    this.confirmMs = o.confirmMs ?? 500;
    this.orphanMs = o.orphanMs ?? 5000;
    this.tickMs = o.tickMs ?? 250;
  }

  /**
   * Watches a postgres.js query until it settles; returns it as it is. Only the base promise's
   * `then` is used: a postgres.js query starts when its own `then` is called, by its caller.
   */
  track<Q extends Watched & PromiseLike<unknown>>(q: Q): Q {
    const end = this.hold(() => q.state);
    Promise.prototype.then.call(q, end, end);
    return q;
  }

  /** Watches work on the connection `backend` names, until the function returned is called. */
  hold(backend: () => Backend | null | undefined): () => void {
    const e: Entry = { backend, since: performance.now() };
    this.live.add(e);
    this.timer ??= setInterval(() => void this.tick(), this.tickMs).unref();
    // The timer stops at the first tick that finds nothing in flight (not at each statement's
    // end: under load that would make and clear a timer per statement).
    return () => void this.live.delete(e);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.seen.clear();
  }

  private async tick(): Promise<void> {
    if (this.looking) return;
    if (this.live.size === 0) {
      this.stop();
      return;
    }
    const now = performance.now();
    const pids = new Set<number>();
    for (const e of this.live) {
      // A minute is past every deadline of the pool (statement_timeout 15 s, the worker's 30 s):
      // what is still here then was never sent, or was given up; it is not watched for ever.
      if (now - e.since > FORGET_MS) {
        this.live.delete(e);
        continue;
      }
      const pid = e.backend()?.pid;
      if (typeof pid === "number" && now - e.since >= this.suspectMs) pids.add(pid);
    }
    if (pids.size === 0) {
      this.seen.clear();
      return;
    }
    this.looking = true;
    try {
      await this.look([...pids], now);
    } catch {
      // The other connection got no answer either: the health probe says the rest.
    } finally {
      this.looking = false;
    }
  }

  private async look(pids: number[], now: number): Promise<void> {
    const rows = await this.o.inspect<Row>(INSPECT, [pids]);
    const found = new Map(rows.map((r) => [r.pid, r]));
    const seen = new Map<string, number>();
    const stranded: Row[] = [];
    const gone: number[] = [];
    const orphans: Row[] = [];
    /** True when the same verdict was reached at a look at least confirmMs ago. */
    const confirmed = (key: string) => {
      const first = this.seen.get(key) ?? now;
      seen.set(key, first);
      return now - first >= this.confirmMs;
    };
    for (const pid of pids) {
      const r = found.get(pid);
      if (!r) {
        if (confirmed(`gone:${pid}`)) gone.push(pid);
        continue;
      }
      const silent = r.silent_ms ?? 0;
      if (r.wait_event === "ClientRead" && silent >= this.suspectMs) {
        if (confirmed(`stranded:${pid}:${r.since}`)) stranded.push(r);
      }
    }
    for (const r of rows) {
      if (r.mine || !r.may_end || !r.in_xact || r.wait_event !== "ClientRead") continue;
      if ((r.silent_ms ?? 0) < this.orphanMs) continue;
      if (confirmed(`orphan:${r.pid}:${r.since}`)) orphans.push(r);
    }
    this.seen = seen;
    for (const r of orphans) await this.end(r);
    // Only what is still in flight now: a statement that ended during the look was answered.
    const still = new Set(this.backendsInFlight());
    const lost = stranded.filter((r) => still.has(r.pid));
    if (lost.length > 0 || gone.some((pid) => still.has(pid))) {
      this.o.say?.(
        "warn",
        {
          stranded: lost.map((r) => ({ pid: r.pid, state: r.state, silentMs: r.silent_ms })),
          gone,
        },
        "database connection stopped answering: pool retired, new connections take over",
      );
      this.seen.clear();
      this.o.retire("a connection stopped answering");
    }
  }

  /** The backends of the statements in flight now (known once a statement was sent). */
  backendsInFlight(): number[] {
    const pids = new Set<number>();
    for (const e of this.live) {
      const pid = e.backend()?.pid;
      if (typeof pid === "number") pids.add(pid);
    }
    return [...pids];
  }

  private async end(r: Row): Promise<void> {
    const fields = {
      pid: r.pid,
      state: r.state,
      silentMs: r.silent_ms,
      application: r.app,
    };
    try {
      await this.o.inspect(END_ONE, [r.pid]);
      this.o.say?.(
        "warn",
        fields,
        "backend holding a lock we wait for, silent in its transaction: ended",
      );
    } catch (err) {
      this.o.say?.(
        "error",
        { ...fields, err: err instanceof Error ? err.message : String(err) },
        "could not end a silent backend (pg_terminate_backend needs its role)",
      );
    }
  }
}

/** A postgres.js instance or transaction scope, as far as the watch needs it. */
interface Scope {
  unsafe: (...args: never[]) => Watched & PromiseLike<unknown>;
  savepoint?: (...args: never[]) => Promise<unknown>;
  begin?: (...args: never[]) => Promise<unknown>;
}

/**
 * Watches every statement of a postgres.js pool: its `unsafe` (drizzle's only way in, and how
 * postgres.js itself sends `begin`), and in each transaction, savepoints included, its statements
 * and the commit or rollback that ends it. Returns the pool.
 */
export function watchPool<S>(sql: S, watch: StallWatch): S {
  const pool = sql as unknown as Scope;
  hookUnsafe(pool, watch);
  if (pool.begin) pool.begin = scoped(pool.begin, watch);
  return sql;
}

function hookUnsafe(scope: Scope, watch: StallWatch, onQuery?: (q: Watched) => void): void {
  const unsafe = scope.unsafe;
  scope.unsafe = ((...args: never[]) => {
    const q = watch.track(unsafe(...args));
    onQuery?.(q);
    return q;
  }) as never;
}

/**
 * `begin(fn)`, `begin(options, fn)`, `savepoint(fn)`, `savepoint(name, fn)` with `fn`'s scope
 * watched; once `fn` is done, the commit (or rollback) that follows is watched too, on the
 * connection the scope's statements used, until the scope settles.
 */
function scoped(
  open: (...args: never[]) => Promise<unknown>,
  watch: StallWatch,
): (...args: never[]) => Promise<unknown> {
  return (...args: never[]) => {
    const i = args.findIndex((a) => typeof a === "function");
    if (i < 0) return open(...args);
    const fn = args[i] as unknown as (scope: Scope) => unknown;
    let release = () => {};
    // The scope may settle first (its connection closed under it): then nothing is held.
    let settledYet = false;
    const out = [...args];
    out[i] = (async (scope: Scope) => {
      let last: Watched | undefined;
      hookUnsafe(scope, watch, (q) => {
        last = q;
      });
      if (scope.savepoint) scope.savepoint = scoped(scope.savepoint, watch);
      try {
        return await fn(scope);
      } finally {
        const q = last;
        if (q && !settledYet) release = watch.hold(() => q.state);
      }
    }) as never;
    const settled = open(...out);
    const end = () => {
      settledYet = true;
      release();
    };
    settled.then(end, end);
    return settled;
  };
}
