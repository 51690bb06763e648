// SIGKILL soak of the Slack path, short: the built server is killed right after a Slack post
// (a card, then a reply in a thread, in turn) and started again, while callbacks flow. Every SMS
// answered 200 is posted exactly once, in order per number, and each number has one card.
// Postgres: a fresh database of the test server, 4 kills. PGlite: a folder of its own, which the
// spawned server alone opens (one process per folder) and takes over after each kill; 2 kills
// (a card, a reply), a PGlite server taking a few seconds to start.
// Then again with Slack answering the look-ups for an earlier attempt's post with 429 for 1.5 s
// after each restart (2 kills: a card, a reply): a look-up that meets a rate limit waits and
// looks again, it never takes the limit for "not found" and posts a second time (issue 22).
// The long form, as many SMS and kills as asked: bench/exactly-once-soak.ts.
import { describe, expect, it } from "vitest";
import { createTestDatabase, TEST_DB } from "../support/db.ts";
import { runKillSoak } from "../support/kill-soak.ts";

const KILLS = TEST_DB === "pglite" ? 2 : 4;

describe("SIGKILL soak of the Slack path", () => {
  it(`posts every SMS answered 200 once, in order, across ${KILLS} kills and restarts`, async () => {
    const db = await createTestDatabase({ onDisk: true });
    try {
      const r = await runKillSoak({
        db,
        total: 24,
        kills: KILLS,
        numbers: 4,
        leaseMs: 1000,
        gapMs: 20,
      });
      const seen = r.timeline.join("\n");
      expect(r.killedAfter, seen).toEqual(["card", "reply", "card", "reply"].slice(0, KILLS));
      expect(r.doubles, seen).toEqual([]);
      expect(r.missing, seen).toEqual([]);
      expect(r.outOfOrder, seen).toEqual([]);
      expect(r.cards, seen).toBe(r.numbers);
    } finally {
      await db.drop();
    }
  }, 90_000);

  it("posts nothing twice when the look-ups for the earlier post meet a 429 after each restart", async () => {
    const db = await createTestDatabase({ onDisk: true });
    try {
      const r = await runKillSoak({
        db,
        total: 24,
        kills: 2,
        numbers: 4,
        leaseMs: 1000,
        gapMs: 20,
        lookupLimitMs: 1500,
      });
      const seen = r.timeline.join("\n");
      expect(r.killedAfter, seen).toEqual(["card", "reply"]);
      expect(r.lookupsLimited, seen).toBeGreaterThan(0);
      expect(r.doubles, seen).toEqual([]);
      expect(r.missing, seen).toEqual([]);
      expect(r.outOfOrder, seen).toEqual([]);
      expect(r.cards, seen).toBe(r.numbers);
    } finally {
      await db.drop();
    }
  }, 90_000);
});
