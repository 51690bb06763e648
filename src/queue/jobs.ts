// The durable job queue: with overview.ts (what ops see of it), the only code that touches the
// jobs table. A job is written in the caller's transaction, so it exists exactly when the fact
// that caused it does. Workers (worker.ts) claim due jobs with FOR UPDATE SKIP LOCKED and a lease; jobs sharing
// an ordering key run strictly one after another in id order. A failure backs off and uses up an
// attempt; a deferral (waiting for a rate limit or a pacer) and a lease that ran out (a crashed
// worker) do not. After its last attempt, or a permanent failure, a job stays as `dead`.
import { type SQL, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Database, Db } from "../db/database.ts";
import { rowsOf } from "../db/database.ts";
import { AppError, errorMessage, isPermanent } from "../kernel/errors.ts";

export const JOBS_CHANNEL = "ardary_bridge_jobs";

/** A kind of job and the schema of its payload: payloads are checked when claimed, never cast. */
export interface JobKind<P> {
  kind: string;
  schema: z.ZodType<P>;
}

export function defineJob<P>(kind: string, schema: z.ZodType<P>): JobKind<P> {
  return { kind, schema };
}

export interface NewJob {
  kind: string;
  orderingKey?: string | null;
  payload: unknown;
  runAt?: Date;
  /** Attempts before it is given up; absent: the worker's limit (JOB_MAX_ATTEMPTS). */
  maxAttempts?: number;
}

/** A job of a known kind, ready for `enqueue`. */
export function job<P>(
  def: JobKind<P>,
  payload: P,
  o: { orderingKey?: string; runAt?: Date } = {},
): NewJob {
  return { kind: def.kind, payload, ...o };
}

export interface Job<P = unknown> {
  id: number;
  kind: string;
  orderingKey: string | null;
  payload: P;
  attempts: number;
  /** Its own attempt limit; null: the limit of the worker that runs it (JOB_MAX_ATTEMPTS). */
  maxAttempts: number | null;
  /** Its previous lease ran out: a crashed worker may have done part of its work. */
  resumed?: boolean;
}

/** Pending or running jobs of a kind, other than `except` (a self-renewing job checks it). */
export async function countLive(db: Db, kind: string, except = 0): Promise<number> {
  const rows = rowsOf<{ n: number }>(
    await db.execute(
      sql`select count(*)::int as n from jobs where kind = ${kind} and state <> 'dead' and id <> ${except}`,
    ),
  );
  return Number(rows[0]?.n ?? 0);
}

/** Enqueues in the given transaction (or connection); workers are woken when it commits. */
export async function enqueue(tx: Db, ...list: NewJob[]): Promise<void> {
  if (list.length === 0) return;
  const rows = list.map((j, n) => ({
    n,
    kind: j.kind,
    ordering_key: j.orderingKey ?? null,
    payload: j.payload,
    run_at: j.runAt ?? null,
    max_attempts: j.maxAttempts ?? null,
  }));
  // One statement of the same text whatever the number of jobs, so it is prepared once per
  // connection and runs in one round trip (src/db/pg-prepare.ts); before, a row of parameters
  // per job made it a new statement each time, and the NOTIFY was a second one. The jobs are
  // inserted in the order given: their ids are the order of a key's jobs. Without a time, a job
  // is due now (the database's clock). The NOTIFY wakes the workers when the transaction commits.
  await tx.execute(sql`with added as (
      insert into jobs (kind, ordering_key, payload, run_at, max_attempts)
      select r.kind, r.ordering_key, r.payload, coalesce(r.run_at, now()), r.max_attempts
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(n int, kind text,
        ordering_key text, payload jsonb, run_at timestamptz, max_attempts int)
      order by r.n
      returning 1)
    select pg_notify(${sql.raw(`'${JOBS_CHANNEL}'`)}, '')`);
}

