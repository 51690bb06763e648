// Processes of the built bridge (`node bin/ardary-bridge.js serve|serve --no-worker|worker`,
// dist/ as deployed) sharing one database, for the bench's figures and the soak that need
// several: start, wait until ready, SIGKILL, restart on the same port, RSS. Each process logs to
// its own file (a pipe the bench reads late could block the child's synchronous logger).
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { SIM_KEY, SIM_LOGIN } from "./harness.ts";
import { freePort, rssMb, sleep } from "./world.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The application_name of the bench's (or the soak's) own connections, beside the processes'. */
export const BENCH_APP = "ardary-bench";

/** The URL with application_name=ardary-bench: connections bench/pg-connections.ts leaves out. */
export function benchUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.set("application_name", BENCH_APP);
  return u.toString();
}

/** `serve` (HTTP + jobs), `web` (`serve --no-worker`), `worker` (jobs, no HTTP). */
export type Role = "serve" | "web" | "worker";
const ARGS: Record<Role, string[]> = {
  serve: ["serve"],
  web: ["serve", "--no-worker"],
  worker: ["worker"],
};

export interface ProcessOptions {
  role: Role;
  /** Shown in tables and log file names. */
  name: string;
  /** The bridge's environment (PATH and HOME are added); PORT is chosen here for HTTP roles. */
  env: Record<string, string>;
  /** Folder of the log files. */
  logDir: string;
  /**
   * `info` (default): ready when the boot line ("ardary-bridge listening" / "running") is
   * logged, i.e. the worker and the chat connections are started too. `warn`: an HTTP role is
   * ready at its first 200 on /healthz.
   */
  logLevel?: "info" | "warn";
  /** Extra node flags (e.g. --max-semi-space-size). */
  nodeArgs?: string[];
}

export class BridgeProcess {
  readonly role: Role;
  readonly name: string;
  readonly logFile: string;
  /** http://127.0.0.1:<port>, for the roles that serve HTTP. */
  url: string | undefined;
  private port = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** Boot time of the last start (spawn → ready), ms. */
  bootMs = 0;
  starts = 0;
  /** Date.now() when the last start spawned it. */
  spawnedAt = 0;

  constructor(private readonly o: ProcessOptions) {
    this.role = o.role;
    this.name = o.name;
    this.logFile = join(o.logDir, `${o.name}.log`);
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process and resolves once it is ready (see `logLevel`). */
  async start(): Promise<void> {
    if (this.role !== "worker" && this.port === 0) this.port = await freePort();
    const level = this.o.logLevel ?? "info";
    const logOffset = existsSync(this.logFile) ? readFileSync(this.logFile).length : 0;
    const fd = openSync(this.logFile, "a");
    const t0 = performance.now();
    const child = spawn(process.execPath, [...(this.o.nodeArgs ?? []), ...bin(this.role)], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        ...this.o.env,
        // Its connections carry its name in pg_stat_activity (bench/pg-connections.ts).
        PGAPPNAME: this.name,
        ...(this.port ? { PORT: String(this.port) } : {}),
        LOG_LEVEL: level,
      },
      stdio: ["ignore", fd, fd],
    });
    closeSync(fd);
    this.child = child;
    this.spawnedAt = Date.now();
    this.starts++;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    this.url = this.port ? `http://127.0.0.1:${this.port}` : undefined;
    const deadline = t0 + 60_000;
    for (;;) {
      if (!this.alive()) throw new Error(`${this.name} exited during boot: ${this.logTail()}`);
      if (await this.ready(level, logOffset)) break;
      if (performance.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`${this.name} not ready within 60 s: ${this.logTail()}`);
      }
      await sleep(20);
    }
    this.bootMs = performance.now() - t0;
  }

  private async ready(level: string, logOffset: number): Promise<boolean> {
    if (level === "warn") {
      if (!this.url) throw new Error("a worker's readiness is read from its info log line");
      return fetch(`${this.url}/healthz`)
        .then((r) => r.status === 200)
        .catch(() => false);
    }
    const text = readFileSync(this.logFile).subarray(logOffset).toString();
    return /"msg":"ardary-bridge (listening|running)/.test(text);
  }

  /** The last lines of its log, to say why it stopped. */
  logTail(lines = 8): string {
    try {
      return readFileSync(this.logFile, "utf8").trim().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** SIGKILL, and resolves once it is gone. */
  async kill(): Promise<void> {
    if (!this.alive()) return;
    this.child?.kill("SIGKILL");
    await this.exited;
  }

  /** SIGTERM (the bridge drains), SIGKILL after 30 s. */
  async stop(): Promise<void> {
    if (!this.alive()) return;
    this.child?.kill("SIGTERM");
    const killer = setTimeout(() => this.child?.kill("SIGKILL"), 30_000);
    await this.exited;
    clearTimeout(killer);
  }

  /** SIGSTOP: the process holds its connections but runs nothing (until `resume`). */
  pause(): void {
    if (this.alive()) this.child?.kill("SIGSTOP");
  }

  resume(): void {
    if (this.alive()) this.child?.kill("SIGCONT");
  }

  rssMb(): number {
    return rssMb(this.pid);
  }
}

function bin(role: Role): string[] {
  return ["bin/ardary-bridge.js", ...ARGS[role]];
}

export interface Cluster {
  processes: BridgeProcess[];
  /** The processes that serve HTTP. */
  web(): BridgeProcess[];
  logDir: string;
  stop(): Promise<void>;
}

/** Starts the processes together (each migrates at boot, under the advisory lock). */
export async function startCluster(
  roles: { role: Role; name: string }[],
  env: Record<string, string>,
  o: { logLevel?: "info" | "warn"; nodeArgs?: string[]; keepLogs?: boolean } = {},
): Promise<Cluster> {
  const logDir = mkdtempSync(join(tmpdir(), "ardary-cluster-"));
  const processes = roles.map(
    (r) => new BridgeProcess({ ...r, env, logDir, logLevel: o.logLevel, nodeArgs: o.nodeArgs }),
  );
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    if (!o.keepLogs) rmSync(logDir, { recursive: true, force: true });
  };
  try {
    await Promise.all(processes.map((p) => p.start()));
  } catch (err) {
    await Promise.all(processes.map((p) => p.kill()));
    throw err;
  }
  return { processes, web: () => processes.filter((p) => p.role !== "worker"), logDir, stop };
}

/** The environment of a bridge process against the simulator and the fake Slack. */
export function bridgeEnv(o: {
  databaseUrl: string;
  simApiUrl: string;
  slack?: { botToken: string; signingSecret: string; apiUrl: string; channel: string };
  mode: "test" | "prod";
  secret: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    DATABASE_URL: o.databaseUrl,
    ARDARY_API_URL: o.simApiUrl,
    ARDARY_ACCESS_KEY: SIM_KEY,
    ARDARY_LOGIN: SIM_LOGIN,
    ARDARY_MODE: o.mode,
    ARDARY_CALLBACK_SECRET: o.secret,
    ...(o.slack
      ? {
          SLACK_BOT_TOKEN: o.slack.botToken,
          SLACK_SIGNING_SECRET: o.slack.signingSecret,
          SLACK_API_URL: o.slack.apiUrl,
          SLACK_CHANNEL: o.slack.channel,
        }
      : {}),
    ...o.extra,
  };
}
