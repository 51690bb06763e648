// The one place that reads process.env: the core's variables and every adapter's own (each
// descriptor brings its schema), validated once at boot, every problem listed at once with where
// to find the value.
import { z } from "zod";
import { ADAPTERS } from "../../adapters/index.ts";
import {
  type AdapterDescriptor,
  type ChatAdapterDescriptor,
  isLanguage,
  LANGUAGES,
  optionalVar,
  type SmsProviderDescriptor,
} from "../contracts/index.ts";
import { signatureVar } from "../conversations/signature.ts";
import { withSocketHost } from "../db/pg-options.ts";
import { businessHoursVar, hoursProblems } from "../replies/hours.ts";
import { marketingHolidaysVar, marketingHoursVar } from "../replies/marketing.ts";
import { REPORT_HINTS, REPORT_VARS, reportProblems } from "../reports/settings.ts";

const int = (dflt: number) => z.coerce.number().int().positive().default(dflt);
/** A yes/no setting, off unless set to `true` (an empty value is unset). */
const flag = optionalVar.pipe(
  z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true"),
);

/** Where to find each value, for the error messages. */
const hints: Record<string, string> = {
  PORT: "a TCP port number, e.g. 3000 (set by the platform on Heroku-style hosts)",
  DATABASE_URL: "postgres://user:password@host:5432/db (leave unset to use the embedded database)",
  PUBLIC_URL: "the https:// address the world reaches this server at",
  LOG_LEVEL: "one of fatal, error, warn, info, debug, trace, silent",
  DATABASE_POOL_MAX:
    "a whole number of connections, e.g. 4 (see docs/operations.md on connections)",
  JOB_MAX_ATTEMPTS: "a whole number of attempts before a job is given up, e.g. 10",
  RETENTION_DAYS: "a whole number of days, e.g. 365 (unset keeps every SMS text)",
  BUSINESS_HOURS:
    "entries like `mon-fri 09:00-18:00; sat 10:00-13:00`, in the SMS provider's time zone",
  REPLY_MODE: "send (thread replies go as SMS) or explicit (only replies starting with sms:)",
  PHONE_DEFAULT_COUNTRY: "the two-letter ISO code of the country national numbers are in, e.g. FR",
  SMS_SIGNATURE: "a line added under people's SMS, e.g. `- {agent_first_name}, Acme`",
  SMS_FROM_ANY_CHANNEL: "true or false (default): `/sms <number>` from any channel or DM",
  SMS_GUESTS_MAY_SEND:
    "true or false (default): the workspace's guests may send SMS and look up /sms history and /sms queue",
  ...REPORT_HINTS,
  MARKETING_HOURS:
    "entries like `mon-sat 08:00-20:00` (the default), in the SMS provider's time zone",
  MARKETING_HOLIDAYS: "fr (France's public holidays, the default) or none",
  BRIDGE_LANGUAGE: `the language the bridge writes in chat: ${Object.keys(LANGUAGES).join(" or ")} (default en)`,
};