/**
 * Wakes the workers after jobs were committed, from outside the transaction that wrote them.
 * A NOTIFY inside a transaction takes a database-wide lock from the start of its commit until
 * its WAL is flushed, so transactions that notify commit one at a time, each waiting for its own
 * fsync: on the callback path that would undo the group commit. Here the NOTIFY is a statement
 * of its own (nothing to flush), one at a time: calls while one is in flight make one more after
 * it. `everyMs`: at most one NOTIFY in that time, the calls in between making one at its end (a
 * process whose own worker is woken directly: the others' are helpers, woken a little later,
 * rather than a statement for every batch of callbacks). A NOTIFY that is lost (a crash, the
 * database gone) costs a poll interval, no job.
 */
export function jobsNotifier(database: Database, everyMs = 0): () => void {
  let inFlight = false;
  let again = false;
  let lastAt = Number.NEGATIVE_INFINITY;
  const send = (): void => {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    const wait = lastAt + everyMs - Date.now();
    const go = () => {
      // The calls made while it waited are answered by this one.
      again = false;
      lastAt = Date.now();
      void database
        .notify(JOBS_CHANNEL)
        .catch(() => {})
        .finally(() => {
          inFlight = false;
          if (again) send();
        });
    };
    if (wait > 0) setTimeout(go, wait).unref();
    else go();
  };
  return send;
}

export interface ClaimOptions {
  kinds: string[];
  limit: number;
  leaseMs: number;
  workerId: string;
  /** The worker's attempt limit, given to the jobs that have none of their own (default 10). */
  maxAttempts?: number;
  /**
   * Batch mode: a job may be claimed together with its due, pending predecessors of the same
   * key (they are claimed in the same batch, ahead of it). Claims of one kind are serialised by
   * an advisory lock so that two batches never split one key's jobs.
   */
  batch?: boolean;
  /**
   * Only this process claims, one claim at a time (PGlite: one process per database, and a
   * worker's claims are sequential): batch claims need no advisory lock then.
   */
  alone?: boolean;
}

type JobRow = {
  id: string | number;
  kind: string;
  ordering_key: string | null;
  payload: unknown;
  attempts: number;
  max_attempts: number | null;
  resumed?: boolean;
};

const ids = (list: number[]) =>
  sql.join(
    list.map((id) => sql`${id}`),
    sql`, `,
  );

function toJob(r: JobRow): Job {
  return {
    id: Number(r.id),
    kind: r.kind,
    orderingKey: r.ordering_key,
    payload: r.payload,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    resumed: r.resumed === true,
  };
}

/**
 * What a worker needs to know when it wakes, in one prepared statement: the kinds among `kinds`
 * that have a job due (or a lease run out), one indexed look-up per kind (a lateral probe: as an
 * `exists`, its generic plan read every due job of every kind by a bitmap scan and joined them,
 * 2.3 ms a wake under bench figure 7's load, now 0.25), so that it claims only
 * those; whether `other` work (the inbox of callbacks) is due; and the milliseconds until the
 * next job or other work becomes due or a lease runs out (undefined when none), for its timer:
 * one probe of jobs_due per kind and one of jobs_leases (before, every queued job was read: 1.5 ms
 * a wake with 5,000 queued, bench figure 7; and it was planned anew at each wake, 0.4 ms).
 * A kind listed may still claim nothing (its due jobs wait behind their key: the job ahead of
 * them wakes the worker when it ends).
 */
