// What the degraded-part tests read of a running bridge: its log lines, /healthz, and the jobs
// that wait (how many, their attempts, none dead).
import { sql } from "drizzle-orm";
import pino, { type Logger } from "pino";
import { type Database, rowsOf } from "../../src/db/database.ts";

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A logger whose lines (info and up) are kept, parsed. */
export function captureLog(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino(
    { level: "info" },
    { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
  );
  return { log, lines };
}

/** Lines at error level (pino: 50) whose message matches. */
export const errorsMatching = (lines: LogLine[], re: RegExp) =>
  lines.filter((l) => l.level >= 50 && re.test(l.msg));

/** GET /healthz: its status and body. */
export async function healthOf(url: string): Promise<{ status: number; body: HealthBody }> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as HealthBody };
}

interface PartBody {
  state: string;
  reason?: string;
  fix?: string;
  since?: string;
  channels?: Record<string, PartBody>;
}

export interface HealthBody {
  ok: boolean;
  chat?: Record<string, PartBody>;
  sms?: PartBody;
}

/**
 * The jobs of a kind: how many are left (waiting, or in hand: a try being made), the most
 * attempts a waiting one has used, the dead ones.
 */
export async function jobsOf(
  database: Database,
  kind: string,
): Promise<{ waiting: number; maxAttempts: number; dead: number }> {
  const [row] = rowsOf<{ waiting: string; max: string | null; dead: string }>(
    await database.db.execute(sql`select
      count(*) filter (where state <> 'dead') as waiting,
      max(attempts) filter (where state = 'pending') as max,
      count(*) filter (where state = 'dead') as dead
      from jobs where kind = ${kind}`),
  );
  return {
    waiting: Number(row?.waiting ?? 0),
    maxAttempts: Number(row?.max ?? 0),
    dead: Number(row?.dead ?? 0),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
