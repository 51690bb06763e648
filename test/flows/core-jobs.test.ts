// The job queue on a real database: order per key under racing workers, leases, back-off, dead.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Database, migrateOpen, openDatabase } from "../../src/db.ts";
import { RetryableError } from "../../src/errors.ts";
import { claim, enqueue, type Job, listJobs, Worker } from "../../src/jobs.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { until } from "../support/harness.ts";

describe("job queue", () => {
  let tdb: TestDatabase;
  let database: Database;
  const workers: Worker[] = [];
  beforeEach(async () => {
    tdb = await createTestDatabase();
    database =
      (await tdb.open?.()) ?? (await openDatabase({ url: tdb.url, dataDir: tdb.env.DATA_DIR }));
    await migrateOpen(database, tdb.url);
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop(1000);
    await database.close();
    await tdb.drop();
  });

  it("runs one key's jobs strictly in order, one at a time, with several workers racing", async () => {
    const keys = ["a", "b", "c", "d", "e"];
    const seen: Record<string, number[]> = {};
    const running = new Set<string>();
    let overlaps = 0;
    const handler = async (job: Job) => {
      const { key, n } = job.payload as { key: string; n: number };
      if (running.has(key)) overlaps++;
      running.add(key);
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      seen[key] = [...(seen[key] ?? []), n];
      running.delete(key);
    };
    // Separate connections per worker on Postgres, so the claims really race.
    const extra =
      database.kind === "postgres"
        ? await Promise.all([1, 2, 3].map(() => openDatabase({ url: tdb.url })))
        : [];
    for (const db of [database, ...extra]) {
      const w = new Worker({ database: db, handlers: { t: handler }, concurrency: 4, pollMs: 50 });
      workers.push(w);
      await w.start();
    }
    for (let n = 0; n < 20; n++) {
      await enqueue(
        database.db,
        ...keys.map((key) => ({ kind: "t", orderingKey: key, payload: { key, n } })),
      );
    }
    await until(() => keys.every((k) => seen[k]?.length === 20), 20_000, "all jobs");
    for (const k of keys) expect(seen[k]).toEqual([...Array(20).keys()]);
    expect(overlaps).toBe(0);
    for (const w of workers.splice(0)) await w.stop(1000);
    for (const db of extra) await db.close();
  });

  it("gives a crashed worker's job back when its lease ends", async () => {
    await enqueue(database.db, { kind: "t", orderingKey: "k", payload: { n: 1 } });
    const [taken] = await claim(database.db, {
      kinds: ["t"],
      limit: 1,
      leaseMs: 200,
      workerId: "crashed",
    });
    expect(taken?.attempts).toBe(1);
    expect(
      await claim(database.db, { kinds: ["t"], limit: 1, leaseMs: 200, workerId: "other" }),
    ).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    const [again] = await claim(database.db, {
      kinds: ["t"],
      limit: 1,
      leaseMs: 200,
      workerId: "other",
    });
    expect(again?.id).toBe(taken?.id);
    expect(again?.attempts).toBe(2);
  });

  it("backs off, honours Retry-After, and keeps a job as dead after its last attempt", async () => {
    const attempts: number[] = [];
    const w = new Worker({
      database,
      backoffBaseMs: 10,
      pollMs: 50,
      handlers: {
        flaky: async () => {
          attempts.push(Date.now());
          throw new RetryableError("busy", "over the limit", 300);
        },
        broken: async () => {
          throw new Error("always fails");
        },
      },
    });
    workers.push(w);
    await w.start();
    await enqueue(
      database.db,
      { kind: "flaky", payload: {}, maxAttempts: 2 },
      { kind: "broken", payload: {}, maxAttempts: 3 },
    );
    const jobs = await until(
      async () => {
        const l = await listJobs(database.db);
        return l.dead.length === 2 && l;
      },
      10_000,
      "two dead jobs",
    );
    expect(jobs.dead.map((d) => d.kind).sort()).toEqual(["broken", "flaky"]);
    expect(jobs.dead.find((d) => d.kind === "broken")?.attempts).toBe(3);
    expect(jobs.dead.find((d) => d.kind === "broken")?.lastError).toContain("always fails");
    expect(attempts.length).toBe(2);
    // The second attempt came no earlier than the Retry-After of the first failure.
    expect((attempts[1] ?? 0) - (attempts[0] ?? 0)).toBeGreaterThanOrEqual(300);
    expect(jobs.pending).toEqual([]);
  });
});