const core = {
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: optionalVar
    .transform((v) => v && withSocketHost(v))
    .pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATA_DIR: z.string().default(".data"),
  PUBLIC_URL: optionalVar.pipe(z.url({ protocol: /^https?$/ }).optional()),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Attempts a job gets (a send, a post) before it is given up and shown as failed. */
  JOB_MAX_ATTEMPTS: int(10),
  /** With several chat platforms on: where a number without a route and without a thread goes. */
  CHAT_DEFAULT_PLATFORM: optionalVar,
  /** How long an SMS whose outcome is unknown waits for its delivery report before a person is asked. */
  SMS_OUTCOME_WAIT_MS: int(10 * 60_000),
  /** Tuning, mostly for tests: first retry delay of a failed job, doubled each attempt. */
  JOB_BACKOFF_MS: int(1000),
  /** New conversations waiting for a thread in one channel before the channel is told. */
  CHAT_BACKLOG_NOTICE_AT: int(100),
  /**
   * How long the next SMS of a busy thread (its last post carried several) waits for the SMS
   * after it, to share one post (src/flows/delivery.ts); 0: never.
   */
  CHAT_LINGER_MS: int(2000),
  /**
   * Tuning, mostly for tests: how long a job is held by the worker that took it; a worker killed
   * mid-job gives it up only when this runs out. Must exceed the longest job (a chat post, a send).
   */
  JOB_LEASE_MS: int(60_000),
  /** Tuning: how many jobs one process runs at once. */
  WORKER_CONCURRENCY: int(8),
  /**
   * How often a part that refuses the bridge (a chat token, a channel, the provider's account)
   * is tried again, and the chat tokens checked (src/flows/degraded.ts). Tuning, mostly for tests.
   */
  REFUSED_RETRY_MS: int(60_000),
  /** How often a free try looks for the end of an outage of the provider or a platform. */
  OUTAGE_PROBE_MS: int(5000),
  /**
   * Most Postgres connections of a process's pool (docs/operations.md: connections per process type). 4: a
   * web process's group commit keeps at most 4 transactions in flight, and 2 web + 2 worker
   * processes stay within a 20-connection plan with their LISTEN connections (bench figure 7).
   */
  DATABASE_POOL_MAX: int(4),
  /** Opening hours and the SMS sent outside them (src/replies/hours.ts); both or neither. */
  BUSINESS_HOURS: businessHoursVar,
  AUTO_REPLY_TEXT: optionalVar,
  /**
   * When marketing SMS may leave (src/replies/marketing.ts): BUSINESS_HOURS's grammar, in the
   * provider's zone, and the public holidays they never leave on.
   */
  MARKETING_HOURS: marketingHoursVar,
  MARKETING_HOLIDAYS: marketingHolidaysVar,
  /** Days SMS bodies are kept (src/replies/retention.ts); unset keeps them. */
  RETENTION_DAYS: optionalVar.pipe(
    z.coerce.number<string | undefined>().int().positive().optional(),
  ),
  /** The language of everything the bridge writes in chat (the CLI and the logs stay English). */
  BRIDGE_LANGUAGE: optionalVar.pipe(
    z
      .string()
      .optional()
      .transform((v) => v?.trim().toLowerCase() || "en")
      .refine(isLanguage, {
        error: `unknown language: use one of ${Object.keys(LANGUAGES).join(", ")}`,
      }),
  ),
  /** `send`: thread replies go as SMS; `explicit`: only those starting with `sms:`. */
  REPLY_MODE: z.enum(["send", "explicit"]).default("send"),
  /** The country (ISO code) national numbers are read in (`0612345678` with FR). */
  PHONE_DEFAULT_COUNTRY: optionalVar.pipe(
    z
      .string()
      .regex(/^[A-Za-z]{2}$/)
      .transform((v) => v.toUpperCase())
      .optional(),
  ),
  /** A line under the SMS people send (src/conversations/signature.ts); the fields of templates. */
  SMS_SIGNATURE: signatureVar,
  /** `/sms <number>` from any channel and direct messages, not only the bridge's own channels. */
  SMS_FROM_ANY_CHANNEL: flag,
  /** A workspace's guests (as their platform's adapter tells them) may send SMS. */
  SMS_GUESTS_MAY_SEND: flag,
  /** The weekly digest (src/reports/): where it is posted, and when. */
  ...REPORT_VARS,
  // Set by the platforms (src/boot/checks.ts): where the process runs, its public address.
  DYNO: optionalVar,
  RENDER: optionalVar,
};

type CoreEnv = z.infer<z.ZodObject<typeof core>>;

/** An adapter the environment turns on, with its configuration. */
export interface Enabled<D extends AdapterDescriptor> {
  descriptor: D;
  config: unknown;
}

export type Env = CoreEnv & {
  /** Every adapter the bridge knows, on or off (adapters/index.ts). */
  descriptors: AdapterDescriptor[];
  /** Every variable's parsed value, the adapters' included (e.g. an adapter's mode). */
  values: Record<string, unknown>;
  /** Each adapter's configuration by name; null when it is off. */
  adapters: Record<string, unknown>;
  sms: Enabled<SmsProviderDescriptor>;
  chat: Enabled<ChatAdapterDescriptor>[];
};

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "EnvError";
  }
}

/** The platform's own public address: Heroku's dyno metadata, or Render's external URL. */
export function platformPublicUrl(source: NodeJS.ProcessEnv): string | undefined {
  const heroku = source.HEROKU_APP_DEFAULT_DOMAIN_NAME?.trim();
  if (heroku) return `https://${heroku}`;
  return source.RENDER_EXTERNAL_URL?.trim() || undefined;
}

