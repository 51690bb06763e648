// Starts a real bridge (HTTP server + worker) in this process against the Ardary simulator, on
// the test's own database. Everything goes through real HTTP.
import { sql } from "drizzle-orm";
import pino, { type Logger } from "pino";
import { type Simulator, startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { type Env, loadEnv } from "../../src/boot/env.ts";
import { type Database, rowsOf } from "../../src/db/database.ts";
import { createInbox } from "../../src/ingest/inbox.ts";
import { type RunningBridge, startBridge } from "../../src/main.ts";
import { createTestDatabase, type TestDatabase } from "./db.ts";

export const SIM_KEY = "sim-key";
export const SIM_LOGIN = "sim@example.com";
export const SECRET = "test-callback-secret-0123456789";

export interface Harness {
  bridge: RunningBridge;
  /** The environment the bridge was started with. */
  env: Env;
  sim: Simulator;
  db: TestDatabase;
  /** GET /ardary/callback/<secret>?<param>=<json>, as the provider sends it. */
  callback(param: string, payload: unknown, secret?: string): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  sim?: Partial<Parameters<typeof startSimulator>[0]>;
  db?: TestDatabase;
  /** The bridge's logger (to capture its lines); by default one at TEST_LOG_LEVEL. */
  log?: Logger;
  /** Run the worker (default true); without it the test runs the jobs itself. */
  worker?: boolean;
  /** The bridge's clock (marketing SMS are held by it); the real one by default. */
  now?: () => Date;
}

export function baseEnv(db: TestDatabase, sim: Simulator, extra: Record<string, string> = {}) {
  return {
    PORT: "0",
    ...db.env,
    ARDARY_API_URL: sim.apiUrl,
    ARDARY_ACCESS_KEY: SIM_KEY,
    ARDARY_LOGIN: SIM_LOGIN,
    ARDARY_MODE: "prod",
    ARDARY_CALLBACK_SECRET: SECRET,
    JOB_BACKOFF_MS: "50",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...extra,
  } as Record<string, string>;
}

export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const db = o.db ?? (await createTestDatabase());
  const sim = await startSimulator({
    accessKey: SIM_KEY,
    login: SIM_LOGIN,
    sentDelayMs: 20,
    receivedDelayMs: 40,
    ...o.sim,
  });
  const env = loadEnv(baseEnv(db, sim, o.env));
  const log = o.log ?? pino({ level: env.LOG_LEVEL });
  const bridge = await startBridge(env, log, await db.open?.(), {
    worker: o.worker ?? true,
    now: o.now,
  });
  sim.setCallbackUrl(`${bridge.url}/ardary/callback/${SECRET}`);
  return {
    bridge,
    env,
    sim,
    db,
    callback: (param, payload, secret = SECRET) =>
      fetch(
        `${bridge.url}/ardary/callback/${secret}?${param}=${encodeURIComponent(typeof payload === "string" ? payload : JSON.stringify(payload))}`,
      ),
    async close() {
      await bridge.close();
      await sim.close();
      if (!o.db) await db.drop();
    },
  };
}

/**
 * Polls until `check` returns a value other than undefined/false (0 and "" are values: wait for
 * `n > 0`, not `n`). On a timeout, `explain` (when given) says what was there instead, in the
 * error: a failure on a loaded CI machine is read once.
 */
export async function until<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  what = "condition",
  explain?: () => Promise<string> | string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) {
      const seen = explain ? `; instead: ${await explain()}` : "";
      throw new Error(`timed out waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Stored callbacks the worker has not acted on yet (src/ingest/inbox.ts). */
export async function unprocessed(database: Database): Promise<number> {
  const [row] = rowsOf<{ n: string | number }>(
    await database.db.execute(sql`select count(*) as n from events where processed_at is null`),
  );
  return Number(row?.n);
}

/**
 * Waits until the worker has acted on every callback answered so far: a callback is answered
 * once stored, and its effects (messages, opt-outs, chat jobs) follow in the worker.
 */
export async function processed(database: Database, timeoutMs = 10_000): Promise<void> {
  await until(async () => (await unprocessed(database)) === 0, timeoutMs, "callbacks processed");
}

/**
 * For a bridge started without its worker: acts on the stored callbacks here, as the worker
 * would (src/ingest/inbox.ts), and checks none is left.
 */
export async function actOnCallbacks(harness: Harness): Promise<void> {
  const database = harness.bridge.database;
  const inbox = createInbox({
    database,
    bridge: harness.bridge.bridge,
    log: pino({ level: "silent" }),
    maxAttempts: 1,
    backoffMs: 50,
  });
  await inbox.run();
  const left = await unprocessed(database);
  if (left !== 0) throw new Error(`${left} callbacks not acted on`);
}
