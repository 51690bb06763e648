// `node bin/run-ts.js bench/profile-ingest.ts [seconds] [reference|serve]`: where the CPU of the
// callback path goes. Runs `ardary-bridge serve --no-worker` (dist/, as deployed; run `npm run
// build` first), or with `reference` figure 1's reference (bench/reference-server.ts), or with
// `serve` a default `serve` whose worker posts every callback to the fake Slack meanwhile (each
// of the 1,000 numbers routed to a channel of its own, so no limit holds the posts), under
// `node --cpu-prof` on a fresh Postgres database, loads it with figure 1's closed loop (16
// callers, distinct callbacks); with `busy` (and `serve`), figure 7's one busy serve instead: 100
// numbers, each routed to a channel of its own limited as figure 4's (a burst of 5, then 1 post/s),
// so the worker merges SMS into posts as it does there. Then it stops with SIGTERM (the profile is written on exit) and
// prints the server's CPU per request, the database's, the write-ahead log the load wrote per
// request, and the top self-time entries, by function and by package. The load generator runs
// in this process, so the profile is the server's alone.
// Environment: LOG_LEVEL (warn), DATABASE_POOL_MAX, WORKER_CONCURRENCY, PROFILE_NODE_ARGS (node flags of the server,
// e.g. "--max-semi-space-size=8"), PROFILE_NODE_OPTIONS (its NODE_OPTIONS, e.g. a --require),
// PROFILE_OUT (where to keep the .cpuprofile), PROFILE_ROOT (the built work tree whose server is
// run, e.g. an older commit's in a second `git worktree`, for a before/after), PROFILE_WAL=1 (the log's records by kind, from
// pg_walinspect: what the load wrote to the database, which does not vary with the machine's load).
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import postgres from "postgres";
import { startSimulator } from "../adapters/ardary/simulator/index.ts";
import { startFakeSlack } from "../test/fakes/slack.ts";
import { createTestDatabase } from "../test/support/db.ts";
import { SECRET, SIM_KEY, SIM_LOGIN } from "../test/support/harness.ts";
import { freePort, frMobile, inboundUrl, sleep } from "../test/support/world.ts";
import { cpuPhase } from "./cpu.ts";
import { DRAIN_LIMIT } from "./figures/drain.ts";
import { INGEST_CONCURRENCY, ingestUrl } from "./figures/ingest.ts";
import { closedLoop } from "./load.ts";
import { sampleConnections } from "./pg-connections.ts";
import { type CpuProfile, frameName, selfTime, sums, top } from "./profile.ts";
import { servedEnv } from "./served.ts";
import { summarize } from "./stats.ts";

process.env.TEST_DB = "postgres";
const ROOT = new URL("../", import.meta.url).pathname;
const seconds = Number(process.argv[2] ?? 10);
const reference = process.argv.includes("reference");
const withWorker = process.argv.includes("serve");
const busy = process.argv.includes("busy");
/** Numbers of the load, each routed to its own channel with `serve`. */
const NUMBERS = busy ? 100 : 1000;
const loadUrl = (base: string, tag: string) =>
  busy
    ? (i: number) => inboundUrl(base, SECRET, frMobile(i % NUMBERS), `${tag} ${i}`)
    : ingestUrl(base, tag);
const channelOf = (i: number) => `CIN${String(i).padStart(4, "0")}`;

/** utime + stime of a process, ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const [user, system] = cpuSplit(pid);
  return user + system;
}
/** utime and stime of a process, ms: the kernel's share is mostly loopback socket writes. */
function cpuSplit(pid: number): [number, number] {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return [Number(fields[11]) * 10, Number(fields[12]) * 10];
}

const sim = await startSimulator({ accessKey: SIM_KEY, login: SIM_LOGIN });
const fake = await startFakeSlack({
  channels: ["C0GENERAL", ...Array.from({ length: NUMBERS }, (_, i) => channelOf(i))],
  ...(busy ? { rateLimit: DRAIN_LIMIT } : {}),
});
const database = await createTestDatabase();
const dir = mkdtempSync(join(tmpdir(), "ardary-prof-"));
const port = await freePort();
const profiled = reference
  ? ["bin/run-ts.js", "bench/reference-server.ts"]
  : ["bin/ardary-bridge.js", "serve", ...(withWorker ? [] : ["--no-worker"])];
