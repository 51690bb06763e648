// Crashes: the built server (`node bin/ardary-bridge.js serve`, a child process) killed with
// SIGKILL mid-burst keeps every callback it acknowledged, exactly once, and the next start acts
// on what was stored but not acted on. (The database down: test/flows/core-resilience.test.ts.)
import { type ChildProcess, spawn } from "node:child_process";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { migrateOpen, openDatabase, rowsOf } from "../../src/db/database.ts";
import { createTestDatabase } from "../support/db.ts";
import {
  baseEnv,
  processed,
  SECRET,
  SIM_KEY,
  SIM_LOGIN,
  startHarness,
  until,
} from "../support/harness.ts";
import { freePort } from "../support/world.ts";

function inbound(n: number) {
  return {
    title: "incoming sms",
    from: `+1555${String(2000000 + (n % 20))}`,
    body: `burst ${n}`,
    date: "2026-11-27 10:00:00",
  };
}

describe("resilience", () => {
  it("keeps every callback it answered 200, exactly once, across a SIGKILL", async () => {
    const db = await createTestDatabase({ onDisk: true });
    const sim = await startSimulator({ accessKey: SIM_KEY, login: SIM_LOGIN });
    const port = await freePort();
    const env = {
      ...process.env,
      ...baseEnv(db, sim, { PORT: String(port), ARDARY_MODE: "test" }),
    };
    const base = `http://127.0.0.1:${port}`;
    const startServer = async (): Promise<ChildProcess> => {
      const child = spawn("node", ["bin/ardary-bridge.js", "serve"], { env, stdio: "ignore" });
      await until(
        async () => (await fetch(`${base}/healthz`).catch(() => null))?.status === 200,
        30_000,
        "server up",
      );
      return child;
    };
    try {
      let server = await startServer();
      const acked: number[] = [];
      const total = 300;
      let next = 0;
      const sendOne = async (n: number) => {
        const res = await fetch(
          `${base}/ardary/callback/${SECRET}?message=${encodeURIComponent(JSON.stringify(inbound(n)))}`,
        ).catch(() => null);
        if (res?.status === 200) acked.push(n);
      };
      const workers = Array.from({ length: 16 }, async () => {
        while (next < total) {
          const n = next++;
          if (n === 120) server.kill("SIGKILL");
          await sendOne(n);
        }
      });
      await Promise.all(workers);
      expect(acked.length).toBeGreaterThan(50);
      expect(acked.length).toBeLessThan(total);
      server = await startServer();
      // The provider tries again what was not acknowledged; what was, must not be doubled.
      // A 503 (say, a request met the pool's patience on a loaded machine) is tried again, as
      // the provider does, until it is answered 200.
      const missing = [...Array(total).keys()].filter((n) => !acked.includes(n));
      for (const n of missing)
        await until(
          async () => {
            await sendOne(n);
            return acked.includes(n);
          },
          20_000,
          `burst ${n} acked`,
        );
      // SIGTERM drains and exits cleanly (within the 25 s a platform allows).
      server.kill("SIGTERM");
      const code = await new Promise((r) => server.once("exit", (c) => r(c)));
      expect(code).toBe(0);
      // Every callback answered 200 is stored, once.
      const database = await openDatabase({ url: db.url, dataDir: db.env.DATA_DIR });
      await migrateOpen(database, db.url);
      const stored = rowsOf<{ n: string | number }>(
        await database.db.execute(sql`select count(*) as n from events`),
      );
      expect(Number(stored[0]?.n)).toBe(total);
      await database.close();
      // The next start acts on what was stored but not acted on (if anything was left), once.
      const h = await startHarness({ db });
      try {
        await processed(h.bridge.database, 30_000);
        const rows = rowsOf<{ body: string; n: string | number }>(
          await h.bridge.database.db.execute(
            sql`select body, count(*) as n from messages group by body`,
          ),
        );
        const counts = new Map(rows.map((r) => [r.body, Number(r.n)]));
        for (let n = 0; n < total; n++) expect(counts.get(`burst ${n}`), `burst ${n}`).toBe(1);
        expect(rows).toHaveLength(total);
      } finally {
        await h.close();
      }
    } finally {
      await sim.close();
      await db.drop();
    }
  });
});
