// The NOTIFY that wakes the other processes' workers after callbacks are stored
// (src/queue/jobs.ts, jobsNotifier): one at a time, and with `everyMs` (a process whose own worker
// is woken directly) at most one in that time; a call is never left without a NOTIFY after it.
// Counted by a real LISTEN on Postgres (PGlite has no other session to listen from).
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { type Database, migrateOpen, openDatabase } from "../../../src/db/database.ts";
import { JOBS_CHANNEL, jobsNotifier } from "../../../src/queue/jobs.ts";
import { createTestDatabase, type TestDatabase } from "../../support/db.ts";
import { until } from "../../support/harness.ts";

let tdb: TestDatabase | undefined;
let database: Database | undefined;
let listener: postgres.Sql | undefined;
afterEach(async () => {
  await listener?.end({ timeout: 1 });
  await database?.close();
  await tdb?.drop();
  tdb = database = listener = undefined;
});

/** A database, and the times at which another session heard a NOTIFY on the jobs channel. */
async function heard(): Promise<{ db: Database; at: number[] }> {
  tdb = await createTestDatabase();
  const db = await openDatabase({ url: tdb.url });
  database = db;
  await migrateOpen(db, tdb.url);
  listener = postgres(tdb.url ?? "", { max: 1, onnotice: () => {} });
  const at: number[] = [];
  await listener.listen(JOBS_CHANNEL, () => void at.push(Date.now()));
  return { db, at };
}

/** Calls `notify` every 5 ms for `ms`; when the last call was made. */
async function callFor(notify: () => void, ms: number): Promise<number> {
  const end = Date.now() + ms;
  let last = 0;
  while (Date.now() < end) {
    notify();
    last = Date.now();
    await new Promise((r) => setTimeout(r, 5));
  }
  return last;
}

describe("the notifier of the other processes' workers (Postgres only)", () => {
  it("with everyMs, sends at most one NOTIFY in that time, and one after the last call", async () => {
    const { db, at } = await heard();
    const last = await callFor(jobsNotifier(db, 100), 600);
    await until(() => at.some((t) => t >= last), 5_000, "a NOTIFY after the last call");
    await new Promise((r) => setTimeout(r, 300));
    // About 600 / 100 + 1 of them for ~120 calls (a slow machine makes fewer, never more).
    expect(at.length).toBeGreaterThanOrEqual(2);
    expect(at.length).toBeLessThanOrEqual(8);
  });

  it("with everyMs, a burst of calls makes one NOTIFY at once and one when the time is up, no more", async () => {
    const { db, at } = await heard();
    // A long interval, so that the calls below fall in its wait however loaded the machine.
    const notify = jobsNotifier(db, 1000);
    notify();
    await until(() => at.length >= 1, 5_000, "the first NOTIFY");
    // Nine calls while it waits: the NOTIFY at the end of the wait answers them all.
    for (let i = 0; i < 9; i++) notify();
    await until(() => at.length >= 2, 5_000, "the second NOTIFY");
    expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(900);
    // No third one after it (the calls it answered must not make another a second later).
    await new Promise((r) => setTimeout(r, 1400));
    expect(at).toHaveLength(2);
  });

  it("without it, sends one after each that ends, so many more in the same time", async () => {
    const { db, at } = await heard();
    const last = await callFor(jobsNotifier(db), 600);
    await until(() => at.some((t) => t >= last), 5_000, "a NOTIFY after the last call");
    expect(at.length).toBeGreaterThan(10);
  });
});
