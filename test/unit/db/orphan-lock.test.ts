// No lock an orphan holds for ever (issue 22). A session of the bridge's role takes the inbox's
// advisory lock in a transaction and then says nothing more, with no timeout of its own: what a
// process leaves behind when its link to Postgres went silent mid-round and it died or was
// restarted (Postgres keeps such a backend, and its locks, until TCP tells it otherwise). The
// worker of a bridge started afterwards waits for that lock; it finds the holder waiting for its
// client inside its transaction, ends it (pg_terminate_backend), and acts on the callbacks.
// Postgres only (PGlite has one connection), so it runs once, with the unit tests.
import { performance } from "node:perf_hooks";
import { sql } from "drizzle-orm";
import pino from "pino";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { rowsOf } from "../../../src/db/database.ts";
import { processed, startHarness, until } from "../../support/harness.ts";

/** The inbox's advisory lock (src/ingest/inbox.ts). */
const INBOX_LOCK = 727_100_002;

describe("a lock held by a session gone silent", () => {
  it("is freed: the silent holder is ended, the callbacks behind it are acted on (Postgres only)", async () => {
    const lines: string[] = [];
    const log = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });
    const h = await startHarness({ log });
    // Straight to Postgres, none of the bridge's timeouts: nothing but the bridge will end it.
    const orphan = postgres(h.db.url ?? "", { max: 1, onnotice: () => {} });
    try {
      let pid: number | undefined;
      void orphan
        .begin(async (tx) => {
          const [row] = await tx<{ pid: number }[]>`
            select pg_backend_pid() as pid, pg_advisory_xact_lock(${INBOX_LOCK}::bigint)`;
          pid = row?.pid;
          await new Promise(() => {}); // silent from now on
        })
        .catch(() => {});
      await until(() => pid, 10_000, "the orphan holding the lock");

      const began = performance.now();
      const res = await h.callback("message", {
        title: "incoming sms",
        from: "+15553000001",
        body: "behind an orphan",
        date: "2026-11-27 10:00:00",
      });
      expect(res.status).toBe(200);
      await processed(h.bridge.database, 30_000);
      const tookMs = performance.now() - began;
      const still = rowsOf(
        await h.bridge.database.db.execute(
          sql`select pid from pg_stat_activity where pid = ${pid ?? 0}`,
        ),
      );
      const ended = lines.filter((l) => l.includes("silent in its transaction: ended"));
      console.log(
        `orphan lock: the callback behind it acted on after ${(tookMs / 1000).toFixed(2)} s (the holder is ended once silent 5 s)`,
      );
      expect(ended).toHaveLength(1);
      expect(JSON.parse(ended[0] ?? "{}").pid).toBe(pid);
      // Its backend is gone.
      expect(still).toEqual([]);
      expect(tookMs).toBeLessThan(15_000);
    } finally {
      await orphan.end({ timeout: 0 });
      await h.close();
    }
  }, 60_000);
});
