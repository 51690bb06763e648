// Figure 5: outbound throughput. SMS waiting in the queue (bridge.queueSms), then sent by the worker to the Ardary simulator in batched sendSms requests.
import { performance } from "node:perf_hooks";
import { startHarness, until } from "../../test/support/harness.ts";
import { frMobile } from "../../test/support/world.ts";
import type { BenchOptions, Row } from "../table.ts";

export async function figureOutbound(opts: BenchOptions): Promise<Row[]> {
  const total = opts.quick ? 2000 : 10_000;
  // Test mode: the simulator accepts without calling back, so this is the send path alone
  // (in prod mode each SMS brings two status callbacks: figure 1's path).
  const h = await startHarness({ env: { ARDARY_MODE: "test" } });
  try {
    const { bridge, database } = h.bridge;
    // Queued while the worker is stopped (10 transactions at once, the pool's size), then the
    // worker starts: the clock runs from its start, so queueing speed does not count.
    await h.bridge.worker?.stop(5000);
    const q0 = performance.now();
    const PARALLEL = 10;
    await Promise.all(
      Array.from({ length: PARALLEL }, (_, t) =>
        database.db.transaction(async (tx) => {
          for (let i = t; i < total; i += PARALLEL) {
            const r = await bridge.queueSms(tx, {
              phone: frMobile(i),
              text: `Your parcel ${i} is on its way.`,
              author: "bench",
            });
            if (!("message" in r)) throw new Error(`SMS ${i} not queued: ${JSON.stringify(r)}`);
          }
        }),
      ),
    );
    const queueMs = performance.now() - q0;
    const committed = Date.now();
    await h.bridge.worker?.start();
    await until(() => h.sim.sent.length >= total, 120_000, "every SMS to reach the simulator");
    const lastAt = Math.max(...h.sim.sent.map((s) => s.at.getTime()));
    const firstAt = Math.min(...h.sim.sent.map((s) => s.at.getTime()));
    const requests = h.sim.requests.filter((r) => r.endpoint === "sendSms").length;
    const drainMs = lastAt - committed;
    const rate = total / (drainMs / 1000);
    const perThousand = (requests / total) * 1000;
    const name = `5 outbound (${total} SMS)`;
    const note = `queued (worker stopped) in ${(queueMs / 1000).toFixed(1)} s (${(total / (queueMs / 1000)).toFixed(0)} SMS/s through bridge.queueSms); clock from the worker's start; first accepted after ${firstAt - committed} ms; ${requests} sendSms requests`;
    return [
      {
        figure: name,
        metric: "SMS/s (worker start → last accepted)",
        value: rate,
        unit: "SMS/s",
        goal: "≥ 2,000 SMS/s",
        met: rate >= 2000,
        note,
      },
      {
        figure: name,
        metric: "requests per 1,000 SMS",
        value: perThousand,
        unit: "req",
        goal: "≤ 10",
        met: perThousand <= 10,
      },
      {
        figure: name,
        metric: "wait of the last SMS",
        value: drainMs / 1000,
        unit: "s",
        goal: "—",
        met: null,
      },
    ];
  } finally {
    await h.close();
  }
}
