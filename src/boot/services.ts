// The composition: env → database → provider → chat adapters → features → bridge → worker. `serve`,
// a worker-only process and every CLI command build what they need here, and nowhere else; the
// features (FEATURES) are put together here and handed to what dispatches them.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Router } from "express";
import pino, { type Logger } from "pino";
import {
  type AdapterServices,
  type ChatAdapter,
  LANGUAGES,
  type SmsProvider,
  type StateStore,
} from "../contracts/index.ts";
import {
  type ChatDirectory,
  type ChatPlatformName,
  type CliContext,
  combineFeatures,
  type Feature,
  type FeatureConfig,
  type Features,
} from "../conversations/features.ts";
import { CHAT_JOB, CHECK_JOB, CONTACTS_JOB, NOTICE_JOB, SMS_JOB } from "../conversations/kinds.ts";
import * as store from "../conversations/store.ts";
import { type Database, migrateOpen, openDatabase } from "../db/database.ts";
import { Bridge } from "../flows/bridge.ts";
import { createDegraded, type Degraded } from "../flows/degraded.ts";
import { createChatDelivery } from "../flows/delivery.ts";
import { createOutcomeCheck, createSender } from "../flows/sender.ts";
import { createInbox } from "../ingest/inbox.ts";
import { errorMessage } from "../kernel/errors.ts";
import { sharedBudget } from "../queue/budget.ts";
import { sessionLock } from "../queue/locks.ts";
import { Worker } from "../queue/worker.ts";
import { REPLIES_FEATURE } from "../replies/feature.ts";
import { autoReplyConfig } from "../replies/hours.ts";
import { marketingRules } from "../replies/marketing.ts";
import { REPORTS_FEATURE } from "../reports/feature.ts";
import { createContactSync } from "../team/contacts.ts";
import { TEAM_FEATURE } from "../team/feature.ts";
import { channelIdOf } from "../team/routes.ts";
import { testModeNotice } from "./checks.ts";
import type { Env } from "./env.ts";
import { readableLogStream } from "./log-format.ts";

/** Every feature of the bridge: one line each. */
export const FEATURES: Feature[] = [TEAM_FEATURE, REPLIES_FEATURE, REPORTS_FEATURE];

/** Every feature's parts, by name (the CLI's commands, the Bridge's subcommands and buttons). */
export const features: Features = combineFeatures(FEATURES);

/** Every chat platform the bridge knows, on or off, as the CLI names them (`routes add`). */
export function chatPlatforms(env: Env): ChatPlatformName[] {
  return env.descriptors.flatMap((d) =>
    d.kind === "chat" ? [{ name: d.name, channelId: d.channelId?.bind(d) }] : [],
  );
}

/** The configuration the features read (FeatureConfig). */
export function featureConfig(env: Env): FeatureConfig {
  return {
    values: env.values,
    timeZone: env.sms.descriptor.settings(env.sms.config).timezone,
    defaultPlatform: env.CHAT_DEFAULT_PLATFORM,
    language: env.BRIDGE_LANGUAGE,
  };
}

/** What a CLI command gets, in whichever process runs it. */
export function cliContext(
  services: Pick<Services, "env" | "log" | "database" | "provider">,
): CliContext {
  const { provider } = services;
  return {
    db: services.database.db,
    log: services.log,
    defaultCountry: services.env.PHONE_DEFAULT_COUNTRY,
    platforms: chatPlatforms(services.env),
    config: featureConfig(services.env),
    senderProblem: provider.senderProblem?.bind(provider),
  };
}

/** What the features may ask of the chat platforms that are on. */
function chatDirectory(adapters: Map<string, ChatAdapter>): ChatDirectory {
  return {
    async resolveChannel(platform, text) {
      const adapter = adapters.get(platform);
      if (adapter?.resolveChannel) return adapter.resolveChannel(text);
      return channelIdOf(text);
    },
    channelMention: (_platform, channel) => `<#${channel}>`,
    threadLink: (platform, thread) => adapters.get(platform)?.threadLink?.(thread) ?? thread,
    dialect: (platform) => adapters.get(platform)?.dialect,
  };
}

/**
 * The process's logger: JSON lines, as platforms collect them; one readable line per event, in
 * local time, when stdout is a terminal (src/boot/log-format.ts).
 */
export function createLogger(
  level: string,
  out: Pick<NodeJS.WriteStream, "isTTY" | "write"> = process.stdout,
): Logger {
  const options = {
    level,
    base: { service: "ardary-bridge" },
    // Belt and braces: fields that may hold secrets or message bodies never reach the logs.
    redact: {
      paths: ["*.text", "*.body", "*.token", "*.secret", "*.accesskey", "text", "body"],
      censor: "[redacted]",
    },
  };
  if (out.isTTY) return pino(options, readableLogStream(out, true));
  // stdout: pino's own fast destination; another stream (a test's) as it is.
  return out === process.stdout ? pino(options) : pino(options, out);
}

