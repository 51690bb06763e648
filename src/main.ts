// Composition root: env → db → adapters → bridge → http + worker. SIGTERM drains.
import { randomBytes } from "node:crypto";
import express from "express";
import pino, { type Logger } from "pino";
import { parseArdaryDate } from "../adapters/ardary/dates.ts";
import { createArdaryProvider } from "../adapters/ardary/index.ts";
import { slackNotConfiguredRouter } from "../adapters/slack/unconfigured.ts";
import { createAdminRouter } from "./admin.ts";
import { createApp } from "./app.ts";
import { bootWarnings } from "./boot-checks.ts";
import { Bridge, CHAT_JOB, SMS_JOB } from "./bridge.ts";
import type { ChatAdapter, ChatHooks } from "./contracts.ts";
import { type Database, migrateOpen, openDatabase } from "./db.ts";
import { createChatDelivery } from "./delivery.ts";
import type { Env } from "./env.ts";
import { errorMessage } from "./errors.ts";
import { Worker } from "./jobs.ts";
import { listenOn } from "./listen.ts";
import { createSender } from "./sender.ts";
import * as store from "./store.ts";

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "ardary-bridge" },
    // Belt and braces: fields that may hold secrets or message bodies never reach the logs.
    redact: {
      paths: ["*.text", "*.body", "*.token", "*.secret", "*.accesskey", "text", "body"],
      censor: "[redacted]",
    },
  });
}

/** `--at` values: "YYYY-MM-DD HH:mm[:ss]" in the account's zone, or ISO-8601 with a zone. */
export function accountDateParser(env: Env) {
  return (v: string) =>
    parseArdaryDate(
      /^\d{4}-\d\d-\d\d \d\d:\d\d$/.test(v.trim()) ? `${v.trim()}:00` : v.trim(),
      env.ARDARY_TIMEZONE,
    );
}

/**
 * The chat platforms the environment turns on: one line each. Each SDK is loaded only when
 * its platform is on (Bolt and discord.js weigh tens of MB and hundreds of ms at boot).
 */
async function createChatAdapters(
  env: Env,
  log: Logger,
  database: Database,
): Promise<ChatAdapter[]> {
  const list: ChatAdapter[] = [];
  if (env.slack) {
    const { createSlackAdapter } = await import("../adapters/slack/index.ts");
    list.push(createSlackAdapter({ ...env.slack, log }));
  }
  if (env.discord) {
    const { createDiscordAdapter } = await import("../adapters/discord/index.ts");
    list.push(
      createDiscordAdapter({
        ...env.discord,
        database,
        databaseUrl: env.DATABASE_URL,
        standbyRetryMs: env.DISCORD_STANDBY_RETRY_MS,
        log,
      }),
    );
  }
  return list;
}

/** The SMS provider the environment names. */
export function providerOf(env: Env, log?: Logger) {
  return createArdaryProvider({
    apiUrl: env.ARDARY_API_URL,
    accessKey: env.ARDARY_ACCESS_KEY,
    login: env.ARDARY_LOGIN,
    senderName: env.ARDARY_SENDER_NAME,
    mode: env.ARDARY_MODE,
    timezone: env.ARDARY_TIMEZONE,
    logger: log,
  });
}

/** Where new conversations go when no route matches: each enabled platform's channel. */
export function defaultsOf(env: Env): store.Defaults {
  return {
    ...(env.slack ? { slack: env.slack.channel } : {}),
    ...(env.discord ? { discord: env.discord.channel } : {}),
  };
}

export interface RunningBridge {
  url: string;
  port: number;
  database: Database;
  bridge: Bridge;
  worker: Worker;
  callbackSecret: string;
  close(): Promise<void>;
}

/** Where Ardary must call, with the secret masked unless `reveal`. */
export function callbackUrl(env: Env, port: number, secret: string, reveal = false): string {
  const base = (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, "");
  const shown = reveal
    ? secret
    : `${secret.slice(0, 4)}${"*".repeat(Math.max(0, secret.length - 4))}`;
  return `${base}/ardary/callback/${shown}`;
}

/** The callback secret: ARDARY_CALLBACK_SECRET, else one made on first boot and kept in the db. */
export async function callbackSecretOf(env: Env, database: Database): Promise<string> {
  return (
    env.ARDARY_CALLBACK_SECRET ??
    (await store.initSetting(database.db, "callback_secret", randomBytes(18).toString("base64url")))
  );
}

