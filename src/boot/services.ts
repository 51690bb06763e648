// The one wiring path: env → database → provider → chat adapters → bridge → worker. `serve`, a
// worker-only process and every CLI command build what they need here, and nowhere else.
import { randomBytes } from "node:crypto";
import type { Router } from "express";
import pino, { type Logger } from "pino";
import type { AdapterServices, ChatAdapter, SmsProvider, StateStore } from "../contracts/index.ts";
import { CHAT_JOB, CHECK_JOB, CONTACTS_JOB, SMS_JOB } from "../conversations/kinds.ts";
import { setReplyMode } from "../conversations/reply-mode.ts";
import { type Database, migrateOpen, openDatabase } from "../db/database.ts";
import { Bridge } from "../flows/bridge.ts";
import { createChatDelivery } from "../flows/delivery.ts";
import { createOutcomeCheck, createSender } from "../flows/sender.ts";
import { createInbox } from "../ingest/inbox.ts";
import { errorMessage } from "../kernel/errors.ts";
import { sharedBudget } from "../queue/budget.ts";
import { setDefaultMaxAttempts } from "../queue/jobs.ts";
import { sessionLock } from "../queue/locks.ts";
import { autoReplyConfig } from "../replies/hours.ts";
import { createRetentionSweep, ensureRetentionJob, RETENTION_JOB } from "../replies/retention.ts";
import { createContactSync } from "../team/contacts.ts";
import { testModeNotice } from "./checks.ts";
import type { Env } from "./env.ts";
import "../replies/feature.ts"; // issue 13: templates, business hours, history, export, retention
import * as store from "../conversations/store.ts";
import { Worker } from "../queue/worker.ts";
import { registerTeam } from "../team/team.ts";

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

export interface ServiceOptions {
  log?: Logger;
  /** An already open database (tests); by default the one the environment names. */
  database?: Database;
  /** Build the chat adapters (loads their SDKs); false for CLI commands that only send. */
  chat?: boolean;
  /** Where chat adapters mount HTTP routes; absent in a process without HTTP. */
  router?: Router;
  /** True when this process runs jobs. */
  worker?: boolean;
  /** Most Postgres connections; defaults to DATABASE_POOL_MAX. */
  maxConnections?: number;
}

export interface Services {
  env: Env;
  log: Logger;
  database: Database;
  provider: SmsProvider;
  bridge: Bridge;
  /** Enabled chat platforms by name (empty unless `chat`). */
  chat: Map<string, ChatAdapter>;
  callbackSecret: string;
  /** A worker for the given job kinds (default: all; `["sms"]` sends only). */
  worker(kinds?: ("sms" | "chat")[]): Worker;
  close(): Promise<void>;
}

/** Small values adapters keep, in the settings table, under `<adapter>:<key>`. */
function stateStore(database: Database, namespace: string): StateStore {
  const key = (k: string) => `${namespace}:${k}`;
  return {
    get: (k) => store.getSetting(database.db, key(k)),
    set: (k, v) => store.putSetting(database.db, key(k), v),
    raise: (k, v) => store.putSetting(database.db, key(k), v, true),
  };
}

