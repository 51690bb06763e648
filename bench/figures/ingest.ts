// Figure 1: callback ingest at a fixed concurrency, against a bare Express + one INSERT
// reference on the same Postgres, loaded by the same closed-loop generator.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import postgres from "postgres";
import { createTestDatabase } from "../../test/support/db.ts";
import { SECRET } from "../../test/support/harness.ts";
import { startSlackWorld } from "../../test/support/slack-setup.ts";
import { frMobile, inboundUrl } from "../../test/support/world.ts";
import { closedLoop, type LoadResult } from "../load.ts";
import { summarize } from "../stats.ts";
import type { BenchOptions, Row } from "../table.ts";

/** Callers at once, for the bridge, the reference and figure 6's load alike. */
export const INGEST_CONCURRENCY = 16;
/** The pool size the bridge opens (src/db/database.ts), given to the reference too. */
const POOL = 10;

export function ingestLoad(opts: BenchOptions) {
  return { warmupMs: opts.quick ? 1000 : 2000, durationMs: opts.quick ? 3000 : 10_000 };
}

/** Distinct callbacks: 1,000 numbers, each text different. */
export function ingestUrl(base: string, tag: string) {
  return (i: number) => inboundUrl(base, SECRET, frMobile(i % 1000), `${tag} ${i}`);
}

/** The reference: a bare Express handler doing one INSERT of the JSON, on its own database. */
export async function startReference() {
  const database = await createTestDatabase();
  const sql = postgres(database.url as string, { max: POOL, onnotice: () => {} });
  await sql`create table ref_events (
    id bigserial primary key, payload jsonb not null, received_at timestamptz not null default now())`;
  const app = express();
  app.set("query parser", "simple");
  app.get("/ardary/callback/:secret", async (req, res, next) => {
    try {
      await sql`insert into ref_events (payload) values (${String(req.query.message)}::jsonb)`;
      res.json({ ok: true });
    } catch (err) {
      next(err);
    }
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    async rows() {
      const [r] = await sql<{ n: string }[]>`select count(*)::text as n from ref_events`;
      return Number(r?.n);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await sql.end({ timeout: 5 });
      await database.drop();
    },
  };
}

function describeLoad(r: LoadResult): string {
  const s = summarize(r.latencies);
  return `p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, ${r.errors} errors${r.firstError ? ` (${r.firstError})` : ""}, ${r.cpuMsPerRequest?.toFixed(2)} ms of this process's CPU per request (load generator included)`;
}

/**
 * The bridge and the reference loaded in alternating slices (reference, bridge, reference…),
 * each after a short refill of its pipeline, so that a burst of other work on a shared machine
 * falls on both rather than on whichever ran at that moment.
 */
const SLICES = 5;

function merge(parts: LoadResult[]): LoadResult {
  const ok = parts.reduce((a, r) => a + r.ok, 0);
  const windowMs = parts.reduce((a, r) => a + r.windowMs, 0);
  const cpu = parts.reduce((a, r) => a + (r.cpuMsPerRequest ?? 0) * r.ok, 0);
  return {
    latencies: parts.flatMap((r) => r.latencies),
    ok,
    errors: parts.reduce((a, r) => a + r.errors, 0),
    windowMs,
    rps: ok / (windowMs / 1000),
    firstError: parts.find((r) => r.firstError)?.firstError,
    cpuMsPerRequest: ok > 0 ? cpu / ok : undefined,
  };
}

export async function figureIngest(opts: BenchOptions): Promise<Row[]> {
  const load = ingestLoad(opts);
  const ref = await startReference();
  const world = await startSlackWorld();
  const refParts: LoadResult[] = [];
  const parts: LoadResult[] = [];
  try {
    // The ingest path alone: the worker (and the fake Slack it would post to, which runs in
    // this process) is stopped, so that they do not share the CPU with the HTTP path measured.
    await world.h.bridge.worker?.stop(5000);
    const slice = (url: string, tag: string, warmupMs: number) =>
      closedLoop({
        concurrency: INGEST_CONCURRENCY,
        warmupMs,
        durationMs: load.durationMs / SLICES,
        url: ingestUrl(url, tag),
      });
    for (let k = 0; k < SLICES; k++) {
      const warmupMs = k === 0 ? load.warmupMs : 300;
      refParts.push(await slice(ref.url, `reference ${k}`, warmupMs));
      parts.push(await slice(world.h.bridge.url, `ingest ${k}`, warmupMs));
    }
  } finally {
    await world.close();
    await ref.close();
  }
  const result = merge(parts);
  const refResult = merge(refParts);
  const b = summarize(result.latencies);
  const r = summarize(refResult.latencies);
  const name = "1 callback ingest";
  const note = `concurrency ${INGEST_CONCURRENCY}, ${load.durationMs / 1000} s each in ${SLICES} alternating slices (reference, bridge…) after ${load.warmupMs / 1000} s warm-up; bridge: ${describeLoad(result)}; reference: ${describeLoad(refResult)}`;
  return [
    {
      figure: name,
      metric: "requests/s",
      value: result.rps,
      unit: "req/s",
      reference: { label: "Express + 1 INSERT", value: refResult.rps, unit: "req/s" },
      ratio: result.rps / refResult.rps,
      // Issue 5: ≥ 1.0×; issue 19: ≥ 1.5×.
      goal: "≥ 1.5× reference",
      met: result.errors === 0 && result.rps >= 1.5 * refResult.rps,
      note,
    },
    {
      figure: name,
      metric: "CPU of the bench process per request (server + load generator)",
      value: result.cpuMsPerRequest ?? null,
      unit: "ms",
      reference: {
        label: "Express + 1 INSERT",
        value: refResult.cpuMsPerRequest ?? Number.NaN,
        unit: "ms",
      },
      ratio: (result.cpuMsPerRequest ?? Number.NaN) / (refResult.cpuMsPerRequest ?? Number.NaN),
      goal: "—",
      met: null,
    },
    {
      figure: name,
      metric: "p50 latency",
      value: b.p50,
      unit: "ms",
      reference: { label: "Express + 1 INSERT", value: r.p50, unit: "ms" },
      ratio: b.p50 / r.p50,
      goal: "—",
      met: null,
    },
    {
      figure: name,
      metric: "p99 latency",
      value: b.p99,
      unit: "ms",
      reference: { label: "Express + 1 INSERT", value: r.p99, unit: "ms" },
      ratio: b.p99 / r.p99,
      goal: "—",
      met: null,
    },
  ];
}