/** Validates the environment; throws EnvError listing every problem with where to find it. */
export function loadEnv(
  source: NodeJS.ProcessEnv = process.env,
  descriptors: AdapterDescriptor[] = ADAPTERS,
): Env {
  const problems: string[] = [];
  const allHints = { ...hints, ...Object.assign({}, ...descriptors.map((a) => a.hints)) };
  const schema = z.object(Object.assign({ ...core }, ...descriptors.map((a) => a.env)));
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? "?");
      const hint = allHints[key] ? ` (expected ${allHints[key]})` : "";
      problems.push(`${key}: ${issue.message}${hint}`);
    }
  }
  problems.push(...hoursProblems(source));
  // One SMS provider: the one whose variables are set; with none set, the only one there is.
  const providers = descriptors.filter((d) => d.kind === "sms");
  const named = providers.filter((d) => Object.keys(d.env).some((k) => source[k]?.trim()));
  const provider = named.length > 0 ? named : providers.length === 1 ? providers : [];
  if (named.length > 1)
    problems.push(
      `one SMS provider at a time: the variables of ${named.map((d) => `${d.name} (${setVars(d, source)})`).join(" and ")} are set; unset those of all but one`,
    );
  else if (provider.length === 0)
    problems.push(
      `no SMS provider is configured: set the variables of one of ${providers.map((d) => `${d.name} (${d.howToEnable})`).join(", ") || "none (adapters/index.ts lists none)"}`,
    );
  for (const a of descriptors) {
    if (a.kind === "sms" && !provider.includes(a)) continue;
    const required: string[] = a.requires(source);
    const set = required.filter((k) => source[k]?.trim());
    if (set.length === 0 || set.length === required.length) continue;
    for (const k of required.filter((k) => !source[k]?.trim())) {
      problems.push(
        `${k}: required to enable ${a.name}, since ${set.join(", ")} is set (${allHints[k]})`,
      );
    }
  }
  if (!parsed.success || problems.length > 0) throw new EnvError(problems);
  const values = parsed.data as Record<string, unknown>;
  const adapters: Record<string, unknown> = {};
  for (const a of descriptors)
    adapters[a.name] =
      a.kind === "sms" && !provider.includes(a)
        ? null
        : a.requires(source).every((k: string) => values[k] !== undefined)
          ? a.configure(values)
          : null;
  const enabled = <D extends AdapterDescriptor>(d: D): Enabled<D>[] =>
    adapters[d.name] == null ? [] : [{ descriptor: d, config: adapters[d.name] }];
  const [sms] = descriptors.flatMap((d) => (d.kind === "sms" ? enabled(d) : []));
  const chat = descriptors.flatMap((d) => (d.kind === "chat" ? enabled(d) : []));
  const names = chat.map((c) => c.descriptor.name);
  const chosen = values.CHAT_DEFAULT_PLATFORM as string | undefined;
  if (chosen !== undefined && !names.includes(chosen))
    problems.push(
      `CHAT_DEFAULT_PLATFORM: "${chosen}" is not a chat platform that is on (on: ${names.join(", ") || "none"})`,
    );
  if (chosen === undefined && names.length > 1)
    problems.push(
      `CHAT_DEFAULT_PLATFORM: required when several chat platforms are on (${names.join(", ")}): where a new number's thread opens when no route says`,
    );
  problems.push(...reportProblems(source, names, chosen));
  if (problems.length > 0) throw new EnvError(problems);
  if (!sms) throw new EnvError(["no SMS provider is configured"]);
  return {
    ...(values as CoreEnv),
    PUBLIC_URL: (values.PUBLIC_URL as string | undefined) ?? platformPublicUrl(source),
    values,
    descriptors,
    adapters,
    sms,
    chat,
  };
}

/** Where `try` keeps its data: beside DATA_DIR, never in it (`.data` → `.data-try`). */
export function trialDataDir(dataDir: string): string {
  return dataDir.startsWith("memory://") ? dataDir : `${dataDir.replace(/[\\/]+$/, "")}-try`;
}

/**
 * The environment a first look (`try`) runs in: the shell's, less what points at real things
 * (DATABASE_URL, PUBLIC_URL, every chat platform's variables and CHAT_DEFAULT_PLATFORM, the SMS
 * providers'), with its own DATA_DIR beside the shell's, then the stand-in's variables. So a
 * trial never writes where `npm start` keeps its data, nor posts in a real channel.
 */
export function trialSource(
  standIn: Record<string, string>,
  source: NodeJS.ProcessEnv = process.env,
  descriptors: AdapterDescriptor[] = ADAPTERS,
): NodeJS.ProcessEnv {
  const dropped = new Set(["DATABASE_URL", "PUBLIC_URL", "CHAT_DEFAULT_PLATFORM"]);
  for (const d of descriptors) for (const k of Object.keys(d.env)) dropped.add(k);
  const kept = Object.fromEntries(Object.entries(source).filter(([k]) => !dropped.has(k)));
  const dataDir = trialDataDir(source.DATA_DIR?.trim() || core.DATA_DIR.parse(undefined));
  return { ...kept, DATA_DIR: dataDir, ...standIn };
}

/** The variables of a descriptor that are set, by name. */
function setVars(d: AdapterDescriptor, source: NodeJS.ProcessEnv): string {
  return Object.keys(d.env)
    .filter((k) => source[k]?.trim())
    .join(", ");
}

/**
 * The zone of the times people read (CLI, chat answers): the SMS provider's account zone (its
 * settings), the one `--at` is read in; UTC when `utc` (the CLI's `--utc`).
 */
export function timeZoneOf(env: Env, utc = false): string {
  return utc ? "UTC" : env.sms.descriptor.settings(env.sms.config).timezone;
}

/** The chat platforms that are off. */
export function offChat(env: Env): ChatAdapterDescriptor[] {
  return env.descriptors.flatMap((d) =>
    d.kind === "chat" && env.adapters[d.name] == null ? [d] : [],
  );
}

/** The chat platforms that are off, with how to turn each on (for the boot log). */
export function disabledChat(env: Env): string[] {
  return env.descriptors
    .filter((d) => d.kind === "chat" && env.adapters[d.name] == null)
    .map((d) => `${d.name}: ${d.howToEnable}`);
}
