// Figure 2: acknowledgement latency at fixed arrival rates (open loop), measured from each
// request's scheduled start.
import { startSlackWorld } from "../../test/support/slack-setup.ts";
import { sleep } from "../../test/support/world.ts";
import { openLoop } from "../load.ts";
import { summarize } from "../stats.ts";
import type { BenchOptions, Row } from "../table.ts";
import { ingestUrl } from "./ingest.ts";

export const RATES = [100, 500, 1000, 2000];

/** p99 goal per rate, ms: issue 5 at 500/s, issue 14 at 1,000/s, issue 19 at 2,000/s. */
const GOAL_P99: Record<number, number> = { 500: 50, 1000: 50, 2000: 20 };

export async function figureLatency(opts: BenchOptions): Promise<Row[]> {
  const durationMs = opts.quick ? 3000 : 8000;
  const world = await startSlackWorld();
  const rows: Row[] = [];
  try {
    // As in figure 1: the ingest path alone (see there).
    await world.h.bridge.worker?.stop(5000);
    const base = world.h.bridge.url;
    await openLoop({ rate: 100, durationMs: 1000, url: ingestUrl(base, "warm-up") });
    for (const rate of RATES) {
      await sleep(500);
      const r = await openLoop({ rate, durationMs, url: ingestUrl(base, `open ${rate}`) });
      const s = summarize(r.latencies);
      const goalMs = GOAL_P99[rate];
      const goal = goalMs === undefined ? "—" : `p99 ≤ ${goalMs} ms`;
      rows.push({
        figure: `2 ack latency @ ${rate}/s`,
        metric: "p50 / p99 / p99.9",
        value: `${s.p50.toFixed(1)} / ${s.p99.toFixed(1)} / ${s.p999.toFixed(1)}`,
        unit: "ms",
        goal,
        met: goalMs === undefined ? null : r.errors === 0 && s.p99 <= goalMs,
        note: `open loop ${durationMs / 1000} s, ${r.ok} answered (${r.rps.toFixed(0)}/s achieved), ${r.errors} errors${r.firstError ? ` (${r.firstError})` : ""}, max ${s.max.toFixed(1)} ms`,
      });
    }
  } finally {
    await world.close();
  }
  return rows;
}
