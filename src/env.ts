// The one place that reads process.env: the core's variables and every adapter's own (each
// descriptor brings its schema), validated once at boot, every problem listed at once with where
// to find the value.
import { z } from "zod";
import { ADAPTERS } from "../adapters/index.ts";
import { platformPublicUrl } from "./boot-checks.ts";
import {
  type AdapterDescriptor,
  type ChatAdapterDescriptor,
  optionalVar,
  type SmsProviderDescriptor,
} from "./contracts.ts";

const int = (dflt: number) => z.coerce.number().int().positive().default(dflt);

/** Where to find each value, for the error messages. */
const hints: Record<string, string> = {
  PORT: "a TCP port number, e.g. 3000 (set by the platform on Heroku-style hosts)",
  DATABASE_URL: "postgres://user:password@host:5432/db (leave unset to use the embedded database)",
  PUBLIC_URL: "the https:// address the world reaches this server at",
  LOG_LEVEL: "one of fatal, error, warn, info, debug, trace, silent",
  JOB_MAX_ATTEMPTS: "a whole number of attempts before a job is given up, e.g. 10",
};

const core = {
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: optionalVar.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATA_DIR: z.string().default(".data"),
  PUBLIC_URL: optionalVar.pipe(z.url({ protocol: /^https?$/ }).optional()),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Attempts a job gets (a send, a post) before it is given up and shown as failed. */
  JOB_MAX_ATTEMPTS: int(10),
  /** How long an SMS whose outcome is unknown waits for its delivery report before a person is asked. */
  SMS_OUTCOME_WAIT_MS: int(10 * 60_000),
  /** Tuning, mostly for tests: first retry delay of a failed job, doubled each attempt. */
  JOB_BACKOFF_MS: int(1000),
  /** New conversations waiting for a thread in one channel before the channel is told. */
  CHAT_BACKLOG_NOTICE_AT: int(100),
  /** Tuning: how many jobs one process runs at once. */
  WORKER_CONCURRENCY: int(8),
  // Set by the platforms (src/boot-checks.ts): where the process runs, its public address.
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
  /** Every variable's parsed value, the adapters' included (e.g. `env.values.ARDARY_MODE`). */
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

/** Validates the environment; throws EnvError listing every problem with where to find it. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const problems: string[] = [];
  const allHints = { ...hints, ...Object.assign({}, ...ADAPTERS.map((a) => a.hints)) };
  const schema = z.object(Object.assign({ ...core }, ...ADAPTERS.map((a) => a.env)));
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? "?");
      const hint = allHints[key] ? ` (expected ${allHints[key]})` : "";
      problems.push(`${key}: ${issue.message}${hint}`);
    }
  }
  for (const a of ADAPTERS) {
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
  for (const a of ADAPTERS)
    adapters[a.name] = a.requires(source).every((k: string) => values[k] !== undefined)
      ? a.configure(values)
      : null;
  const enabled = <D extends AdapterDescriptor>(d: D): Enabled<D>[] =>
    adapters[d.name] == null ? [] : [{ descriptor: d, config: adapters[d.name] }];
  const [sms] = ADAPTERS.flatMap((d) => (d.kind === "sms" ? enabled(d) : []));
  if (!sms) throw new EnvError(["no SMS provider is configured"]);
  return {
    ...(values as CoreEnv),
    PUBLIC_URL: (values.PUBLIC_URL as string | undefined) ?? platformPublicUrl(source),
    values,
    adapters,
    sms,
    chat: ADAPTERS.flatMap((d) => (d.kind === "chat" ? enabled(d) : [])),
  };
}

/** The chat platforms that are off. */
export function offChat(env: Env): ChatAdapterDescriptor[] {
  return ADAPTERS.flatMap((d) => (d.kind === "chat" && env.adapters[d.name] == null ? [d] : []));
}

/** The chat platforms that are off, with how to turn each on (for the boot log). */
export function disabledChat(env: Env): string[] {
  return ADAPTERS.filter((d) => d.kind === "chat" && env.adapters[d.name] == null).map(
    (d) => `${d.name}: ${d.howToEnable}`,
  );
}
