// Outages: with the database down, nothing is acknowledged, and the callbacks the provider
// tries again are stored once. (A bridge killed with SIGKILL mid-burst, a built server in a
// child process: test/e2e/core-resilience.test.ts.)
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/database.ts";
import { createTestDatabase, PG_ADMIN_URL, TEST_DB } from "../support/db.ts";
import { processed, startHarness, until } from "../support/harness.ts";
import { startTcpProxy } from "../support/tcp-proxy.ts";

function inbound(n: number) {
  return {
    title: "incoming sms",
    from: `+1555${String(2000000 + (n % 20))}`,
    body: `burst ${n}`,
    date: "2026-11-27 10:00:00",
  };
}

describe("resilience", () => {
  it("answers 503 while the database is down, acknowledges nothing, and stores the retries once", async () => {
    const db = await createTestDatabase({ onDisk: true });
    const proxy =
      TEST_DB === "postgres"
        ? await startTcpProxy("127.0.0.1", Number(new URL(PG_ADMIN_URL).port || 5432))
        : null;
    const viaProxy =
      proxy && db.url ? db.url.replace(/@[^/]+\//, `@127.0.0.1:${proxy.port}/`) : undefined;
    let h = await startHarness({
      db: { ...db, env: { ...db.env, ...(viaProxy ? { DATABASE_URL: viaProxy } : {}) } },
    });
    try {
      const send = (n: number) => h.callback("message", inbound(n));
      expect((await send(1)).status).toBe(200);
      if (proxy) proxy.cut();
      else await h.bridge.database.close(); // PGlite: the embedded database is gone
      for (const n of [2, 3, 4]) expect((await send(n)).status).toBe(503);
      expect((await fetch(`${h.bridge.url}/healthz`)).status).toBe(503);
      if (proxy) {
        proxy.restore();
      } else {
        await h.close();
        h = await startHarness({ db });
      }
      // The provider tries again: each is stored once, the one acknowledged before is not doubled.
      for (const n of [1, 2, 3, 4]) {
        await until(async () => (await send(n)).status === 200, 10_000, `callback ${n} accepted`);
      }
      await processed(h.bridge.database);
      const rows = rowsOf<{ body: string }>(
        await h.bridge.database.db.execute(sql`select body from messages order by body`),
      );
      expect(rows.map((r) => r.body)).toEqual(["burst 1", "burst 2", "burst 3", "burst 4"]);
    } finally {
      await h.close().catch(() => {});
      await proxy?.close();
      await db.drop();
    }
  });
});