/** Opens (and migrates) the database, then builds everything the environment turns on. */
export async function createServices(env: Env, o: ServiceOptions = {}): Promise<Services> {
  const log = o.log ?? createLogger(env.LOG_LEVEL);
  setDefaultMaxAttempts(env.JOB_MAX_ATTEMPTS);
  const database =
    o.database ??
    (await openDatabase({
      url: env.DATABASE_URL,
      dataDir: env.DATA_DIR,
      maxConnections: o.maxConnections ?? env.DATABASE_POOL_MAX,
    }));
  try {
    await migrateOpen(database, env.DATABASE_URL);
    const adapterServices = (name: string): AdapterServices => ({
      log,
      state: stateStore(database, name),
      lock: (lockName) => sessionLock(database, `ardary-bridge:${name}:${lockName}`),
      budget: (budgetName) => sharedBudget(database.db, `${name}:${budgetName}`),
      router: o.router,
      worker: o.worker ?? true,
    });
    const sms = env.sms.descriptor;
    const settings = sms.settings(env.sms.config);
    const provider = await sms.create(env.sms.config, adapterServices(sms.name));
    const callbackSecret =
      settings.callbackSecret ??
      (await store.initSetting(
        database.db,
        "callback_secret",
        randomBytes(18).toString("base64url"),
      ));
    const chat = new Map<string, ChatAdapter>();
    if (o.chat ?? true) {
      for (const { descriptor, config } of env.chat)
        chat.set(
          descriptor.name,
          await descriptor.create(config, adapterServices(descriptor.name)),
        );
    }
    registerTeam(database.db, chat);
    setReplyMode(env.REPLY_MODE);
    // Where new numbers go when no route says: the default platform first (CHAT_DEFAULT_PLATFORM).
    const first = (name: string) => Number(name !== env.CHAT_DEFAULT_PLATFORM);
    const defaults = Object.fromEntries(
      [...env.chat]
        .sort((a, b) => first(a.descriptor.name) - first(b.descriptor.name))
        .map(({ descriptor, config }) => [descriptor.name, descriptor.defaultChannel(config)]),
    );
    if (env.RETENTION_DAYS && (o.worker ?? true)) await ensureRetentionJob(database.db);
    const autoReply = autoReplyConfig(env.values, settings.timezone); // issue 13
    const bridge = new Bridge({
      db: database.db,
      log,
      defaults,
      provider,
      threadUrl: async (platform, thread) => chat.get(platform)?.threadUrl?.(thread),
      notice: testModeNotice(env),
      autoReply,
      defaultCountry: env.PHONE_DEFAULT_COUNTRY,
      signature: env.SMS_SIGNATURE,
      timeZone: settings.timezone,
    });
    const worker = (kinds: ("sms" | "chat")[] = ["sms", "chat"]) =>
      new Worker({
        database,
        concurrency: env.WORKER_CONCURRENCY,
        leaseMs: env.JOB_LEASE_MS,
        backoffBaseMs: env.JOB_BACKOFF_MS,
        handlers: [
          ...(kinds.includes("chat")
            ? [
                {
                  def: CHAT_JOB,
                  run: createChatDelivery({
                    db: database.db,
                    adapters: chat,
                    log,
                    backlogNoticeAt: env.CHAT_BACKLOG_NOTICE_AT,
                  }),
                },
              ]
            : []),
          ...(kinds.includes("chat") && env.RETENTION_DAYS // issue 13: daily retention sweep
            ? [{ def: RETENTION_JOB, run: createRetentionSweep(database.db, env.RETENTION_DAYS) }]
            : []),
          ...(kinds.includes("sms")
            ? [
                { def: CHECK_JOB, run: createOutcomeCheck({ db: database.db }) },
                { def: CONTACTS_JOB, run: createContactSync({ db: database.db, provider, log }) },
              ]
            : []),
        ],
        batchHandlers: kinds.includes("sms")
          ? [
              {
                def: SMS_JOB,
                limit: settings.batchSize,
                run: createSender({
                  db: database.db,
                  provider,
                  log,
                  unknownWaitMs: env.SMS_OUTCOME_WAIT_MS,
                }),
              },
            ]
          : [],
        // Stored callbacks acted on (src/ingest/inbox.ts): inbound work, with the chat side's.
        inbox: kinds.includes("chat")
          ? createInbox({
              database,
              bridge,
              log,
              maxAttempts: env.JOB_MAX_ATTEMPTS,
              backoffMs: env.JOB_BACKOFF_MS,
            })
          : undefined,
        onError: (job, err) =>
          log.warn(
            { job: job?.id, kind: job?.kind, attempt: job?.attempts, err: errorMessage(err) },
            job ? "job failed" : "job queue error",
          ),
      });
    return {
      env,
      log,
      database,
      provider,
      bridge,
      chat,
      callbackSecret,
      worker,
      async close() {
        for (const a of chat.values()) await a.stop().catch(() => {});
        await database.close().catch(() => {});
      },
    };
  } catch (err) {
    if (!o.database) await database.close().catch(() => {});
    throw err;
  }
}
