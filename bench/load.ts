// HTTP load generators over undici with keep-alive connections. Closed loop: `concurrency`
// callers, each sending its next request when the previous one is answered (throughput at a
// fixed concurrency). Open loop: requests start at fixed times whatever happens to the earlier
// ones, and each latency is measured from its *scheduled* start, so a stall counts against
// every request it delays (no coordinated omission).
import { performance } from "node:perf_hooks";
import { Agent, request } from "undici";

export interface LoadResult {
  /** Latencies of the requests counted, ms. */
  latencies: number[];
  /** Requests answered 2xx in the counted window. */
  ok: number;
  /** Non-2xx answers or transport errors in the counted window. */
  errors: number;
  /** Counted window, ms (closed loop: after warm-up; open loop: first schedule to last answer). */
  windowMs: number;
  /** ok per second over the window. */
  rps: number;
  /** First error seen, to say why. */
  firstError?: string;
  /** CPU time of this whole process (server under test included when in-process) per ok request, ms. */
  cpuMsPerRequest?: number;
}

export function keepAliveAgent(connections: number): Agent {
  return new Agent({
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 60_000,
  });
}

async function once(agent: Agent, url: string): Promise<string | undefined> {
  try {
    const res = await request(url, { dispatcher: agent });
    await res.body.dump();
    return res.statusCode >= 200 && res.statusCode < 300 ? undefined : `HTTP ${res.statusCode}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export interface ClosedLoopOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** The URL of the i-th request (distinct payloads). */
  url: (i: number) => string;
  /** Told of every answer, warm-up included: the i-th request, answered 2xx or not. */
  onAnswer?: (i: number, ok: boolean) => void;
}

export async function closedLoop(o: ClosedLoopOptions): Promise<LoadResult> {
  const agent = keepAliveAgent(o.concurrency);
  const start = performance.now();
  const countFrom = start + o.warmupMs;
  const end = countFrom + o.durationMs;
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  let cpu0: NodeJS.CpuUsage | undefined;
  let cpu: NodeJS.CpuUsage | undefined;
  const marks = [
    setTimeout(() => {
      cpu0 = process.cpuUsage();
    }, o.warmupMs),
    setTimeout(() => {
      cpu = process.cpuUsage(cpu0);
    }, o.warmupMs + o.durationMs),
  ];
  async function caller() {
    while (performance.now() < end) {
      const i = next++;
      const t0 = performance.now();
      const error = await once(agent, o.url(i));
      const t1 = performance.now();
      o.onAnswer?.(i, error === undefined);
      if (t0 < countFrom || t1 > end) continue;
      if (error) {
        errors++;
        firstError ??= error;
      } else {
        ok++;
        latencies.push(t1 - t0);
      }
    }
  }
  await Promise.all(Array.from({ length: o.concurrency }, caller));
  for (const m of marks) clearTimeout(m);
  await agent.close();
  const cpuMsPerRequest = cpu && ok > 0 ? (cpu.user + cpu.system) / 1000 / ok : undefined;
  return {
    latencies,
    ok,
    errors,
    windowMs: o.durationMs,
    rps: ok / (o.durationMs / 1000),
    firstError,
    cpuMsPerRequest,
  };
}

export interface OpenLoopOptions {
  /** Arrivals per second. */
  rate: number;
  durationMs: number;
  url: (i: number) => string;
  /** Most connections open at once (a request waits for one: that wait is counted). */
  connections?: number;
}

export async function openLoop(o: OpenLoopOptions): Promise<LoadResult> {
  const agent = keepAliveAgent(o.connections ?? 512);
  const total = Math.round((o.rate * o.durationMs) / 1000);
  const interval = 1000 / o.rate;
  const start = performance.now() + 20;
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const fire = (i: number, scheduled: number) =>
    once(agent, o.url(i)).then((error) => {
      if (error) {
        errors++;
        firstError ??= error;
      } else {
        ok++;
        latencies.push(performance.now() - scheduled);
      }
    });
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        inFlight.push(fire(next, start + next * interval));
        next++;
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    tick();
  });
  await Promise.all(inFlight);
  const windowMs = performance.now() - start;
  await agent.close();
  return { latencies, ok, errors, windowMs, rps: ok / (windowMs / 1000), firstError };
}
