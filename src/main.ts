// A running bridge: the services (src/boot/services.ts), the HTTP server (callbacks, the chat
// platforms' routes, /healthz) and the job worker. SIGTERM drains: no new job, those in hand end.
import express from "express";
import type { Logger } from "pino";
import { bootWarnings } from "./boot/checks.ts";
import { disabledChat, type Env, offChat } from "./boot/env.ts";
import { createLogger, createServices, featureConfig, processName } from "./boot/services.ts";
import { createSetup } from "./boot/setup.ts";
import { openWhenReachable } from "./boot/wait.ts";
import type { Database } from "./db/database.ts";
import type { Bridge } from "./flows/bridge.ts";
import type { Degraded } from "./flows/degraded.ts";
import { createAdminRouter } from "./http/admin.ts";
import { callbackUrl, createApp } from "./http/app.ts";
import { type Listening, listenOn } from "./http/listen.ts";
import { setupRouter } from "./http/setup-page.ts";
import type { Worker } from "./queue/worker.ts";
import { checkReportChannel } from "./reports/digest.ts";

export { createLogger } from "./boot/services.ts";

export interface RunningBridge {
  url: string;
  port: number;
  database: Database;
  bridge: Bridge;
  worker: Worker | undefined;
  callbackSecret: string;
  /**
   * What refuses the bridge or is down (src/flows/degraded.ts): `degraded.status()` says, for the
   * SMS provider and each chat platform (and its channels), `ok`, `refused` (with the reason and
   * what to fix) or `unavailable`; /healthz shows it, and so can a set-up page.
   */
  degraded: Degraded;
  close(): Promise<void>;
}

export interface StartOptions {
  /** An already open database (tests); by default the one the environment names. */
  database?: Database;
  /** Serve HTTP (callbacks, chat events). Default true. */
  http?: boolean;
  /** Run jobs (sends, posts) and hold the chat connections. Default true. */
  worker?: boolean;
  /** The clock (tests set it): marketing SMS are held by it. */
  now?: () => Date;
}

export async function startBridge(
  env: Env,
  log: Logger = createLogger(env.LOG_LEVEL),
  given?: Database,
  o: StartOptions = {},
): Promise<RunningBridge> {
  const http = o.http ?? true;
  // The port first (src/http/listen.ts): a busy port ends the boot before the database is opened.
  const listening: Listening | undefined = http ? await listenOn(env.PORT) : undefined;
  const platformRouter = http ? express.Router() : undefined;
  let services: Awaited<ReturnType<typeof createServices>>;
  try {
    // A database that does not answer yet is waited for (src/boot/wait.ts); the port answers 503.
    services = await openWhenReachable(
      env,
      log,
      () =>
        createServices(env, {
          log,
          database: given ?? o.database,
          router: platformRouter,
          worker: o.worker ?? true,
          // One `serve`: the callbacks never wait for a connection behind the worker's work.
          callbackConnections: listening && (o.worker ?? true) ? CALLBACK_CONNECTIONS : 0,
          now: o.now,
        }),
      listening ? () => listening.waiting("database unavailable") : undefined,
    );
  } catch (err) {
    await listening?.close();
    throw err;
  }
  const { database, bridge, callbackSecret } = services;
  const worker = (o.worker ?? true) ? services.worker() : undefined;
  const port = listening?.port ?? env.PORT;
  // What works and what to do next: the page at `/` and `doctor` (through /internal with PGlite).
  const setup = createSetup({
    ...services,
    processName: processName(env),
    port,
    secrets: [callbackSecret],
  });
  const admin = createAdminRouter({
    services,
    setup,
    callbackUrl: () => callbackUrl(env, port, callbackSecret, true),
  });
  if (listening && platformRouter) {
    // A platform that is off may still answer its set-up checks (Slack's URL verification).
    for (const d of offChat(env)) d.whenOff?.(platformRouter, log);
    listening.serve(
      createApp({
        database,
        provider: services.provider,
        callbackSecret,
        callbackPath: env.sms.descriptor.callbackPath,
        log,
        platformRouter,
        wakeWorker: worker ? () => worker.stored() : undefined,
        pages: setupRouter({ setup, env }),
        degraded: () => services.degraded.status(),
      }),
    );
    await admin.listen(); // /internal: its own listener, on 127.0.0.1 only (PGlite only)
  }
  for (const adapter of services.chat.values()) await adapter.start(bridge);
  await worker?.start();
  // The tokens checked now and every minute, outages probed: in the process that runs the jobs.
  if (worker) services.degraded.start();

  const enabled = [...services.chat.keys()];
  const howTo = disabledChat(env);
  const server = listening?.server;
  log.info(
    { port: server ? port : undefined, database: database.kind, chat: enabled, worker: !!worker },
    `ardary-bridge ${server ? "listening" : "running (no HTTP)"}; chat platforms on: ${enabled.join(", ") || "none"}` +
      (howTo.length > 0 ? `; to turn on ${howTo.join("; ")}` : ""),
  );
  if (server)
    log.info(
      `Callback URL for the SMS provider: ${callbackUrl(env, port, callbackSecret)} — print it in full with \`npx ardary-bridge callback-url\``,
    );
  for (const w of env.sms.descriptor.warnings?.(env.sms.config) ?? []) log.warn(w);
  for (const w of bootWarnings(env, database.kind)) log.warn(w);
  // The digest's channel, asked of its platform: a channel the bot cannot post in is said now.
  if (worker) await checkReportChannel(featureConfig(env), services.chat, log);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      server?.close();
      server?.closeIdleConnections();
      await worker?.stop(20_000);
      await admin.withdraw();
      await listening?.close();
      await services.close();
    })();
    return closing;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    database,
    bridge,
    worker,
    callbackSecret,
    degraded: services.degraded,
    close,
  };
}

/**
 * Postgres connections of the callback path's own in a `serve` that runs the worker, beside
 * the pool (DATABASE_POOL_MAX): with them shared, a batch of callbacks waited for a connection
 * behind the worker's rounds and posts (bench figure 7, `profile-ingest.ts serve`).
 */
const CALLBACK_CONNECTIONS = 2;
