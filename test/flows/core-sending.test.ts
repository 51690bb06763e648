// Outbound SMS through the real Ardary client and the simulator: batching, retries with the
// same id_sms_api, and the opt-out checked at send time. (`ardary-bridge send` as a command:
// test/e2e/core-sending.test.ts.)
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/database.ts";
import { type Harness, startHarness, until } from "../support/harness.ts";

async function statuses(h: Harness) {
  return rowsOf<{ status: string; client_ref: string; error: string | null }>(
    await h.bridge.database.db.execute(
      sql`select status, client_ref, error from messages where direction = 'out' order by id`,
    ),
  );
}

async function queue(h: Harness, n: number, phone = (i: number) => `+1555${String(1000000 + i)}`) {
  await h.bridge.database.db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      await h.bridge.bridge.queueSms(tx, { phone: phone(i), text: `message ${i}`, author: "test" });
    }
  });
}

describe("sending", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("sends 250 queued SMS as 3 requests", async () => {
    h = await startHarness({ env: { ARDARY_MODE: "test" } });
    await queue(h, 250);
    await until(
      async () => (await statuses(h as Harness)).every((s) => s.status === "submitted"),
      20_000,
      "all submitted",
    );
    const sizes = h.sim.requests.map((r) => (r.body as { messages: unknown[] }).messages.length);
    expect(sizes.sort((a, b) => b - a)).toEqual([100, 100, 50]);
  });

  it("backs off while the provider answers 500, then sends each SMS exactly once with the same id", async () => {
    h = await startHarness({ env: { ARDARY_MODE: "test" } });
    h.sim.fault({ status: 500, count: 3 });
    await queue(h, 5);
    await until(
      async () => (await statuses(h as Harness)).every((s) => s.status === "submitted"),
      20_000,
      "all submitted",
    );
    const ids = (await statuses(h)).map((s) => s.client_ref);
    expect(h.sim.requests).toHaveLength(4);
    for (const r of h.sim.requests) {
      expect(
        (r.body as { messages: { id_sms_api: string }[] }).messages.map((m) => m.id_sms_api),
      ).toEqual(ids);
    }
    expect(h.sim.requests.map((r) => r.fault)).toEqual(["status", "status", "status", undefined]);
    expect(h.sim.sent.map((s) => s.id_sms_api).sort()).toEqual([...ids].sort());
  });

  it("sends nothing to a number that said STOP after its SMS was queued", async () => {
    h = await startHarness({ env: { ARDARY_MODE: "test" } });
    // The provider fails until the STOP is answered: the SMS is still queued when it comes.
    h.sim.fault({ status: 503, untilMs: 3_600_000 });
    await queue(h, 1, () => "+15550002222");
    // A count of 0 is a value to `until`: the wait is for one request at least, answered 503
    // (with `length` alone, the STOP could come before any attempt, and the SMS leave after it
    // with the fault cleared: sent before the STOP was read, as the contract allows).
    await until(() => (h?.sim.requests.length ?? 0) > 0, 5000, "a first attempt");
    expect(h.sim.requests[0]?.fault).toBe("status");
    const stop = await h.callback("message", {
      title: "incoming sms",
      from: "+15550002222",
      body: "STOP",
      date: "2026-11-27 10:00:00",
    });
    expect(stop.status).toBe(200);
    h.sim.clearFaults();
    const [row] = await until(
      async () => {
        const rows = await statuses(h as Harness);
        return rows[0]?.status === "failed" && rows;
      },
      // Its back-off grew while the provider failed; the outage probe tries it within 5 s.
      30_000,
      "the SMS refused",
      async () =>
        JSON.stringify({
          messages: await statuses(h as Harness),
          jobs: rowsOf(
            await (h as Harness).bridge.database.db.execute(
              sql`select kind, state, attempts, run_at, last_error from jobs`,
            ),
          ),
          events: rowsOf(
            await (h as Harness).bridge.database.db.execute(
              sql`select id, processed_at, retry_at, attempts, error from events`,
            ),
          ),
          requests: (h as Harness).sim.requests.map((r) => r.fault ?? "ok"),
        }),
    );
    expect(row?.error).toMatch(/opted out/);
    expect(h.sim.sent).toEqual([]);
  });

  it("records a provider #007 as a failure in words, and #003 as an opt-out", async () => {
    h = await startHarness({ env: { ARDARY_MODE: "test" }, sim: { optedOut: ["+15550003333"] } });
    await h.bridge.database.db.transaction(async (tx) => {
      await h?.bridge.bridge.queueSms(tx, { phone: "+15550003333", text: "x", author: "t" });
      await h?.bridge.bridge.queueSms(tx, { phone: "+999123", text: "bad number", author: "t" });
    });
    const rows = await until(
      async () => {
        const r = await statuses(h as Harness);
        return r.every((s) => s.status !== "queued") && r;
      },
      10_000,
      "answers",
    );
    expect(rows.map((r) => r.status)).toEqual(["failed", "failed"]);
    expect(rows[0]?.error).toMatch(/#003/);
    const optOuts = rowsOf<{ phone: string; source: string }>(
      await h.bridge.database.db.execute(sql`select phone, source from opt_outs`),
    );
    expect(optOuts).toEqual([{ phone: "+15550003333", source: "provider" }]);
  });
});