export async function queueState(
  database: Database,
  kinds: string[],
  other?: { due: string; nextAt: string },
): Promise<{ due: Set<string>; otherDue: boolean; nextInMs: number | undefined }> {
  // The same text at every wake of a worker ($1: its kinds), prepared once per connection.
  const [row] = await database.query<{
    due: string | null;
    other: boolean | null;
    ms: number | string | null;
  }>(
    `select
      array_to_string(array(select k.kind from unnest($1::text[]) as k(kind) cross join lateral (
        select 1 from jobs j where ${takeable("j.kind = k.kind")} limit 1) d), ',') as due,
      ${other ? other.due : "false"} as other,
      extract(epoch from (least(
        (select min(n.t) from unnest($1::text[]) as k(kind) cross join lateral (
          select j.run_at as t from jobs j where j.kind = k.kind and j.state <> 'dead'
            and j.run_at > now() order by j.run_at limit 1) n),
        (select min(lease_until) from jobs where state = 'running' and lease_until > now()),
        ${other ? other.nextAt : "null::timestamptz"}) - now())) * 1000 as ms`,
    [kinds],
    "pool",
  );
  return {
    due: new Set(row?.due ? row.due.split(",") : []),
    otherDue: row?.other === true,
    nextInMs: row?.ms === null || row?.ms === undefined ? undefined : Number(row.ms),
  };
}

/** Claims up to `limit` due jobs, in id order, respecting each ordering key's order. */
export async function claim(database: Database, o: ClaimOptions): Promise<Job[]> {
  const rows = o.batch
    ? await claimBatch(database.db, o)
    : await database.query<JobRow>(
        CLAIM_FIRSTS,
        [o.kinds, o.limit, o.workerId, o.leaseMs / 1000, o.maxAttempts ?? 10],
        "pool",
      );
  return rows.map(toJob).sort((a, b) => a.id - b.id);
}

/** Due jobs looked at in id order before every key's first job is looked up instead. */
const WINDOW = 64;

/** Of a job `j` of an ordering key: it is its key's first live job (one probe of jobs_ordering). */
const FIRST_OF_KEY = (
  j: string,
) => `(${j}.ordering_key is null or ${j}.id = (select p.id from jobs p
  where p.ordering_key = ${j}.ordering_key and p.state <> 'dead' order by p.id limit 1))`;

/** A job `j` (of the kinds `kind` says) that may be taken: due and pending, or on a lease run out. */
const takeable = (kind: string) => `${kind} and j.run_at <= now() and j.state <> 'dead'
  and (j.state = 'pending' or (j.state = 'running' and j.lease_until < now()))`;

/** A job `j` of the kinds claimed ($1) that may be taken. */
const DUE = takeable("j.kind = any($1::text[])");

/**
 * Claims single jobs ($1 kinds, $2 limit, $3 worker, $4 lease in seconds, $5 attempt limit of the
 * jobs that have none): the due jobs that are the first live job of their key (or have none), in
 * id order. One prepared statement, whose cost does not grow with the jobs queued behind others:
 * - the first WINDOW due jobs in id order are looked at; they hold the answer unless the window
 *   is full and fewer than asked are first of their key;
 * - then (jobs queued behind a key whose first job runs, or waits for a rate limit) each key's
 *   first live job is found by a skip scan of jobs_ordering, one probe per key, and the due jobs
 *   of no key by jobs_unordered; those are looked at.
 * Those few are then taken in id order, each read by its primary key and locked, until enough
 * are (a plan that holds whatever the planner believes of a table that grew since it was last
 * analysed: it would rather read every due job by jobs_due).
 * Before, every due job was looked at, with a probe of its key: with 5,000 chat posts queued
 * behind 100 rate-limited channels, a claim took 12 ms of the database (bench figure 7), now 1.
 * A job whose lease ran out was not failed by its handler: taking it again is no new attempt.
 */
