// The database goes away under load, again and again: the server stays up, answers 503 while
// it is gone (never hangs, never another 5xx), says so on /healthz, takes callbacks again once it
// is back, and every callback it answered 200 is stored exactly once.
// Postgres: the built server in a child process, its connection cut 20 times through a TCP
// proxy. PGlite (embedded, nothing to cut): the database is closed under load in this process.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/database.ts";
import { callbackLoad, expectStoredOnce } from "../support/callback-load.ts";
import { TEST_DB } from "../support/db.ts";
import { processed, startHarness, until } from "../support/harness.ts";
import { startProxiedServe } from "../support/proxied-serve.ts";

const CUTS = 20;

/** Postgres: the built server, its connection cut CUTS times through a TCP proxy. */
async function cutsUnderLoad(): Promise<void> {
  const { db, proxy, base, exited, health, close } = await startProxiedServe();
  try {
    const traffic = callbackLoad(base);
    const healthDuringCuts: (number | undefined)[] = [];
    for (let cut = 0; cut < CUTS; cut++) {
      await until(() => traffic.count(200) > 0, 10_000, "first 200");
      proxy.cut();
      const cutAt = traffic.answers.size;
      // The cut is noticed: a callback sent after it is answered 503.
      await until(
        () => [...traffic.answers].some(([n, s]) => n > cutAt + 8 && s === 503),
        10_000,
        `503 after cut ${cut + 1}`,
      );
      healthDuringCuts.push(await health());
      proxy.restore();
      const back = traffic.answers.size;
      await until(
        () => [...traffic.answers].some(([n, s]) => n > back + 8 && s === 200),
        15_000,
        `200 after cut ${cut + 1}`,
      );
    }
    await traffic.stop();
    expect(exited()).toBeNull();
    expect(healthDuringCuts.every((s) => s === 503)).toBe(true);
    // Only 200 and 503: no hang, no other error.
    expect(traffic.count("none")).toBe(0);
    const statuses = new Set(traffic.answers.values());
    expect([...statuses].sort()).toEqual([200, 503]);
    await expectStoredOnce(traffic.answers, db.url, db.env.DATA_DIR);
  } finally {
    await close();
  }
}

/** PGlite: nothing to cut; the embedded database is closed under load, in this process. */
async function closeUnderLoad(): Promise<void> {
  const h = await startHarness();
  try {
    const traffic = callbackLoad(h.bridge.url);
    await until(() => traffic.count(200) > 20, 20_000, "callbacks stored");
    await traffic.stop();
    await processed(h.bridge.database);
    const rows = rowsOf<{ body: string; n: string | number }>(
      await h.bridge.database.db.execute(
        sql`select body, count(*) as n from messages group by body`,
      ),
    );
    const bodies = new Map(rows.map((r) => [r.body, Number(r.n)]));
    for (const [n, status] of traffic.answers)
      if (status === 200) expect(bodies.get(`outage ${n}`), `outage ${n}`).toBe(1);
    const more = callbackLoad(h.bridge.url);
    await until(() => more.count(200) > 5, 20_000, "more callbacks stored");
    await h.bridge.database.close();
    const closedAt = more.answers.size;
    await until(
      () => [...more.answers].filter(([n, s]) => n > closedAt + 8 && s === 503).length > 20,
      20_000,
      "503 after close",
    );
    expect((await fetch(`${h.bridge.url}/healthz`)).status).toBe(503);
    await more.stop();
    expect(more.count("none")).toBe(0);
    expect([...new Set(more.answers.values())].sort()).toEqual([200, 503]);
  } finally {
    await h.close().catch(() => {});
  }
}

describe("database outage under load", () => {
  it(
    TEST_DB === "postgres"
      ? `stays up across ${CUTS} cuts, answers 503 while cut, loses nothing answered 200`
      : "answers 503 once the database is closed under load, loses nothing answered 200",
    () => (TEST_DB === "postgres" ? cutsUnderLoad() : closeUnderLoad()),
    240_000,
  );
});
