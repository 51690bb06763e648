// `npm run fuzz` in short: 300 seeded hostile callbacks, each answered as its class requires
// (never a 5xx), every inbound SMS answered 200 stored exactly once, and not one log line, at
// any level, holding the secret or any 4 characters of it, a full phone number or a body.
import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/database.ts";
import { generateCases, leaksIn, runCases } from "../support/fuzz-cases.ts";
import { processed, startHarness } from "../support/harness.ts";

const SEED = 20261127;
/** Letters only, none a hex digit first (a bad %-escape before it stays bad). */
const SECRET = "ZqXvKjWpQmYbNcRtLsHgMzVuTy";

describe("fuzzed callbacks", () => {
  it("answers each class right, stores each SMS once, and leaks nothing into the logs", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    const h = await startHarness({
      env: { ARDARY_CALLBACK_SECRET: SECRET },
      log: pino({ level: "trace" }, sink),
    });
    try {
      const cases = generateCases(SEED, 300, SECRET);
      const result = await runCases(h.bridge.url, cases, 8);
      expect(result.unexpected).toEqual({});
      expect(Object.keys(result.byStatus).filter((s) => !/^[24]\d\d$/.test(s))).toEqual([]);
      await processed(h.bridge.database);
      const rows = rowsOf<{ body: string }>(
        await h.bridge.database.db.execute(sql`select body from messages`),
      );
      for (const marker of result.storedMarkers) {
        expect(
          rows.filter((r) => r.body.includes(marker)),
          marker,
        ).toHaveLength(1);
      }
      expect(rows).toHaveLength(result.storedMarkers.size);
      expect(lines.length).toBeGreaterThan(300);
      expect(leaksIn(lines, SECRET, cases, SEED)).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