const CLAIM_FIRSTS = `
  with recursive earliest as (
    select j.id, j.ordering_key from jobs j where ${DUE} order by j.id limit ${WINDOW}
  ),
  beyond as (
    select count(*) = ${WINDOW} and count(*) filter (where ${FIRST_OF_KEY("j")}) < $2 as needed
    from earliest j
  ),
  firsts(key, id) as (
    (select p.ordering_key, p.id from jobs p
      where (select needed from beyond) and p.state <> 'dead' and p.ordering_key is not null
      order by p.ordering_key, p.id limit 1)
    union all
    select n.ordering_key, n.id from firsts f cross join lateral (
      select p.ordering_key, p.id from jobs p where p.state <> 'dead' and p.ordering_key > f.key
      order by p.ordering_key, p.id limit 1) n
  ),
  unordered as (
    select j.id from jobs j
    where (select needed from beyond) and j.ordering_key is null and ${DUE}
    order by j.id limit $2
  ),
  candidates as (
    select c.id, c.resumed
    from unnest(array(select id from earliest union select id from firsts
        union select id from unordered order by id)) as p(id)
    cross join lateral (
      select j.id, j.state = 'running' as resumed from jobs j
      where j.id = p.id and ${DUE} and ${FIRST_OF_KEY("j")}
      for update skip locked) c
    limit $2
  )
  update jobs set
    attempts = jobs.attempts + case when jobs.state = 'running' then 0 else 1 end,
    state = 'running', locked_by = $3, lease_until = now() + make_interval(secs => $4::float8)
  from candidates where jobs.id = candidates.id
  returning jobs.id, jobs.kind, jobs.ordering_key, jobs.payload, jobs.attempts,
    coalesce(jobs.max_attempts, $5::int) as max_attempts, candidates.resumed`;

/**
 * Claims a batch: a job may be taken with its due, pending predecessors of the same key (in the
 * same batch, ahead of it). Claims of one kind are serialised by an advisory lock so that two
 * batches never split one key's jobs.
 */
