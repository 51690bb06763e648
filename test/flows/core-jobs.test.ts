// The job queue on a real database: order per key under racing workers, leases, back-off, dead.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Database, migrateOpen, openDatabase } from "../../src/db/database.ts";
import { DeferredError, RetryableError } from "../../src/kernel/errors.ts";
import { claim, defineJob, enqueue, type Job, retryDead } from "../../src/queue/jobs.ts";
import { listJobs } from "../../src/queue/overview.ts";
import { Worker } from "../../src/queue/worker.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { until } from "../support/harness.ts";

const anything = z.unknown();
const kind = (name: string) => defineJob(name, anything);

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
      const w = new Worker({
        database: db,
        handlers: [{ def: kind("t"), run: handler }],
        concurrency: 4,
        pollMs: 50,
      });
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

  it("finds the first job of each key behind hundreds queued behind another key's running job", async () => {
    // 200 jobs of one key, then one of three other keys and one of none: more than the claim's
    // window of due jobs is queued behind the first, which runs.
    await enqueue(
      database.db,
      ...Array.from({ length: 200 }, (_, n) => ({
        kind: "t",
        orderingKey: "busy",
        payload: { n },
      })),
    );
    await enqueue(
      database.db,
      ...["x", "y", "z", null].map((key) => ({ kind: "t", orderingKey: key, payload: { key } })),
    );
    const take = (limit: number) =>
      claim(database, { kinds: ["t"], limit, leaseMs: 60_000, workerId: "w" });
    const [head] = await take(1);
    expect(head?.payload).toEqual({ n: 0 });
    const next = await take(10);
    expect(next.map((j) => j.payload)).toEqual([
      { key: "x" },
      { key: "y" },
      { key: "z" },
      { key: null },
    ]);
    expect(next.map((j) => j.orderingKey)).toEqual(["x", "y", "z", null]);
    // Nothing else may run: the rest of "busy" waits behind its first job.
    expect(await take(10)).toEqual([]);
  });

  it("wakes for a job due later and for a lease that runs out, not at its slowest poll", async () => {
    const ran: string[] = [];
    const w = new Worker({
      database,
      handlers: [{ def: kind("t"), run: async (j) => void ran.push(String(j.payload)) }],
      pollMs: 60_000,
    });
    workers.push(w);
    // A crashed worker's job, its lease running out in 300 ms; a job due in 4 s. Each must wake
    // the worker by its timer: the first long before the second is due, the second at all.
    await enqueue(database.db, { kind: "t", orderingKey: "a", payload: "leased" });
    const leased = await claim(database, { kinds: ["t"], limit: 1, leaseMs: 300, workerId: "x" });
    expect(leased).toHaveLength(1);
    await enqueue(database.db, {
      kind: "t",
      orderingKey: "b",
      payload: "later",
      runAt: new Date(Date.now() + 4000),
    });
    await w.start();
    await until(() => ran.includes("leased"), 3000, "the job whose lease ran out");
    expect(ran).toEqual(["leased"]);
    await until(() => ran.length === 2, 15_000, "the job due later");
    expect(ran).toEqual(["leased", "later"]);
  });

  it("gives a crashed worker's job back when its lease ends, without counting an attempt", async () => {
    await enqueue(database.db, { kind: "t", orderingKey: "k", payload: { n: 1 } });
    const [taken] = await claim(database, {
      kinds: ["t"],
      limit: 1,
      leaseMs: 200,
      workerId: "crashed",
    });
    expect(taken?.attempts).toBe(1);
    expect(taken?.resumed).toBe(false);
    expect(
      await claim(database, { kinds: ["t"], limit: 1, leaseMs: 200, workerId: "other" }),
    ).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    const [again] = await claim(database, {
      kinds: ["t"],
      limit: 1,
      leaseMs: 200,
      workerId: "other",
    });
    expect(again?.id).toBe(taken?.id);
    // The crash was not the job's failure: a lease that ran out is no attempt.
    expect(again?.attempts).toBe(1);
    // …but its work may be half done: the handler is told (a chat post is looked for first).
    expect(again?.resumed).toBe(true);
  });

  it("backs off, honours Retry-After, and keeps a job as dead after its last attempt", async () => {
    const attempts: number[] = [];
    const w = new Worker({
      database,
      backoffBaseMs: 10,
      pollMs: 50,
      handlers: [
        {
          def: kind("flaky"),
          run: async () => {
            attempts.push(Date.now());
            throw new RetryableError("busy", "over the limit", 300);
          },
        },
        {
          def: kind("broken"),
          run: async () => {
            throw new Error("always fails");
          },
        },
      ],
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

  it("keeps a deferred job alive past its attempt limit; only real failures use attempts up", async () => {
    let runs = 0;
    const w = new Worker({
      database,
      backoffBaseMs: 10,
      pollMs: 50,
      handlers: [
        {
          def: kind("paced"),
          run: async () => {
            runs++;
            // Six waits for a rate limit or a pacer, then two real failures, then success.
            if (runs <= 6) throw new DeferredError("channel paced", 20);
            if (runs <= 8) throw new RetryableError("busy", "HTTP 503");
          },
        },
        {
          def: kind("doomed"),
          run: async () => {
            throw new DeferredError("rate limited", 20);
          },
        },
      ],
    });
    workers.push(w);
    await w.start();
    await enqueue(database.db, { kind: "paced", payload: {}, maxAttempts: 3 });
    await until(async () => runs === 9 && (await listJobs(database.db)).pending.length === 0);
    expect((await listJobs(database.db)).dead).toEqual([]);
    // A job deferred many more times than its limit is still pending, with no attempt used.
    await enqueue(database.db, { kind: "doomed", payload: {}, maxAttempts: 2 });
    await new Promise((r) => setTimeout(r, 500));
    const l = await listJobs(database.db);
    expect(l.dead).toEqual([]);
    expect(l.pending.find((p) => p.kind === "doomed")?.count).toBe(1);
  });

  it("lets a job die after its limit of real failures, and `retry` brings it back", async () => {
    let runs = 0;
    const w = new Worker({
      database,
      backoffBaseMs: 10,
      pollMs: 50,
      handlers: [
        {
          def: kind("flaky2"),
          run: async () => {
            runs++;
            if (runs <= 2) throw new DeferredError("paced", 10);
            if (runs <= 5) throw new RetryableError("busy", "HTTP 503");
          },
        },
      ],
    });
    workers.push(w);
    await w.start();
    await enqueue(database.db, { kind: "flaky2", payload: {}, maxAttempts: 3 });
    const dead = await until(async () => (await listJobs(database.db)).dead[0], 10_000, "dead");
    // Two deferrals and three failures: it died after its third real failure, not before.
    expect(runs).toBe(5);
    expect(dead.attempts).toBe(3);
    expect((await retryDead(database.db, [dead.id])).map((j) => j.id)).toEqual([dead.id]);
    await until(async () => runs === 6 && (await listJobs(database.db)).pending.length === 0);
    expect((await listJobs(database.db)).dead).toEqual([]);
  });
});
