// Figure 7: scale-out. The same loads against one `serve` process, then against 2 `serve
// --no-worker` + 2 `worker` processes on one database (the built bridge, child processes),
// with the Ardary simulator (test mode: no status callbacks) and the fake Slack (every channel
// limited to a burst of 5 then 1 post/s, as figure 4). Measured on each: inbound callbacks/s
// (figure 1's closed loop, spread over the web processes), outbound SMS/s (SMS queued in one
// go, clock from their commit to the simulator accepting the last); on the four: figure 4's
// burst drain, and the peak of connections in pg_stat_activity, sampled every 100 ms from
// before the first boot to the end. Every callback answered 200 must be posted once, every SMS
// accepted once, no request made inside a Retry-After.
import { performance } from "node:perf_hooks";
import postgres from "postgres";
import { type Simulator, startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { loadEnv } from "../../src/boot/env.ts";
import { createServices } from "../../src/boot/services.ts";
import { migrateDatabase } from "../../src/db/database.ts";
import { type FakeSlack, startFakeSlack } from "../../test/fakes/slack.ts";
import {
  benchUrl,
  bridgeEnv,
  type Cluster,
  type Role,
  startCluster,
} from "../../test/support/cluster.ts";
import { createTestDatabase } from "../../test/support/db.ts";
import { SECRET, SIM_KEY, SIM_LOGIN, until } from "../../test/support/harness.ts";
import { insideRetryAfter, token, tokensOf } from "../../test/support/slack-posts.ts";
import { GENERAL } from "../../test/support/slack-setup.ts";
import { frMobile, inboundUrl } from "../../test/support/world.ts";
import { type CpuReport, cpuPhase, describeCpu } from "../cpu.ts";
import { closedLoop, type LoadResult } from "../load.ts";
import { type ConnectionSample, sampleConnections } from "../pg-connections.ts";
import { summarize } from "../stats.ts";
import type { BenchOptions, Row } from "../table.ts";
import { burstDrain, DRAIN_LIMIT, type DrainRun, drainRows } from "./drain.ts";
import { INGEST_CONCURRENCY, ingestLoad } from "./ingest.ts";

/**
 * Inbound numbers, each routed to a channel of its own (so posting is not held by a limit);
 * 100 rather than figure 1's 1,000 so that their SMS pile up and go out merged, and the posts
 * are done before the outbound measure.
 */
const NUMBERS = 100;
const channelOf = (i: number) => `CIN${String(i).padStart(4, "0")}`;
const OUTBOUND_PARALLEL = 10;
/** The simulator's answer time in the second outbound measure. */
const PROVIDER_DELAY_MS = 300;

interface SetupResult {
  label: string;
  inbound: { rps: number; p50: number; p99: number; errors: number; answered: number };
  /** Separate workers: the same load on one web process, workers paused. */
  oneWeb?: LoadResult;
  inboundLost: number;
  /** Answered 200 and still waiting for its post after 120 s (a backlog, not a loss). */
  inboundQueued: number;
  inboundDoubles: number;
  outbound: Outbound;
  slowProvider: Outbound;
  drain?: DrainRun;
  peak: ConnectionSample;
  early: number;
  limited: number;
  rssMb: Record<string, number>;
  cpuIn: CpuReport;
}

interface Outbound {
  total: number;
  rate: number;
  lost: number;
  doubles: number;
  firstMs: number;
  cpu: CpuReport;
}

async function runSetup(
  label: string,
  roles: { role: Role; name: string }[],
  o: { opts: BenchOptions; sim: Simulator; fake: FakeSlack; drainNumbers?: number },
): Promise<SetupResult> {
  const { sim, fake, opts } = o;
  const database = await createTestDatabase();
  const url = database.url as string;
  const slack = {
    botToken: fake.botToken,
    signingSecret: fake.signingSecret,
    apiUrl: fake.apiUrl,
    channel: GENERAL,
  };
  const env = bridgeEnv({
    databaseUrl: url,
    simApiUrl: sim.apiUrl,
    slack,
    mode: "test",
    secret: SECRET,
  });
  const sampler = sampleConnections(url, 100);
  let cluster: Cluster | undefined;
  const postsFrom = fake.posts.length;
  const requestsFrom = fake.requests.length;
  try {
    await migrateDatabase({ url: benchUrl(url) });
    const admin = postgres(benchUrl(url), { max: 1, onnotice: () => {} });
    await admin`insert into routes (pattern, platform, channel)
      select '+3361' || lpad(i::text, 7, '0'), 'slack', 'CIN' || lpad(i::text, 4, '0')
      from generate_series(0, ${NUMBERS - 1}) i`;
    await admin.end();
    cluster = await startCluster(roles, env);
    const webs = cluster.web().map((p) => p.url as string);
    const procs = cluster.processes.map((p) => ({ name: p.name, pid: () => p.pid }));
    const cpu = () => cpuPhase(procs, () => sampler.pids());

    // Inbound: figure 1's closed loop, request i to web process i mod n. With separate workers
    // it is measured twice with the workers paused (SIGSTOP: on 2 cores their posting would
    // take the CPU the web processes are measured on; a `serve` starves its own worker
    // instead), first on one web process, then on both.
    const answered = new Set<number>();
    const inbound = async (bases: string[], from: number) =>
      closedLoop({
        concurrency: INGEST_CONCURRENCY,
        // Each process warms up (JIT) apart: 2 s of warm-up even in --quick.
        ...ingestLoad(opts),
        warmupMs: 2000,
        url: (k) => {
          const i = from + k;
          return inboundUrl(
            bases[i % bases.length] as string,
            SECRET,
            frMobile(i % NUMBERS),
            token("in", i),
          );
        },
        onAnswer: (k, ok) => {
          if (ok) answered.add(from + k);
        },
      });
    const workers = cluster.processes.filter((p) => p.role === "worker");
    let oneWeb: LoadResult | undefined;
    for (const w of workers) w.pause();
    if (workers.length > 0) oneWeb = await inbound(webs.slice(0, 1), 1_000_000);
    const inPhase = cpu();
    const load = await inbound(webs, 0);
    const cpuIn = inPhase.end();
    for (const w of workers) w.resume();
    const inboundCounts = () => {
      const seen = new Map<number, number>();
      for (const p of fake.posts.slice(postsFrom))
        for (const t of tokensOf(p, "in")) seen.set(t.a, (seen.get(t.a) ?? 0) + 1);
      return seen;
    };
    // The posts are read once a look: read once per SMS, as before 7 December 2026, a look
    // took seconds of this process's CPU (every post scanned for every SMS answered), and the
    // fake Slack, in this process, answered no post meanwhile: the SMS "still waiting for their
    // post after 120 s" were waiting for the bench, not for the bridge (bench/drain-check.ts).
    await until(
      () => {
        const seen = inboundCounts();
        return [...answered].every((i) => seen.has(i));
      },
      120_000,
      "every inbound SMS to be posted",
    ).catch(() => undefined);
    // Not posted yet but still queued (chat_ref empty) is a backlog, not a loss. Read before
    // the posts: an SMS posted in between is then counted as posted, not as lost.
    const check = postgres(benchUrl(url), { max: 1, onnotice: () => {} });
    const waiting = new Set(
      (
        await check<{ body: string }[]>`
          select body from messages where direction = 'in' and chat_ref is null`
      ).map((r) => r.body),
    );
    const seen = inboundCounts();
    // The outbound measure starts once no post is left to make (or after a minute).
    await until(
      async () => {
        const [r] = await check<{ n: number }[]>`
          select count(*)::int as n from jobs where kind = 'chat.deliver' and state <> 'dead'`;
        return r?.n === 0;
      },
      60_000,
      "the posts to be done",
    ).catch(() => undefined);
    await check.end();
    const notPosted = [...answered].filter((i) => !seen.has(i));
    const inboundQueued = notPosted.filter((i) => waiting.has(token("in", i))).length;
    const inboundLost = notPosted.length - inboundQueued;
    const inboundDoubles = [...seen.values()].filter((c) => c > 1).length;

    // Outbound: queued in 10 transactions that commit together, on no chat platform (so the
    // send path alone is measured, as in figure 5); the workers are running and idle. Twice:
    // the simulator answering at once (the CPU is the limit), then after PROVIDER_DELAY_MS
    // (the provider's answer time is, and the workers' concurrency).
    // 5,000 in --quick: 2,000 went out in about a second, too short a window to compare.
    const total = opts.quick ? 5000 : 10_000;
    const plain = {
      ...env,
      DATABASE_URL: benchUrl(url),
      SLACK_BOT_TOKEN: "",
      SLACK_SIGNING_SECRET: "",
      SLACK_CHANNEL: "",
    };
    const services = await createServices(loadEnv(plain), {
      chat: false,
      worker: false,
      maxConnections: OUTBOUND_PARALLEL,
    });
    const sendAll = async (first: number, delayMs: number) => {
      const sentFrom = sim.sent.length;
      let committedAt = 0;
      let outPhase: ReturnType<typeof cpu> | undefined;
      let ready = 0;
      let release: () => void = () => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      sim.clearFaults();
      if (delayMs > 0) sim.fault({ delayMs, untilMs: 600_000 });
      await Promise.all(
        Array.from({ length: OUTBOUND_PARALLEL }, (_, t) =>
          services.database.db.transaction(async (tx) => {
            for (let i = t; i < total; i += OUTBOUND_PARALLEL) {
              const r = await services.bridge.queueSms(tx, {
                phone: frMobile(first + i),
                text: `Your parcel ${i} is on its way.`,
                author: "bench",
              });
              if (!("message" in r)) throw new Error(`SMS ${i} not queued: ${JSON.stringify(r)}`);
            }
            if (++ready === OUTBOUND_PARALLEL) {
              outPhase = cpu();
              committedAt = Date.now();
              release();
            }
            await gate;
          }),
        ),
      );
      const sent = () => sim.sent.slice(sentFrom);
      await until(() => sent().length >= total, 120_000, "every SMS to reach the simulator").catch(
        () => undefined,
      );
      sim.clearFaults();
      const cpuOut = (outPhase ?? cpu()).end();
      const accepted = sent();
      const ids = new Set(accepted.map((s) => s.id_sms_api));
      const lastAt = Math.max(...accepted.map((s) => s.at.getTime()));
      const firstAt = Math.min(...accepted.map((s) => s.at.getTime()));
      return {
        total,
        rate: accepted.length / ((lastAt - committedAt) / 1000),
        lost: total - ids.size,
        doubles: accepted.length - ids.size,
        firstMs: firstAt - committedAt,
        cpu: cpuOut,
      };
    };
    let outbound: Outbound;
    let slowProvider: Outbound;
    try {
      outbound = await sendAll(200_000, 0);
      slowProvider = await sendAll(400_000, PROVIDER_DELAY_MS);
    } finally {
      await services.close();
    }

    const drain = o.drainNumbers
      ? await burstDrain({ bases: webs, fake, numbers: o.drainNumbers, channel: GENERAL })
      : undefined;
    const rss = Object.fromEntries(cluster.processes.map((p) => [p.name, p.rssMb()]));
    const s = summarize(load.latencies);
    const { early, limited } = insideRetryAfter(fake.requests.slice(requestsFrom));
    return {
      label,
      inbound: {
        rps: load.rps,
        p50: s.p50,
        p99: s.p99,
        errors: load.errors,
        answered: answered.size,
      },
      oneWeb,
      inboundLost,
      inboundQueued,
      inboundDoubles,
      drain,
      peak: sampler.peak(),
      early,
      limited,
      rssMb: rss,
      cpuIn,
      outbound,
      slowProvider,
    };
  } finally {
    await cluster?.stop();
    await sampler.stop();
    await database.drop();
  }
}

export async function figureScaleOut(opts: BenchOptions): Promise<Row[]> {
  const sim = await startSimulator({ accessKey: SIM_KEY, login: SIM_LOGIN });
  const channels = [GENERAL, ...Array.from({ length: NUMBERS }, (_, i) => channelOf(i))];
  const fake = await startFakeSlack({ channels, rateLimit: DRAIN_LIMIT });
  const t0 = performance.now();
  try {
    const one = await runSetup("1 serve", [{ role: "serve", name: "serve" }], { opts, sim, fake });
    const four = await runSetup(
      "2 web + 2 worker",
      [
        { role: "web", name: "web-1" },
        { role: "web", name: "web-2" },
        { role: "worker", name: "worker-1" },
        { role: "worker", name: "worker-2" },
      ],
      { opts, sim, fake, drainNumbers: opts.quick ? 30 : 100 },
    );
    return scaleOutRows(one, four, (performance.now() - t0) / 1000);
  } finally {
    await fake.close();
    await sim.close();
  }
}

function scaleOutRows(one: SetupResult, four: SetupResult, seconds: number): Row[] {
  const name = "7 scale-out (2 web + 2 worker, 1 database)";
  const outRatio = four.outbound.rate / one.outbound.rate;
  const lost =
    four.inboundLost + four.outbound.lost + four.slowProvider.lost + (four.drain?.lost ?? 0);
  const doubles =
    four.inboundDoubles +
    four.outbound.doubles +
    four.slowProvider.doubles +
    (four.drain?.duplicates ?? 0);
  const slowRatio = four.slowProvider.rate / one.slowProvider.rate;
  const describe = (r: SetupResult) =>
    `${r.label}: inbound ${r.inbound.answered} answered 200 (${r.inbound.errors} errors in the window, p50 ${r.inbound.p50.toFixed(1)} ms, p99 ${r.inbound.p99.toFixed(1)} ms), ${r.inboundLost} lost, ${r.inboundQueued} still queued for their post after 120 s, ${r.inboundDoubles} posted twice; outbound ${r.outbound.total} SMS, first accepted ${r.outbound.firstMs} ms after the commit, ${r.outbound.lost} not accepted, ${r.outbound.doubles} accepted twice; ${r.limited} answers 429; peak ${r.peak.total} connections (${r.peak.listening} LISTEN, ${r.peak.active} active); RSS ${Object.entries(
      r.rssMb,
    )
      .map(([k, v]) => `${k} ${v.toFixed(0)} MB`)
      .join(", ")}`;
  const rows: Row[] = [
    {
      figure: name,
      metric: "outbound SMS/s (2 workers)",
      value: four.outbound.rate,
      unit: "SMS/s",
      reference: { label: "1 serve process", value: one.outbound.rate, unit: "SMS/s" },
      ratio: outRatio,
      goal: "≥ 1.6× one process",
      met: outRatio >= 1.6 && four.outbound.lost === 0,
      note: `${describe(one)}; ${describe(four)}; while sending, 1 serve: ${describeCpu(one.outbound.cpu)}; 2 web + 2 worker: ${describeCpu(four.outbound.cpu)}; the figure took ${seconds.toFixed(0)} s`,
    },
    {
      figure: name,
      metric: `outbound SMS/s (2 workers), provider answering in ${PROVIDER_DELAY_MS} ms`,
      value: four.slowProvider.rate,
      unit: "SMS/s",
      reference: { label: "1 serve process", value: one.slowProvider.rate, unit: "SMS/s" },
      ratio: slowRatio,
      goal: "—",
      met: null,
      note: `the same ${four.slowProvider.total} SMS, each sendSms request answered after ${PROVIDER_DELAY_MS} ms (the simulator's delay fault): the workers' concurrency is the limit, not the CPU; 1 serve: ${describeCpu(one.slowProvider.cpu)}; 2 web + 2 worker: ${describeCpu(four.slowProvider.cpu)}`,
    },
    {
      figure: name,
      metric: "inbound callbacks/s (2 web, workers paused)",
      value: four.inbound.rps,
      unit: "req/s",
      reference: {
        label: "1 web process, workers paused",
        value: four.oneWeb?.rps ?? Number.NaN,
        unit: "req/s",
      },
      ratio: four.inbound.rps / (four.oneWeb?.rps ?? Number.NaN),
      goal: "—",
      met: null,
      note: `closed loop, ${INGEST_CONCURRENCY} callers, 2 s warm-up, request i to web process i mod 2; the workers SIGSTOPped meanwhile (then resumed to post everything); ${describeCpu(four.cpuIn)}. With everything running, 1 serve took ${one.inbound.rps.toFixed(0)} req/s (its worker acting and posting on the same process and cores: the row "7 one serve while its worker posts"; ${describeCpu(one.cpuIn)})`,
    },
    {
      // Issue 19: the default one-process deployment must still answer while its worker posts.
      figure: "7 one serve while its worker posts",
      metric: "inbound callbacks/s",
      value: one.inbound.rps,
      unit: "req/s",
      goal: "≥ 1,500 req/s",
      met: one.inbound.errors === 0 && one.inbound.rps >= 1500,
      note: `one \`serve\` (default pool), figure 1's closed loop (${INGEST_CONCURRENCY} callers, 2 s warm-up) from ${NUMBERS} numbers each routed to a channel of its own, so its worker acts on them and posts at the channels' pace meanwhile; ${one.inbound.errors} errors; ${describeCpu(one.cpuIn)}`,
    },
    {
      figure: "7 one serve while its worker posts",
      metric: "callback answer p50 / p99 (same load)",
      value: `${one.inbound.p50.toFixed(1)} / ${one.inbound.p99.toFixed(1)}`,
      unit: "ms",
      goal: "p99 ≤ 50 ms",
      met: one.inbound.errors === 0 && one.inbound.p99 <= 50,
    },
    {
      figure: name,
      metric: "lost / posted or sent twice / inside Retry-After",
      value: `${lost} / ${doubles} / ${four.early}`,
      unit: "",
      goal: "0 / 0 / 0",
      met: lost === 0 && doubles === 0 && four.early === 0,
      note: "inbound callbacks answered 200, the outbound SMS and the drain together",
    },
  ];
  if (four.drain)
    rows.push(
      ...drainRows(
        `${name}: burst drain (${four.drain.total} SMS, ${four.drain.numbers} numbers, 1 channel)`,
        four.drain,
        " (the callbacks spread over the 2 web processes)",
      ),
    );
  rows.push({
    figure: name,
    metric: "peak connections in pg_stat_activity",
    value: four.peak.total,
    unit: "",
    reference: { label: "1 serve process", value: one.peak.total, unit: "" },
    goal: "≤ 20 (default pool)",
    met: four.peak.total <= 20,
    note: `sampled every 100 ms from before the first boot to the end (boot migrations included, the bench's own left out); at the peak: ${Object.entries(
      four.peak.by,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")} (${four.peak.listening} LISTEN, ${four.peak.active} active)`,
  });
  return rows;
}