async function claimBatch(db: Db, o: ClaimOptions): Promise<JobRow[]> {
  const kinds = sql.join(
    o.kinds.map((k) => sql`${k}`),
    sql`, `,
  );
  const blocked = sql`exists (select 1 from jobs p where p.ordering_key = j.ordering_key
    and p.id < j.id and p.state <> 'dead' and (p.state = 'running' or p.run_at > now()))`;
  const query = sql`
    with candidates as (
      select j.id, j.state = 'running' as resumed from jobs j
      where ${sql.raw(takeable("true"))} and j.kind in (${kinds})
        and (j.ordering_key is null or not ${blocked})
      order by j.id
      limit ${o.limit}
      for update skip locked
    )
    update jobs set
      attempts = jobs.attempts + case when jobs.state = 'running' then 0 else 1 end,
      state = 'running', locked_by = ${o.workerId},
      lease_until = now() + make_interval(secs => ${o.leaseMs / 1000})
    from candidates where jobs.id = candidates.id
    returning jobs.id, jobs.kind, jobs.ordering_key, jobs.payload, jobs.attempts,
      coalesce(jobs.max_attempts, ${o.maxAttempts ?? 10}) as max_attempts, candidates.resumed`;
  if (o.alone) return rowsOf<JobRow>(await db.execute(query));
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`jobs:${o.kinds.join(",")}`}))`);
    return rowsOf<JobRow>(await tx.execute(query));
  });
}

/** Finished jobs are deleted, if their lease is still ours (else another worker has them). */
export async function complete(db: Db, list: number[], workerId: string): Promise<void> {
  if (list.length === 0) return;
  await db.execute(
    sql`delete from jobs where id in (${ids(list)}) and locked_by = ${workerId} and state = 'running'`,
  );
}

/**
 * Puts jobs back for a later attempt, or leaves them dead after their last one or a permanent
 * failure. A batch is rescheduled with one delay, so it is retried together and in order.
 */
export async function fail(
  db: Db,
  list: Job[],
  err: unknown,
  delayMs: number,
  workerId: string,
  /** The worker's limit, for the jobs that have none of their own (JOB_MAX_ATTEMPTS). */
  maxAttempts: number,
): Promise<void> {
  const error = errorMessage(err).slice(0, 1000);
  const permanent = isPermanent(err);
  for (const dead of [true, false]) {
    const chosen = list
      .filter((j) => dead === (permanent || j.attempts >= (j.maxAttempts ?? maxAttempts)))
      .map((j) => j.id);
    if (chosen.length === 0) continue;
    await db.execute(sql`
      update jobs set state = ${dead ? "dead" : "pending"}, last_error = ${error},
        lease_until = null, locked_by = null,
        run_at = now() + make_interval(secs => ${dead ? 0 : delayMs / 1000})
      where id in (${ids(chosen)}) and locked_by = ${workerId} and state = 'running'`);
  }
}

/**
 * Gives the attempt back: the work waits its turn (rate limit, pacer, a refusal being held) and
 * runs after `delayMs`; `reason` is kept as the job's last error (why it waits), so that a
 * success can end the wait (releaseWaiting). A job taken again after its lease ran out (resumed)
 * took no attempt of its own: it keeps the attempt that may have acted, so that its next run still
 * counts as a retry (attempts > 1) and looks for what the killed one did before doing it again.
 */
export async function defer(
  db: Db,
  list: Job[],
  delayMs: number,
  workerId: string,
  reason = "waiting",
) {
  if (list.length === 0) return;
  const resumed = list.filter((j) => j.resumed).map((j) => j.id);
  await db.execute(sql`
    update jobs set state = 'pending', last_error = ${reason.slice(0, 1000)},
      attempts = case when id in (${ids(resumed.length ? resumed : [-1])})
        then greatest(1, attempts) else greatest(0, attempts - 1) end,
      lease_until = null, locked_by = null,
      run_at = now() + make_interval(secs => ${delayMs / 1000})
    where id in (${ids(list.map((j) => j.id))}) and locked_by = ${workerId} and state = 'running'`);
}

/**
 * Ends the wait of the jobs of `kind` (those `filter` keeps, an SQL condition on the jobs table)
 * that wait behind a failure or a refusal that is over: the provider or the platform answered
 * again. Pending jobs not due yet that have a last error (a back-off, a deferral) become due now;
 * a job never tried (a scheduled SMS) keeps its time. Returns how many; wakes the workers.
 */
export async function releaseWaiting(db: Db, kind: string, filter?: SQL): Promise<number> {
  const rows = rowsOf<{ id: string | number }>(
    await db.execute(sql`update jobs set run_at = now()
      where kind = ${kind} and state = 'pending' and run_at > now() and last_error is not null
        and ${filter ?? sql`true`}
      returning id`),
  );
  if (rows.length > 0) await db.execute(sql`select pg_notify(${JOBS_CHANNEL}, '')`);
  return rows.length;
}

/**
 * A free try during an outage: the job of `kind` (among those `filter` keeps) that backs off after
 * a failure and is due soonest becomes due now, with its attempt given back (its claim takes it
 * again), so that the first success after the outage comes within a probe's interval rather than
 * after the longest back-off, and the try costs no attempt. True when there was one.
 */
export async function tryEarly(db: Db, kind: string, filter?: SQL): Promise<boolean> {
  const rows = rowsOf<{ id: string | number }>(
    await db.execute(sql`update jobs set run_at = now(), attempts = greatest(0, attempts - 1)
      where id = (select j.id from jobs j where j.kind = ${kind} and j.state = 'pending'
        and j.run_at > now() and j.attempts > 0 and j.last_error is not null
        and ${filter ?? sql`true`}
        -- the first of its key: a job behind another could not be claimed before it
        and not exists (select 1 from jobs p where p.ordering_key = j.ordering_key
          and p.id < j.id and p.state <> 'dead')
        order by j.run_at limit 1 for update skip locked)
      returning id`),
  );
  if (rows.length > 0) await db.execute(sql`select pg_notify(${JOBS_CHANNEL}, '')`);
  return rows.length > 0;
}

/** Gives jobs still in hand back to the queue at once, rather than at the end of their lease. */
export async function releaseAll(db: Db, workerId: string): Promise<void> {
  await db.execute(sql`update jobs set state = 'pending', lease_until = null, locked_by = null,
    attempts = greatest(0, attempts - 1)
    where locked_by = ${workerId} and state = 'running'`);
}

/**
 * The pending jobs of `def` right behind `current` in its ordering key, consecutive and due
 * with nothing else between, up to `limit`. They cannot be claimed meanwhile: `current`, of
 * the same key, is running. Used to merge work (several posts into one).
 */
export async function followers<P>(
  db: Db,
  current: Job,
  def: JobKind<P>,
  limit: number,
): Promise<Job<P>[]> {
  if (!current.orderingKey) return [];
  const rows = rowsOf<JobRow & { state: string }>(
    await db.execute(sql`select id, kind, ordering_key, payload, attempts, max_attempts, state
      from jobs where ordering_key = ${current.orderingKey} and id > ${current.id}
        and state <> 'dead' order by id limit ${limit}`),
  );
  const out: Job<P>[] = [];
  for (const r of rows) {
    if (r.state !== "pending" || r.kind !== def.kind) break;
    const parsed = def.schema.safeParse(r.payload);
    if (!parsed.success) break;
    out.push({ ...toJob(r), payload: parsed.data });
  }
  return out;
}

/**
 * Takes pending jobs (`current`'s followers) under `current`'s lease, for work done together with
 * it (a merged post): a worker killed before that work is recorded leaves them to be taken again
 * as resumed jobs, each of which looks for what an earlier attempt did before doing it (rather
 * than pending ones that would do it again). Returns true when every one of them was taken;
 * otherwise none is held.
 */
export async function holdWith(db: Db, current: Job, list: number[]): Promise<boolean> {
  if (list.length === 0) return true;
  const rows = rowsOf<{ id: string | number }>(
    await db.execute(sql`
      update jobs set state = 'running', locked_by = c.locked_by, lease_until = c.lease_until
      from (select locked_by, lease_until from jobs where id = ${current.id} and state = 'running') c
      where jobs.id in (${ids(list)}) and jobs.state = 'pending'
      returning jobs.id`),
  );
  if (rows.length === list.length) return true;
  await unhold(
    db,
    current,
    rows.map((r) => Number(r.id)),
  );
  return false;
}

/** Gives jobs held with `current` back to the queue as they were: their work was not done. */
export async function unhold(db: Db, current: Job, list: number[]): Promise<void> {
  if (list.length === 0) return;
  await db.execute(sql`
    update jobs set state = 'pending', lease_until = null, locked_by = null
    where id in (${ids(list)}) and state = 'running'
      and locked_by = (select locked_by from jobs where id = ${current.id})`);
}

/**
 * Deletes jobs whose work was done by another (merged into its post), held or pending. `with`:
 * the caller's own write, made in the same statement (one round trip, atomic as a transaction).
 */
export async function absorb(db: Db, list: number[], withWrite?: SQL): Promise<void> {
  if (list.length === 0) return;
  await db.execute(sql`${withWrite ? sql`with done as (${withWrite}) ` : sql``}
    delete from jobs where state in ('pending', 'running') and id in (${ids(list)})`);
}

/** Exponential back-off with jitter; a failure's own Retry-After wins. */
export function backoffDelay(baseMs: number, maxMs = 10 * 60_000) {
  return (attempt: number, err: unknown): number => {
    if (err instanceof AppError && err.retryAfterMs !== undefined) {
      const ms = Math.max(err.retryAfterMs, 0);
      return ms + Math.floor(Math.random() * Math.min(250, ms * 0.1));
    }
    const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
    return Math.floor(exp / 2 + Math.random() * (exp / 2));
  };
}

/** Dead jobs (by id, or all of them) back in the queue with fresh attempts; returns them. */
export async function retryDead(db: Db, which: number[] | "all"): Promise<Job[]> {
  const where = which === "all" ? sql`true` : sql`id in (${ids(which.length ? which : [-1])})`;
  const rows = rowsOf<JobRow>(
    await db.execute(sql`update jobs set state = 'pending', attempts = 0, run_at = now(),
      last_error = null where state = 'dead' and ${where}
      returning id, kind, ordering_key, payload, attempts, max_attempts`),
  );
  if (rows.length > 0) await db.execute(sql`select pg_notify(${JOBS_CHANNEL}, '')`);
  return rows.map(toJob);
}
