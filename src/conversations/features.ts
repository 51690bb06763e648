// What a feature adds to the bridge, as a plain record (Feature): `/sms <word>` subcommands,
// what its buttons do, the forms they open, `ardary-bridge <command>` commands and job kinds.
// Features export a record; the composition (src/boot/services.ts) puts them together with
// `combineFeatures` and hands the result to whoever dispatches (the Bridge, the CLI, the worker).
// Nothing registers itself on import.
import type { Logger } from "pino";
import type {
  ActionInput,
  Catalogue,
  ChatAdapter,
  ChatDialect,
  ChatForm,
  FormInput,
  Language,
  Platform,
  SmsCommandInput,
  ThreadRef,
} from "../contracts/index.ts";
import type { Db } from "../db/database.ts";
import type { NewJob } from "../queue/jobs.ts";
import type { Handler } from "../queue/worker.ts";
import type { Act } from "./permissions.ts";
import type { Conversation } from "./store.ts";

/** What the core may ask of the chat platforms that are on, whichever they are. */
export interface ChatDirectory {
  /** The channel a person named (`<#C123|name>`, `#name`, an id), as the platform's id. */
  resolveChannel(platform: Platform, text: string): Promise<string | undefined>;
  /** A channel as the platform shows a link to it. */
  channelMention(platform: Platform, channel: string): string;
  /** A link to a thread, or its reference when the platform gives none. */
  threadLink(platform: Platform, thread: ThreadRef): string;
  /** How the platform says the core's markup (its adapter's), if it says it its own way. */
  dialect?(platform: Platform): ChatDialect | undefined;
}

/** The configuration a feature may read: every variable's value, and the provider's zone. */
export interface FeatureConfig {
  /** Every variable's parsed value (src/boot/env.ts), the features' own included. */
  values: Record<string, unknown>;
  /** The SMS provider's time zone (dates people type, business hours, reports). */
  timeZone: string;
  /** CHAT_DEFAULT_PLATFORM, when several chat platforms are on. */
  defaultPlatform?: string;
  /** BRIDGE_LANGUAGE: the language of what the bridge writes in chat; absent: English. */
  language?: Language;
}
/**
 * Why the SMS provider would refuse a sender name, its rule in words; undefined when it takes
 * it (SmsProvider.senderProblem). Absent: the provider takes no sender names.
 */
export type SenderCheck = (name: string, language?: Language) => string | undefined;

/** What a `/sms` subcommand may use: the bridge's database, its logger, the chat platforms. */
export interface CommandContext {
  db: Db;
  log: Logger;
  chat: ChatDirectory;
  config: FeatureConfig;
  /** The provider's rule for sender names (`/sms route add … --sender`). */
  senderProblem?: SenderCheck;
}

/** `/sms <name> …`: `/sms` alone and `/sms <number> …` stay the send command (flows/command.ts). */
export interface ChatCommand {
  /** The first word after `/sms`. */
  name: string;
  /** One line for `/sms help`: as it is, or in the bridge's language (its catalogue's). */
  usage: string | ((words: Catalogue) => string);
  /**
   * What these arguments do, in the permissions table (src/conversations/permissions.ts), which
   * the Bridge checks before `run`; absent: `read` (anyone).
   */
  act?(args: string): Act;
  /** Returns the ephemeral answer for the person who typed it. */
  run(input: SmsCommandInput, args: string, ctx: CommandContext): Promise<string>;
}

/**
 * What a button does, in the caller's transaction; returns the jobs that tell the thread, in
 * `words` (BRIDGE_LANGUAGE's).
 */
export type ActionHandler = (
  tx: Db,
  conv: Conversation,
  input: ActionInput,
  log: Logger,
  words: Catalogue,
) => Promise<NewJob[]>;

/** The form a button of kind "form" opens: filled, checked, saved. */
export interface FormHandler {
  /** The form, filled with the conversation's current values, in `words` (BRIDGE_LANGUAGE's). */
  open(db: Db, conv: Conversation, words: Catalogue): Promise<ChatForm>;
  /** Each field's problem in words; undefined when the values can be saved. */
  check(values: Record<string, string>, words: Catalogue): Record<string, string> | undefined;
  /** Saves the values (in the caller's transaction); returns the jobs to queue, said in `words`. */
  submit(
    tx: Db,
    conv: Conversation,
    input: FormInput,
    log: Logger,
    words: Catalogue,
  ): Promise<NewJob[]>;
}