export async function startBridge(
  env: Env,
  log: Logger = createLogger(env.LOG_LEVEL),
  /** An already open database (tests); by default the one the environment names. */
  given?: Database,
): Promise<RunningBridge> {
  // The port first (src/listen.ts): a busy port ends the boot before the database is opened.
  const listening = await listenOn(env.PORT);
  let database: Database | undefined;
  try {
    database = given ?? (await openDatabase({ url: env.DATABASE_URL, dataDir: env.DATA_DIR }));
    await migrateOpen(database, env.DATABASE_URL);
  } catch (err) {
    await database?.close().catch(() => {});
    await listening.close();
    throw err;
  }
  const db = database.db;
  const callbackSecret = await callbackSecretOf(env, database);
  const provider = providerOf(env, log);
  const adapters = new Map<string, ChatAdapter>();
  const defaults = defaultsOf(env);
  const parseDate = accountDateParser(env);
  const bridge = new Bridge({ db, log, defaults, parseDate });
  const worker = new Worker({
    database,
    concurrency: env.WORKER_CONCURRENCY,
    backoffBaseMs: env.JOB_BACKOFF_MS,
    handlers: { [CHAT_JOB]: createChatDelivery({ db, adapters, log }) },
    batchHandlers: {
      [SMS_JOB]: { limit: env.ARDARY_BATCH_SIZE, handle: createSender({ db, provider, log }) },
    },
    onError: (job, err) =>
      log.warn(
        { job: job.id, kind: job.kind, attempt: job.attempts, err: errorMessage(err) },
        "job failed",
      ),
  });
  const platformRouter = express.Router();
  if (!env.slack) platformRouter.use(slackNotConfiguredRouter(log)); // answers Slack's URL check
  let port = env.PORT;
  const admin = createAdminRouter({
    database,
    bridge,
    env,
    parseDate,
    callbackUrl: () => callbackUrl(env, port, callbackSecret, true),
  });
  const app = createApp({
    database,
    bridge,
    provider,
    callbackSecret,
    log,
    platformRouter,
    adminRouter: admin.router,
  });
  listening.serve(app);
  const server = listening.server;
  port = listening.port;
  await admin.advertise(port);
  const hooks: ChatHooks = {
    router: platformRouter,
    onReply: (reply) => bridge.onChatReply(reply),
    onEdit: (platform, ref, kind) => bridge.onChatEdit(platform, ref, kind),
    onCommand: (input) => bridge.onCommand(input),
    onAction: (platform, id, action, author) => bridge.onAction(platform, id, action, author),
  };
  for (const adapter of await createChatAdapters(env, log, database)) {
    adapters.set(adapter.platform, adapter);
    await adapter.start(hooks);
  }
  await worker.start();

  const enabled = [env.slack && "slack", env.discord && "discord"].filter(Boolean);
  const howTo = [
    !env.slack && "Slack: set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_CHANNEL",
    !env.discord && "Discord: set DISCORD_BOT_TOKEN, DISCORD_APPLICATION_ID and DISCORD_CHANNEL",
  ].filter(Boolean);
  log.info(
    { port, database: database.kind, chat: enabled },
    `ardary-bridge listening; chat platforms on: ${enabled.join(", ") || "none"}` +
      (howTo.length > 0 ? `; to turn on ${howTo.join("; ")}` : ""),
  );
  log.info(
    `Ardary callback URL (Parameters > API in the Ardary dashboard): ${callbackUrl(env, port, callbackSecret)} — print it in full with \`npx ardary-bridge callback-url\``,
  );
  for (const warning of bootWarnings(env, database.kind)) log.warn(warning);
  if (!env.ARDARY_ACCESS_KEY || !env.ARDARY_LOGIN) {
    log.warn(
      "ARDARY_ACCESS_KEY and ARDARY_LOGIN are not set: SMS will fail until they are (Ardary dashboard, Parameters > API)",
    );
  }

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      server.close();
      server.closeIdleConnections();
      await worker.stop(20_000);
      for (const a of adapters.values()) await a.stop().catch(() => {});
      await admin.withdraw();
      server.closeAllConnections();
      await database.close().catch(() => {});
    })();
    return closing;
  };
  return { url: `http://127.0.0.1:${port}`, port, database, bridge, worker, callbackSecret, close };
}
