// The one place that reads process.env: validated once at boot, every problem listed at once.
import { z } from "zod";
import { platformPublicUrl } from "./boot-checks.ts";

const optional = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();
const int = (dflt: number) => z.coerce.number().int().positive().default(dflt);

/** Where to find each value, for the error messages. */
const hints: Record<string, string> = {
  PORT: "a TCP port number, e.g. 3000 (set by the platform on Heroku-style hosts)",
  DATABASE_URL: "postgres://user:password@host:5432/db (leave unset to use the embedded database)",
  PUBLIC_URL: "the https:// address the world reaches this server at",
  SLACK_APP_TOKEN:
    "Slack app > Basic Information > App-Level Tokens (xapp-…, scope connections:write)",
  ARDARY_API_URL: "the Ardary API base URL, https://www.ardary-sms.com/api",
  ARDARY_MODE: '"test" (answers without sending) or "prod"',
  ARDARY_TIMEZONE: "an IANA zone such as Europe/Paris",
  ARDARY_BATCH_SIZE: "a whole number of SMS per sendSms request, 1 to 1000",
  ARDARY_CALLBACK_SECRET: "a random string of 16+ characters, e.g. `openssl rand -hex 16`",
  SLACK_BOT_TOKEN: "Slack app > OAuth & Permissions > Bot User OAuth Token (xoxb-…)",
  SLACK_SIGNING_SECRET: "Slack app > Basic Information > App Credentials > Signing Secret",
  SLACK_CHANNEL: "the channel ID (C…) from the channel's details in Slack",
  DISCORD_BOT_TOKEN: "Discord developer portal > your application > Bot > Token",
  DISCORD_APPLICATION_ID: "Discord developer portal > your application > General > Application ID",
  DISCORD_CHANNEL: "the channel ID (Developer Mode on, right-click the channel > Copy Channel ID)",
  LOG_LEVEL: "one of fatal, error, warn, info, debug, trace, silent",
};

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: optional.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATA_DIR: z.string().default(".data"),
  PUBLIC_URL: optional.pipe(z.url({ protocol: /^https?$/ }).optional()),
  ARDARY_API_URL: z.url().default("https://www.ardary-sms.com/api"),
  ARDARY_ACCESS_KEY: optional,
  ARDARY_LOGIN: optional,
  ARDARY_SENDER_NAME: optional,
  ARDARY_MODE: z.enum(["test", "prod"]).default("test"),
  ARDARY_TIMEZONE: z
    .string()
    .default("Europe/Paris")
    .refine((tz) => isTimeZone(tz), "unknown time zone"),
  ARDARY_CALLBACK_SECRET: optional.pipe(z.string().min(16).optional()),
  ARDARY_BATCH_SIZE: int(100).pipe(z.number().max(1000)),
  SLACK_BOT_TOKEN: optional,
  SLACK_SIGNING_SECRET: optional,
  SLACK_CHANNEL: optional,
  SLACK_APP_TOKEN: optional.pipe(z.string().startsWith("xapp-").optional()),
  SLACK_API_URL: optional.pipe(z.url().optional()),
  DISCORD_BOT_TOKEN: optional,
  DISCORD_APPLICATION_ID: optional,
  DISCORD_CHANNEL: optional,
  DISCORD_API_URL: optional.pipe(z.url().optional()),
  /** Tuning, mostly for tests: how often a standby process tries to take the Discord gateway over. */
  DISCORD_STANDBY_RETRY_MS: int(5000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Tuning, mostly for tests: first retry delay of a failed job, doubled each attempt. */
  JOB_BACKOFF_MS: int(1000),
  /** Tuning: how many jobs one process runs at once. */
  WORKER_CONCURRENCY: int(8),
  // Set by the platforms (src/boot-checks.ts): where the process runs, its public address.
  DYNO: optional,
  RENDER: optional,
});

export type Env = z.infer<typeof schema> & {
  slack: {
    botToken: string;
    signingSecret?: string;
    /** Socket Mode (SLACK_APP_TOKEN): no events URL, so no signing secret needed. */
    appToken?: string;
    channel: string;
    apiUrl?: string;
  } | null;
  discord: {
    botToken: string;
    applicationId: string;
    channel: string;
    apiUrl?: string;
  } | null;
};

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "EnvError";
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Groups of variables that enable a platform only together. */
const groups = {
  slack: ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CHANNEL"],
  discord: ["DISCORD_BOT_TOKEN", "DISCORD_APPLICATION_ID", "DISCORD_CHANNEL"],
} as const;

/** Validates the environment; throws EnvError listing every problem with where to find it. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const problems: string[] = [];
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? "?");
      const hint = hints[key] ? ` (expected ${hints[key]})` : "";
      problems.push(`${key}: ${issue.message}${hint}`);
    }
  }
  for (const [name, all] of Object.entries(groups)) {
    const socketMode = name === "slack" && source.SLACK_APP_TOKEN?.trim();
    const keys = socketMode ? all.filter((k) => k !== "SLACK_SIGNING_SECRET") : all;
    const set = keys.filter((k) => source[k]?.trim());
    if (set.length > 0 && set.length < keys.length) {
      for (const k of keys.filter((k) => !source[k]?.trim())) {
        problems.push(
          `${k}: required to enable ${name}, since ${set.join(", ")} is set (${hints[k]})`,
        );
      }
    }
  }
  if (!parsed.success || problems.length > 0) throw new EnvError(problems);
  const env = parsed.data;
  return {
    ...env,
    PUBLIC_URL: env.PUBLIC_URL ?? platformPublicUrl(source),
    slack:
      env.SLACK_BOT_TOKEN && (env.SLACK_SIGNING_SECRET || env.SLACK_APP_TOKEN) && env.SLACK_CHANNEL
        ? {
            botToken: env.SLACK_BOT_TOKEN,
            signingSecret: env.SLACK_SIGNING_SECRET,
            appToken: env.SLACK_APP_TOKEN,
            channel: env.SLACK_CHANNEL,
            apiUrl: env.SLACK_API_URL,
          }
        : null,
    discord:
      env.DISCORD_BOT_TOKEN && env.DISCORD_APPLICATION_ID && env.DISCORD_CHANNEL
        ? {
            botToken: env.DISCORD_BOT_TOKEN,
            applicationId: env.DISCORD_APPLICATION_ID,
            channel: env.DISCORD_CHANNEL,
            apiUrl: env.DISCORD_API_URL,
          }
        : null,
  };
}