/** A chat platform as the CLI knows it, on or off: its name, and how it reads a channel id. */
export interface ChatPlatformName {
  name: string;
  /** The channel id in what a person typed, checked without the network; undefined if none. */
  channelId?(text: string): string | undefined;
}

/** What a CLI command may use, wherever it runs (the CLI's process or the running server). */
export interface CliContext {
  db: Db;
  log: Logger;
  /** PHONE_DEFAULT_COUNTRY: the country national numbers are read in. */
  defaultCountry?: string;
  /** Every chat platform the bridge knows (on or off): routes name them. */
  platforms: ChatPlatformName[];
  config: FeatureConfig;
  /** The provider's rule for sender names (`routes add … --sender`). */
  senderProblem?: SenderCheck;
}

/** `ardary-bridge <name> …`: run on the database, or inside the server that holds PGlite. */
export interface CliCommand {
  summary: string;
  help: string;
  /** Throws BadRequestError on bad arguments, before any database is opened. */
  check?(args: string[]): void;
  /**
   * A path argument the command reads: made absolute by the CLI's process before the command
   * may run in the server's, whose working directory may differ.
   */
  absolutePaths?(args: string[], resolve: (path: string) => string): string[];
  /** Writes its output; returns the exit code. Throws BadRequestError on bad arguments. */
  run(ctx: CliContext, args: string[], write: (chunk: string) => Promise<void>): Promise<number>;
}

/** What one feature adds; every part is optional. */
export interface Feature {
  /** `/sms <word>` subcommands. */
  commands?: ChatCommand[];
  /** What its buttons do, by action name. */
  actions?: Record<string, ActionHandler>;
  /** The forms its buttons open, by action name. */
  forms?: Record<string, FormHandler>;
  /** `ardary-bridge <name>` commands, by name. */
  cli?: Record<string, CliCommand>;
  /** Job kinds it runs, in a process that runs the chat side's jobs (none: an empty list). */
  // biome-ignore lint/suspicious/noExplicitAny: handlers of every payload type in one list
  jobs?(ctx: JobContext): Handler<any>[];
  /** Work before a worker process starts (e.g. queue a recurring job once). */
  start?(ctx: JobContext): Promise<void>;
}

/** What a feature's jobs may use. */
export interface JobContext {
  db: Db;
  log: Logger;
  /** RETENTION_DAYS: days SMS texts are kept; absent keeps them. */
  retentionDays?: number;
  config: FeatureConfig;
  /** The chat platforms that are on in this process, by name (none in a CLI process). */
  chat: ReadonlyMap<string, ChatAdapter>;
}

/** Every feature's parts, by name. */
export interface Features {
  commands: Map<string, ChatCommand>;
  actions: Map<string, ActionHandler>;
  forms: Map<string, FormHandler>;
  cli: Map<string, CliCommand>;
  // biome-ignore lint/suspicious/noExplicitAny: idem
  jobs(ctx: JobContext): Handler<any>[];
  start(ctx: JobContext): Promise<void>;
}

/** Puts features together; a name two features claim is a mistake of ours, said at once. */
export function combineFeatures(list: Feature[]): Features {
  const out: Features = {
    commands: new Map(),
    actions: new Map(),
    forms: new Map(),
    cli: new Map(),
    jobs: (ctx) => list.flatMap((f) => f.jobs?.(ctx) ?? []),
    start: async (ctx) => {
      for (const f of list) await f.start?.(ctx);
    },
  };
  const add = <T>(map: Map<string, T>, what: string, name: string, value: T) => {
    if (map.has(name)) throw new Error(`two features add the ${what} "${name}"`);
    map.set(name, value);
  };
  for (const f of list) {
    for (const c of f.commands ?? []) add(out.commands, "/sms command", c.name, c);
    for (const [n, a] of Object.entries(f.actions ?? {})) add(out.actions, "action", n, a);
    for (const [n, h] of Object.entries(f.forms ?? {})) add(out.forms, "form", n, h);
    for (const [n, c] of Object.entries(f.cli ?? {})) add(out.cli, "CLI command", n, c);
  }
  return out;
}