/** This process, for people: the platform's name for it (Heroku's `web.1`) or the host; its pid. */
export function processName(env: Pick<Env, "DYNO">): string {
  return `${env.DYNO ?? hostname()} (pid ${process.pid})`;
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
  /** Connections of the callback path's own, beside the pool (src/db/database.ts); 0 by default. */
  callbackConnections?: number;
  /** The clock (tests set it): marketing SMS are held by it, `--at` is checked against it. */
  now?: () => Date;
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
  /** What the features add (combineFeatures of FEATURES). */
  features: Features;
  /**
   * What refuses the bridge or is down (a chat token, a channel, the provider's account, an
   * outage): `status()` for /healthz and a set-up page; `start()` in a worker process.
   */
  degraded: Degraded;
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
  const database =
    o.database ??
    (await openDatabase({
      url: env.DATABASE_URL,
      dataDir: env.DATA_DIR,
      maxConnections: o.maxConnections ?? env.DATABASE_POOL_MAX,
      callbackConnections: o.callbackConnections,
      log,
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
      processName: processName(env),
      refusedRetryMs: env.REFUSED_RETRY_MS,
      language: env.BRIDGE_LANGUAGE,
      words: LANGUAGES[env.BRIDGE_LANGUAGE],
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
    // Where new numbers go when no route says: the default platform first (CHAT_DEFAULT_PLATFORM).
    const first = (name: string) => Number(name !== env.CHAT_DEFAULT_PLATFORM);
    const defaults = Object.fromEntries(
      [...env.chat]
        .sort((a, b) => first(a.descriptor.name) - first(b.descriptor.name))
        .map(({ descriptor, config }) => [descriptor.name, descriptor.defaultChannel(config)]),
    );
    const config = featureConfig(env);
    const jobContext = { db: database.db, log, retentionDays: env.RETENTION_DAYS, config, chat };
    // What refuses the bridge or is down, and what waits for it (src/flows/degraded.ts).
    const degraded = createDegraded({
      db: database.db,
      log,
      adapters: chat,
      defaults,
      labels: Object.fromEntries(
        [...env.chat.map((c) => c.descriptor), sms].map((d) => [
          d.kind === "sms" ? "sms" : d.name,
          d.label ?? d.name,
        ]),
      ),
      refusedRetryMs: env.REFUSED_RETRY_MS,
      outageProbeMs: env.OUTAGE_PROBE_MS,
    });
    if (o.worker ?? true) await features.start(jobContext);
    const autoReply = autoReplyConfig(env.values, settings.timezone);
    const marketing = marketingRules(env.values, settings.timezone);
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
      replyMode: env.REPLY_MODE,
      features,
      chat: chatDirectory(chat),
      timeZone: settings.timezone,
      sending: {
        fromAnyChannel: env.SMS_FROM_ANY_CHANNEL,
        guestsMaySend: env.SMS_GUESTS_MAY_SEND,
      },
      config,
      marketing,
      now: o.now,
    });
    const delivery = createChatDelivery({
      db: database.db,
      adapters: chat,
      log,
      backlogNoticeAt: env.CHAT_BACKLOG_NOTICE_AT,
      lingerMs: env.CHAT_LINGER_MS,
      replyMode: env.REPLY_MODE,
      degraded,
      defaults,
      defaultSender: provider.defaultSender,
      language: env.BRIDGE_LANGUAGE,
    });
    const worker = (kinds: ("sms" | "chat")[] = ["sms", "chat"]) =>
      new Worker({
        database,
        concurrency: env.WORKER_CONCURRENCY,
        leaseMs: env.JOB_LEASE_MS,
        backoffBaseMs: env.JOB_BACKOFF_MS,
        maxAttempts: env.JOB_MAX_ATTEMPTS,
        handlers: [
          ...(kinds.includes("chat")
            ? [
                { def: CHAT_JOB, run: delivery },
                { def: NOTICE_JOB, run: delivery.notice },
              ]
            : []),
          ...(kinds.includes("chat") ? features.jobs(jobContext) : []),
          ...(kinds.includes("sms")
            ? [
                {
                  def: CHECK_JOB,
                  run: createOutcomeCheck({ db: database.db, language: env.BRIDGE_LANGUAGE }),
                },
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
                  language: env.BRIDGE_LANGUAGE,
                  degraded,
                  defaults,
                  marketing,
                  now: o.now,
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
      features,
      degraded,
      worker,
      async close() {
        await degraded.stop();
        for (const a of chat.values()) await a.stop().catch(() => {});
        await database.close().catch(() => {});
      },
    };
  } catch (err) {
    if (!o.database) await database.close().catch(() => {});
    throw err;
  }
}
