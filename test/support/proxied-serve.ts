// The built server (`serve`, a child process) on a fresh Postgres database reached through a TCP
// proxy the test can cut, black-hole or strand, with the Ardary simulator: the outage tests' world.
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, closeSync, openSync } from "node:fs";
import { startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { stopChild } from "./cli.ts";
import { createTestDatabase, PG_ADMIN_URL, type TestDatabase } from "./db.ts";
import { baseEnv, SIM_KEY, SIM_LOGIN, until } from "./harness.ts";
import { startTcpProxy } from "./tcp-proxy.ts";
import { freePort } from "./world.ts";

export interface ProxiedServe {
  db: TestDatabase;
  proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  /** http://127.0.0.1:<port> of the server. */
  base: string;
  /** The server's exit code, or null while it runs. */
  exited(): number | null;
  /** /healthz's status (undefined when not answered within `timeoutMs`). */
  health(timeoutMs?: number): Promise<number | undefined>;
  close(): Promise<void>;
}

/** Starts it (with `env` added to its environment) and waits for /healthz to answer 200. */
export async function startProxiedServe(
  o: { env?: Record<string, string> } = {},
): Promise<ProxiedServe> {
  const db = await createTestDatabase();
  const proxy = await startTcpProxy("127.0.0.1", Number(new URL(PG_ADMIN_URL).port || 5432));
  const sim = await startSimulator({ accessKey: SIM_KEY, login: SIM_LOGIN });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const viaProxy = db.url?.replace(/@[^/]+\//, `@127.0.0.1:${proxy.port}/`) ?? "";
  const env = {
    ...process.env,
    ...baseEnv(db, sim, {
      PORT: String(port),
      ARDARY_MODE: "test",
      DATABASE_URL: viaProxy,
      ...o.env,
    }),
  };
  // Its log (and how it exited) to $PROXIED_LOG when it names a file, for a failure's
  // post-mortem (LOG_LEVEL from TEST_LOG_LEVEL); else nowhere.
  const logFile = process.env.PROXIED_LOG;
  const out = logFile ? openSync(logFile, "w") : "ignore";
  const server: ChildProcess = spawn("node", ["bin/ardary-bridge.js", "serve"], {
    env,
    stdio: ["ignore", out, out],
  });
  if (typeof out === "number") closeSync(out);
  let exited: number | null = null;
  server.once("exit", (code, signal) => {
    exited = code ?? -1;
    if (logFile) appendFileSync(logFile, `exited: code ${code}, signal ${signal}\n`);
  });
  const world: ProxiedServe = {
    db,
    proxy,
    base,
    exited: () => exited,
    async health(timeoutMs = 10_000) {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(timeoutMs) }).catch(
        () => null,
      );
      return res?.status;
    },
    async close() {
      await stopChild(server);
      await proxy.close();
      await sim.close();
      await db.drop();
    },
  };
  try {
    await until(async () => (await world.health()) === 200, 30_000, "server up");
  } catch (err) {
    await world.close();
    throw err;
  }
  return world;
}