const nodeArgs = (process.env.PROFILE_NODE_ARGS ?? "").split(" ").filter(Boolean);
const child = spawn(
  process.execPath,
  [...nodeArgs, "--cpu-prof", `--cpu-prof-dir=${dir}`, ...profiled],
  {
    cwd: process.env.PROFILE_ROOT || ROOT,
    env: {
      ...servedEnv(sim, fake),
      PORT: String(port),
      DATABASE_URL: database.url as string,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      NODE_OPTIONS: process.env.PROFILE_NODE_OPTIONS ?? "",
      ...(process.env.DATABASE_POOL_MAX
        ? { DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX }
        : {}),
      ...(process.env.WORKER_CONCURRENCY
        ? { WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY }
        : {}),
    },
    stdio: ["ignore", "pipe", "inherit"],
  },
);
const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
// The reference prints its URL when it listens (it makes its own database).
let printed = "";
child.stdout?.on("data", (d) => {
  printed += String(d);
});
const url = reference
  ? await (async () => {
      for (let i = 0; i < 3000 && !printed.includes("\n"); i++) await sleep(10);
      return (JSON.parse(printed.split("\n")[0] ?? "{}") as { url: string }).url;
    })()
  : `http://127.0.0.1:${port}`;
for (let i = 0; !reference; i++) {
  const ok = await fetch(`${url}/healthz`)
    .then((r) => r.status === 200)
    .catch(() => false);
  if (ok) break;
  if (i > 3000 || child.exitCode !== null) throw new Error("serve did not start");
  await sleep(10);
}
if (withWorker) {
  const sql = postgres(database.url as string, { max: 1, onnotice: () => {} });
  await sql`insert into routes (pattern, platform, channel)
    select '+3361' || lpad(i::text, 7, '0'), 'slack', 'CIN' || lpad(i::text, 4, '0')
    from generate_series(0, ${NUMBERS - 1}) i`;
  await sql.end();
}
const pid = child.pid as number;
const postsFrom = fake.posts.length;
// Warm-up outside the counted CPU, then the measure.
await closedLoop({
  concurrency: INGEST_CONCURRENCY,
  warmupMs: 0,
  durationMs: 2000,
  url: loadUrl(url, "warm"),
});
const sampler = sampleConnections(database.url as string, 100);
/** Where the cluster's write-ahead log is, in bytes: its growth in the window is what the load wrote. */
const walSql = postgres(database.url as string, { max: 1, onnotice: () => {} });
const walAt = async () =>
  Number(
    (
      await walSql<{ b: string }[]>`select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as b`
    )[0]?.b ?? 0,
  );
/** A log position as Postgres writes it (for `pg_waldump --stats=record -s … -e …`). */
const lsnOf = (bytes: number) =>
  `${Math.floor(bytes / 2 ** 32).toString(16)}/${(bytes % 2 ** 32).toString(16)}`.toUpperCase();
const wal0 = await walAt();
const phase = cpuPhase([{ name: "server", pid: () => pid }], () => sampler.pids());
const cpu0 = cpuMs(pid);
const split0 = cpuSplit(pid);
const loadStart = performance.now();
const r = await closedLoop({
  concurrency: INGEST_CONCURRENCY,
  warmupMs: 0,
  durationMs: seconds * 1000,
  url: loadUrl(url, "prof"),
});
const cpu1 = cpuMs(pid);
const split1 = cpuSplit(pid);
const wal1 = await walAt();
const walBytes = wal1 - wal0;
// PROFILE_WAL=1: what the load wrote to the log, by kind of record (pg_walinspect, Postgres 15+),
// read before the database is dropped (its checkpoint recycles the segments).
const walKinds = process.env.PROFILE_WAL
  ? await (async () => {
      await walSql`create extension if not exists pg_walinspect`;
      return walSql<{ kind: string; count: string; bytes: string; fpi: string }[]>`
        select "resource_manager/record_type" as kind, count::text, combined_size::text as bytes,
          fpi_size::text as fpi
        from pg_get_wal_stats(${lsnOf(wal0)}::pg_lsn, ${lsnOf(wal1)}::pg_lsn, true)
        order by combined_size desc limit 16`;
    })()
  : [];
