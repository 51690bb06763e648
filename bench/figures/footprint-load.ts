// Figure 9: footprint under load. `node bin/ardary-bridge.js serve` (the built bridge, a child
// process, LOG_LEVEL=warn, Slack on against the fake Slack, the Ardary simulator) on Postgres
// and on PGlite (a DATA_DIR made by an earlier boot): VmRSS 2 s after its first 200 on /healthz,
// right after figure 1's load (its closed-loop generator, worker and Slack posting running), and
// its peak (VmHWM).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { startFakeSlack } from "../../test/fakes/slack.ts";
import { procfileCommand } from "../../test/support/cli.ts";
import { BridgeProcess, bridgeEnv } from "../../test/support/cluster.ts";
import { createTestDatabase } from "../../test/support/db.ts";
import { SECRET, SIM_KEY, SIM_LOGIN } from "../../test/support/harness.ts";
import { GENERAL } from "../../test/support/slack-setup.ts";
import { sleep } from "../../test/support/world.ts";
import { closedLoop } from "../load.ts";
import type { BenchOptions, Row } from "../table.ts";
import { INGEST_CONCURRENCY, ingestLoad, ingestUrl } from "./ingest.ts";

/**
 * The node flags of the Procfile's web line (the same in `npm start`, the Dockerfile and
 * render.yaml): the footprint figures measure the process as deployed.
 */
export function deployedNodeFlags(): string[] {
  const [, args] = procfileCommand("web");
  return args.slice(0, args.indexOf("bin/ardary-bridge.js"));
}

/** The peak resident set (VmHWM) of a live process, MB. */
function peakMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1]) / 1024;
}

export interface Footprint {
  /** PGlite: RSS 2 s after the boot that made the folder (unpacked from the build's template). */
  firstBootIdle?: number;
  idle: number;
  loaded: number;
  peak: number;
  rps: number;
  errors: number;
}

/** One `serve` on the given database env: RSS idle, after the load, and its peak. */
export async function footprintUnderLoad(
  opts: BenchOptions,
  database: { DATABASE_URL?: string; DATA_DIR?: string },
  nodeArgs: string[] = deployedNodeFlags(),
): Promise<Footprint> {
  const sim = await startSimulator({ accessKey: SIM_KEY, login: SIM_LOGIN });
  const fake = await startFakeSlack({ channels: [GENERAL] });
  const logDir = mkdtempSync(join(tmpdir(), "ardary-footprint-"));
  const slack = {
    botToken: fake.botToken,
    signingSecret: fake.signingSecret,
    apiUrl: fake.apiUrl,
    channel: GENERAL,
  };
  const env = bridgeEnv({
    databaseUrl: database.DATABASE_URL ?? "",
    simApiUrl: sim.apiUrl,
    slack,
    mode: "prod",
    secret: SECRET,
    extra: database.DATA_DIR ? { DATA_DIR: database.DATA_DIR } : {},
  });
  if (!database.DATABASE_URL) delete env.DATABASE_URL;
  const serve = new BridgeProcess({
    role: "serve",
    name: "serve",
    env,
    logDir,
    logLevel: "warn",
    nodeArgs,
  });
  try {
    // PGlite: the folder is made by a first boot; the figure is a boot on the existing folder,
    // as every boot after the first.
    let firstBootIdle: number | undefined;
    if (database.DATA_DIR) {
      await serve.start();
      await sleep(2000);
      firstBootIdle = serve.rssMb();
      await serve.stop();
    }
    await serve.start();
    sim.setCallbackUrl(`${serve.url}/ardary/callback/${SECRET}`);
    await sleep(2000);
    const idle = serve.rssMb();
    const load = await closedLoop({
      concurrency: INGEST_CONCURRENCY,
      ...ingestLoad(opts),
      url: ingestUrl(serve.url as string, "footprint-load"),
    });
    const loaded = serve.rssMb();
    return {
      firstBootIdle,
      idle,
      loaded,
      peak: peakMb(serve.pid),
      rps: load.rps,
      errors: load.errors,
    };
  } finally {
    await serve.stop();
    rmSync(logDir, { recursive: true, force: true });
    await fake.close();
    await sim.close();
  }
}

export async function figureFootprintUnderLoad(opts: BenchOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const database = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), "ardary-bench-"));
  try {
    // Goals idle / after the load (issue 19: PGlite ≤ 200 idle, ≤ 250 MB after the load).
    const runs: [string, Footprint, number, number][] = [
      ["Postgres", await footprintUnderLoad(opts, { DATABASE_URL: database.url }), 150, 150],
      ["PGlite", await footprintUnderLoad(opts, { DATA_DIR: join(dataDir, "db") }), 200, 250],
    ];
    for (const [kind, f, goal, loadedGoal] of runs) {
      const figure = `9 footprint under load (serve, ${kind})`;
      const load = `figure 1's closed loop on this process: ${f.rps.toFixed(0)} req/s, ${f.errors} errors; worker and Slack posting running; LOG_LEVEL=warn; node ${deployedNodeFlags().join(" ")} (the Procfile's)`;
      rows.push(
        {
          figure,
          metric: "RSS idle",
          value: f.idle,
          unit: "MB",
          goal: `≤ ${goal} MB`,
          met: f.idle <= goal,
          note:
            f.firstBootIdle === undefined
              ? "VmRSS 2 s after the first 200 on /healthz"
              : `VmRSS 2 s after the first 200 on /healthz, booted on an existing DATA_DIR; the boot that made the folder (unpacked from the build's template) was ${f.firstBootIdle.toFixed(0)} MB until its restart`,
        },
        {
          figure,
          metric: "RSS after the load",
          value: f.loaded,
          unit: "MB",
          goal: `≤ ${loadedGoal} MB`,
          met: f.loaded <= loadedGoal,
          note: `${load}; peak (VmHWM) ${f.peak.toFixed(0)} MB`,
        },
      );
    }
  } finally {
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}
