// The queue's part in waiting well (issue 22): a deferral says why the job waits and gives its
// attempt back, but a job taken again after its lease ran out keeps the attempt that may have
// acted (its next run still looks before acting); a success ends the wait of the jobs behind the
// same failure (releaseWaiting), never the time of a job not yet tried; a free try during an
// outage (tryEarly) takes the job due soonest, first of its key, with its attempt given back.
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Database, migrateOpen, openDatabase, rowsOf } from "../../src/db/database.ts";
import { claim, defer, enqueue, fail, releaseWaiting, tryEarly } from "../../src/queue/jobs.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { sleep } from "../support/degraded.ts";

describe("waiting in the queue", () => {
  let tdb: TestDatabase;
  let database: Database;
  beforeEach(async () => {
    tdb = await createTestDatabase();
    database =
      (await tdb.open?.()) ?? (await openDatabase({ url: tdb.url, dataDir: tdb.env.DATA_DIR }));
    await migrateOpen(database, tdb.url);
  });
  afterEach(async () => {
    await database.close();
    await tdb.drop();
  });

  const rows = async () =>
    rowsOf<{ id: number; attempts: number; last_error: string | null; due: boolean }>(
      await database.db.execute(sql`select id, attempts, last_error, run_at <= now() as due
        from jobs order by id`),
    );
  const take = (workerId: string, leaseMs = 60_000) =>
    claim(database, { kinds: ["t"], limit: 10, leaseMs, workerId });

  it("gives a deferred attempt back, but a resumed job keeps the one that may have acted", async () => {
    await enqueue(
      database.db,
      { kind: "t", orderingKey: "a", payload: {} },
      { kind: "t", orderingKey: "b", payload: {} },
    );
    const first = await take("w1");
    await defer(database.db, first.slice(0, 1), 0, "w1", "Slack: rate limited");
    // The second one's worker dies: its lease runs out, and another takes it again.
    await database.db.execute(
      sql`update jobs set lease_until = now() - interval '1 second' where locked_by = 'w1'`,
    );
    const again = await take("w2");
    const resumed = again.find((j) => j.resumed);
    expect(resumed).toBeDefined();
    await defer(database.db, again, 0, "w2", "the look-up met a 429");
    const after = await rows();
    expect(after.map((r) => r.last_error)).toEqual([
      "the look-up met a 429",
      "the look-up met a 429",
    ]);
    // a: deferred twice, every attempt given back; b: resumed, its attempt kept.
    expect(after.map((r) => r.attempts)).toEqual([0, 1]);
    const next = await take("w3");
    expect(next.find((j) => j.id === resumed?.id)?.attempts).toBe(2);
  });

  it("ends the wait of the jobs behind a failure, not the time of a job never tried", async () => {
    const later = new Date(Date.now() + 60 * 60_000);
    await enqueue(
      database.db,
      { kind: "t", orderingKey: "a", payload: {} },
      { kind: "t", payload: {}, runAt: later },
    );
    const [failing] = await take("w1");
    await fail(database.db, failing ? [failing] : [], new Error("503"), 60_000, "w1", 10);
    expect((await rows()).map((r) => r.due)).toEqual([false, false]);
    expect(await releaseWaiting(database.db, "t")).toBe(1);
    expect((await rows()).map((r) => r.due)).toEqual([true, false]);
  });

  it("tries early, for free, the job due soonest that is first of its key", async () => {
    await enqueue(
      database.db,
      { kind: "t", orderingKey: "a", payload: { n: 1 } },
      { kind: "t", orderingKey: "a", payload: { n: 2 } },
      { kind: "t", orderingKey: "b", payload: { n: 3 } },
    );
    const taken = await claim(database, {
      kinds: ["t"],
      limit: 10,
      leaseMs: 60_000,
      workerId: "w1",
      batch: true,
    });
    expect(taken).toHaveLength(3);
    const [a1, a2, b] = taken;
    // a's two back off 20 s; b 40 s; a2 would be soonest but waits behind a1.
    await fail(
      database.db,
      [a1, a2].flatMap((j) => j ?? []),
      new Error("503"),
      20_000,
      "w1",
      10,
    );
    await fail(database.db, b ? [b] : [], new Error("503"), 40_000, "w1", 10);
    await database.db.execute(sql`update jobs set run_at = now() + interval '10 seconds'
      where id = ${a2?.id ?? 0}`);
    expect(await tryEarly(database.db, "t")).toBe(true);
    const after = await rows();
    expect(after.map((r) => [r.due, r.attempts])).toEqual([
      [true, 0],
      [false, 1],
      [false, 1],
    ]);
    await sleep(10);
    expect(await tryEarly(database.db, "t", sql`(payload->>'n')::int = 3`)).toBe(true);
    expect((await rows()).map((r) => r.due)).toEqual([true, false, true]);
  });
});
