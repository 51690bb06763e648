// The stall watch's verdicts (src/db/stall.ts), from what pg_stat_activity would say: a
// connection is retired only when its backend waits for its client as long as we wait for it,
// twice in a row; a lock holder is ended only when it is silent in its transaction, long enough,
// and of a role we may end. On Postgres: test/e2e/survive-strand.test.ts and
// test/unit/db/orphan-lock.test.ts.
import { describe, expect, it } from "vitest";
import { StallWatch } from "../../../src/db/stall.ts";

type Row = Record<string, unknown>;

/** A statement in flight on backend `pid` that never ends (or ends when `settle` is called). */
function statement(pid: number) {
  let settle = () => {};
  const q = Object.assign(
    new Promise<void>((r) => {
      settle = r;
    }),
    { state: { pid } },
  );
  return { q, settle: () => settle() };
}

const backend = (pid: number, o: Partial<Row> = {}): Row => ({
  pid,
  mine: true,
  state: "active",
  wait_event_type: "Client",
  wait_event: "ClientRead",
  in_xact: true,
  since: "2026-01-01 00:00:00+00",
  silent_ms: 10_000,
  may_end: true,
  app: "postgres.js",
  ...o,
});

/** A watch whose looks answer `rows()`; records what it ended and whether it retired the pool. */
function watched(rows: () => Row[], suspectMs = 20) {
  const ended: number[] = [];
  let retired = 0;
  let looks = 0;
  const watch = new StallWatch({
    inspect: async <T>(text: string, params: unknown[]) => {
      if (text.includes("pg_terminate_backend")) {
        ended.push(Number(params[0]));
        return [] as T[];
      }
      looks++;
      return rows() as T[];
    },
    retire: () => {
      retired++;
    },
    suspectMs,
    confirmMs: 30,
    orphanMs: 100,
    tickMs: 5,
  });
  return { watch, ended, retired: () => retired, looks: () => looks };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the stall watch", () => {
  it("retires the pool when a backend waits for its client while we wait for it, seen twice", async () => {
    const w = watched(() => [backend(42)]);
    const s = statement(42);
    w.watch.track(s.q);
    await sleep(200);
    expect(w.retired()).toBeGreaterThanOrEqual(1);
    expect(w.ended).toEqual([]); // ours are ended by whoever retires the pool (END_ALL)
    expect(w.watch.backendsInFlight()).toEqual([42]);
    s.settle();
    w.watch.stop();
  });

  it("does not when the backend works, or moved on between two looks", async () => {
    let n = 0;
    const w = watched(() => [
      n++ % 2 === 0
        ? backend(42, { wait_event: null, wait_event_type: null })
        : backend(42, { since: `2026-01-01 00:00:0${n % 10}+00` }),
    ]);
    const s = statement(42);
    w.watch.track(s.q);
    await sleep(200);
    expect(w.looks()).toBeGreaterThan(2);
    expect(w.retired()).toBe(0);
    s.settle();
    w.watch.stop();
  });

  it("does not look at a statement that ends in time", async () => {
    // Suspect only after 1 s: the statement ends after ~5 ms, however loaded the machine is.
    const w = watched(() => [backend(42)], 1_000);
    const s = statement(42);
    w.watch.track(s.q);
    await sleep(5);
    s.settle();
    await sleep(100);
    expect(w.looks()).toBe(0);
    expect(w.retired()).toBe(0);
  });

  it("ends a lock holder silent in its transaction long enough, of a role it may end", async () => {
    // 77's silence grows 10 ms a look, from 50 ms: an orphan from 100 ms (orphanMs).
    let silent = 50;
    let silentWhenEnded = 0;
    const w = watched(() => {
      silent += 10;
      if (w?.ended.length === 0) silentWhenEnded = silent;
      return [
        backend(42, { wait_event_type: "Lock", wait_event: "advisory", silent_ms: 1000 }),
        backend(77, { mine: false, silent_ms: silent }),
        backend(78, { mine: false, may_end: false }),
        backend(79, { mine: false, in_xact: false }),
        backend(80, { mine: false, wait_event: null, wait_event_type: null }),
      ];
    });
    const s = statement(42);
    w.watch.track(s.q);
    await sleep(400);
    expect(new Set(w.ended)).toEqual(new Set([77]));
    // Not at the first look that found it silent 100 ms: at a later one (the confirmation).
    expect(silentWhenEnded).toBeGreaterThan(100);
    expect(w.retired()).toBe(0);
    s.settle();
    w.watch.stop();
  });
});