await walSql.end();
const phaseCpu = phase.end();
await sampler.stop();
const loadEnd = performance.now();
/** VmRSS and VmHWM (peak) of the server right after the load, MB. */
const memory = Object.fromEntries(
  [...readFileSync(`/proc/${pid}/status`, "utf8").matchAll(/^(VmRSS|VmHWM):\s+(\d+) kB/gm)].map(
    (m) => [m[1], Math.round(Number(m[2]) / 1024)],
  ),
);
const posted = fake.posts.length - postsFrom;
child.kill("SIGTERM");
await exited;
const exitAt = performance.now();
await sim.close();
await fake.close();
await database.drop();

const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error("no profile written");
const prof = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
// PROFILE_OUT=<file> keeps the profile (open it in Chrome's DevTools, Performance).
if (process.env.PROFILE_OUT) copyFileSync(join(dir, file), process.env.PROFILE_OUT);
rmSync(dir, { recursive: true, force: true });
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
// Only the samples of the measured load: the profile ends at exit, the load ended
// (exitAt - loadEnd) before it and lasted (loadEnd - loadStart); boot and warm-up are left out.
const windowEnd = prof.endTime - (exitAt - loadEnd) * 1000;
const windowStart = windowEnd - (loadEnd - loadStart) * 1000;
const self = selfTime(prof, windowStart, windowEnd, true);
const total = [...self.values()].reduce((a, b) => a + b, 0);
const { byFunction, byPackage } = sums(prof, self);
const perRequest = (k: string, us: number) =>
  `  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / r.ok).toFixed(0).padStart(4)} µs/req  ${k}`;
// A server that refused the load: what it said (its log, warn and above by default).
if (r.errors > 0)
  console.log(`${r.errors} errors (${r.firstError}); the server's log:\n${printed.slice(-4000)}`);
const s = summarize(r.latencies);
console.log(
  `${r.rps.toFixed(0)} req/s, p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, ${r.errors} errors; ` +
    `server CPU ${((cpu1 - cpu0) / r.ok).toFixed(2)} ms per request (user ${((split1[0] - split0[0]) / r.ok).toFixed(2)}, ` +
    `kernel ${((split1[1] - split0[1]) / r.ok).toFixed(2)}; ${r.ok} requests in ${seconds} s)` +
    `; the database's backends ${((phaseCpu.ms.postgres ?? 0) / r.ok).toFixed(2)} ms per request, WAL ${(walBytes / r.ok / 1024).toFixed(1)} kB per request, the machine ${(100 * phaseCpu.machineBusy).toFixed(0)} % busy` +
    (withWorker ? `; ${posted} Slack posts made during the warm-up and the load` : "") +
    `; RSS after the load ${memory.VmRSS} MB, peak ${memory.VmHWM} MB (under the profiler)` +
    `; the load's WAL from ${lsnOf(wal0)} to ${lsnOf(wal1)}`,
);
if (walKinds.length > 0)
  console.log(
    `\nthe load's WAL by record (per request: count, bytes, of which full-page images):\n${walKinds
      .map(
        (k) =>
          `  ${(Number(k.count) / r.ok).toFixed(2).padStart(6)} ${(Number(k.bytes) / r.ok).toFixed(0).padStart(6)} B ${(Number(k.fpi) / r.ok).toFixed(0).padStart(6)} B  ${k.kind}`,
      )
      .join("\n")}`,
  );
console.log(
  `\nbusy self time during the load, by package (${(total / 1e6).toFixed(1)} s sampled, idle left out):\n${top(byPackage, 12, perRequest)}`,
);
console.log(`\nbusy self time during the load, by function:\n${top(byFunction, 25, perRequest)}`);
// Native entries say little alone (a socket write): the first two frames above them outside Node.
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const frame = (id: number | undefined) => frameName(id === undefined ? undefined : byId.get(id));
for (const native of ["writeBuffer", "writev", "writeUtf8String", "writeString"]) {
  const paths = new Map<string, number>();
  for (const [id, us] of self) {
    if (byId.get(id)?.callFrame.functionName !== native) continue;
    const chain: string[] = [];
    for (let p = parent.get(id); p !== undefined && chain.length < 2; p = parent.get(p)) {
      const url = byId.get(p)?.callFrame.url ?? "";
      if (url !== "" && !url.startsWith("node:")) chain.push(frame(p));
    }
    const k = chain.join(" < ");
    paths.set(k, (paths.get(k) ?? 0) + us);
  }
  if (paths.size > 0) console.log(`\n${native} called from:\n${top(paths, 4, perRequest)}`);
}
process.exit(0);
