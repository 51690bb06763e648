// A worker stopped while it claims jobs (src/queue/worker.ts, stop): the claim ends first, and
// what it took is given back at once, unbegun, rather than left running on a lease that nobody
// holds once the process exits (a minute before another process may take it: CI saw a restarted
// `serve` not post what waited, test/e2e/degraded-boot.test.ts). The claim is held in flight by
// a lock on the jobs table from another session. Postgres only (PGlite has one connection), so
// it runs once, with the unit tests.
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Database, migrateOpen, openDatabase, rowsOf } from "../../../src/db/database.ts";
import { defineJob, enqueue } from "../../../src/queue/jobs.ts";
import { Worker } from "../../../src/queue/worker.ts";
import { createTestDatabase, type TestDatabase } from "../../support/db.ts";
import { until } from "../../support/harness.ts";

let tdb: TestDatabase | undefined;
let database: Database | undefined;
let other: postgres.Sql | undefined;
afterEach(async () => {
  await other?.end({ timeout: 1 });
  await database?.close();
  await tdb?.drop();
  tdb = database = other = undefined;
});

describe("a worker stopped during a claim", () => {
  it("waits for the claim, begins none of what it took, and gives it back at once (Postgres only)", async () => {
    tdb = await createTestDatabase();
    const db = await openDatabase({ url: tdb.url });
    database = db;
    await migrateOpen(db, tdb.url);
    await enqueue(db.db, { kind: "t", orderingKey: "k", payload: {} });

    // Another session locks the jobs table: reads go on, the claim's update waits.
    other = postgres(tdb.url ?? "", { max: 2, onnotice: () => {} });
    let unlock = () => {};
    const held = new Promise<void>((r) => {
      unlock = r;
    });
    let locked = false;
    const locking = other.begin(async (tx) => {
      await tx`lock table jobs in exclusive mode`;
      locked = true;
      await held;
    });
    await until(() => locked, 10_000, "the lock");

    let ran = 0;
    const worker = new Worker({
      database: db,
      handlers: [{ def: defineJob("t", z.unknown()), run: async () => void ran++ }],
      pollMs: 60_000,
    });
    await worker.start();
    const sessions = other;
    await until(
      async () =>
        Number(
          (
            await sessions`select count(*) as n from pg_locks
            where relation = 'jobs'::regclass and not granted`
          )[0]?.n,
        ) > 0,
      10_000,
      "the claim waiting for the lock",
    );

    let stopped = false;
    const stopping = worker.stop(10_000).then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 200));
    // The claim is still in flight: the stop waits for it.
    expect(stopped).toBe(false);
    unlock();
    await locking;
    await stopping;
    // A handler begun after the stop would run now.
    await new Promise((r) => setTimeout(r, 300));

    expect(ran).toBe(0);
    const jobs = rowsOf<{ state: string; locked_by: string | null; attempts: number }>(
      await db.db.execute(sql`select state, locked_by, attempts from jobs`),
    );
    // Back in the queue, for any process to take now, its attempt given back.
    expect(jobs).toEqual([{ state: "pending", locked_by: null, attempts: 0 }]);
  });
});
