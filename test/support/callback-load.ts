// Callback traffic for the outage tests (survive-outage, survive-blackhole): distinct inbound SMS
// callbacks, a few at a time, every answer (or its absence) and its latency recorded; and what
// the database holds of them afterwards.
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { migrateOpen, openDatabase, rowsOf } from "../../src/db/database.ts";
import { processed, SECRET } from "./harness.ts";

export function callbackPath(n: number): string {
  const payload = {
    title: "incoming sms",
    from: `+1555${String(3000000 + (n % 50))}`,
    body: `outage ${n}`,
    date: "2026-11-27 10:00:00",
  };
  return `/ardary/callback/${SECRET}?message=${encodeURIComponent(JSON.stringify(payload))}`;
}

export interface Answer {
  /** The HTTP status, or "none": no answer before the client gave up. */
  status: number | "none";
  /** When it was sent (performance.now()) and how long the answer took, ms. */
  sentAt: number;
  ms: number;
}

/**
 * Sends distinct callbacks, `concurrency` at a time, until `stop()`; records every answer.
 * A request not answered within `timeoutMs` is "none".
 */
export function callbackLoad(base: string, concurrency = 8, timeoutMs = 10_000) {
  let next = 0;
  let stopped = false;
  const answers = new Map<number, number | "none">();
  const details = new Map<number, Answer>();
  const workers = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      const n = next++;
      const sentAt = performance.now();
      const res = await fetch(`${base}${callbackPath(n)}`, {
        signal: AbortSignal.timeout(timeoutMs),
      }).catch(() => null);
      await res?.arrayBuffer().catch(() => {});
      const status = res?.status ?? "none";
      answers.set(n, status);
      details.set(n, { status, sentAt, ms: performance.now() - sentAt });
    }
  });
  return {
    answers,
    details,
    /** How many requests were sent so far (answered or not). */
    sent: () => next,
    count: (status: number | "none") => [...answers.values()].filter((s) => s === status).length,
    async stop() {
      stopped = true;
      await Promise.all(workers);
    },
  };
}

/**
 * Open loop: one callback every `everyMs` whatever the answers (as a provider calls), numbered
 * from `firstN`, until `stop()`; records every answer and its latency.
 */
export function callbackProbe(base: string, everyMs: number, timeoutMs: number, firstN: number) {
  let n = firstN;
  const details = new Map<number, Answer>();
  const inFlight = new Set<Promise<void>>();
  const send = () => {
    const mine = n++;
    const sentAt = performance.now();
    const p = fetch(`${base}${callbackPath(mine)}`, { signal: AbortSignal.timeout(timeoutMs) })
      .then(async (res) => {
        await res.arrayBuffer().catch(() => {});
        return res.status;
      })
      .catch(() => "none" as const)
      .then((status) => {
        details.set(mine, { status, sentAt, ms: performance.now() - sentAt });
      });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const timer = setInterval(send, everyMs);
  return {
    details,
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}

/** Each stored SMS body and how many times it is stored. */
export async function storedBodies(
  url: string | undefined,
  dataDir: string,
): Promise<Map<string, number>> {
  const database = await openDatabase({ url, dataDir });
  await migrateOpen(database, url);
  // Answered once stored: the running server's worker acts on them (a job caught by a cut
  // is taken again when its lease runs out).
  await processed(database, 90_000);
  const rows = rowsOf<{ body: string; n: string | number }>(
    await database.db.execute(sql`select body, count(*) as n from messages group by body`),
  );
  await database.close();
  return new Map(rows.map((r) => [r.body, Number(r.n)]));
}

/**
 * Every callback answered 200 is stored exactly once; one answered otherwise at most once (it
 * may have committed after its deadline, and the provider's retry is recognised).
 */
export async function expectStoredOnce(
  answers: Map<number, number | "none">,
  url: string | undefined,
  dataDir: string,
): Promise<void> {
  const bodies = await storedBodies(url, dataDir);
  for (const [n, status] of answers) {
    if (status === 200) expect(bodies.get(`outage ${n}`), `outage ${n}`).toBe(1);
    else expect(bodies.get(`outage ${n}`) ?? 0).toBeLessThanOrEqual(1);
  }
}
