// What ops see of the job queue (`ardary-bridge jobs`, the Retry button of a dead send): counts,
// and finding dead jobs (retryDead, in jobs.ts, takes them back). With jobs.ts, the only code
// that touches the jobs table.
import { sql } from "drizzle-orm";
import { type Db, rowsOf } from "../db/database.ts";

export interface JobCounts {
  pending: { kind: string; count: number; nextRunAt: Date | null }[];
  dead: {
    id: number;
    kind: string;
    attempts: number;
    lastError: string | null;
    at: Date;
    conversationId: number | null;
  }[];
}

/** What `ardary-bridge jobs` shows. */
export async function listJobs(db: Db): Promise<JobCounts> {
  // One snapshot for both lists: a job that dies meanwhile is in one of them, not both.
  return db.transaction((tx) => readJobs(tx), { isolationLevel: "repeatable read" });
}

async function readJobs(db: Db): Promise<JobCounts> {
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
    conversation: string | null;
  }>(
    await db.execute(sql`select id, kind, attempts, last_error, run_at,
      payload->>'conversationId' as conversation from jobs
      where state = 'dead' order by id desc limit 100`),
  );
  return {
    pending: pending.map((p) => ({ kind: p.kind, count: Number(p.count), nextRunAt: p.next })),
    dead: dead.map((d) => ({
      id: Number(d.id),
      kind: d.kind,
      attempts: d.attempts,
      lastError: d.last_error,
      at: new Date(d.run_at),
      conversationId: d.conversation === null ? null : Number(d.conversation),
    })),
  };
}

/** The dead jobs of `kind` whose payload field `field` is `value` (e.g. the send of one SMS). */
export async function findDead(db: Db, kind: string, field: string, value: string | number) {
  const rows = rowsOf<{ id: string | number }>(
    await db.execute(sql`select id from jobs where state = 'dead' and kind = ${kind}
      and payload->>${field} = ${String(value)} order by id`),
  );
  return rows.map((r) => Number(r.id));
}
