// What the core offers adapters (state, locks, budgets, routes), and the descriptor each adapter
// exports (adapters/<name>/descriptor.ts). Part of the contract: src/contracts/index.ts re-exports it.
import type { Router } from "express";
import type { Logger } from "pino";
import type { z } from "zod";
import type { ChatAdapter } from "./chat.ts";
import type { Catalogue, Language } from "./i18n/index.ts";
import type { SetupContext, SetupFile, SetupLine } from "./setup.ts";
import type { SmsProvider } from "./sms.ts";

// ── What the core offers adapters ───────────────────────────────────────────────────────────

/** Small values an adapter keeps across restarts (a cursor), in the core's database. */
export interface StateStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  /** Sets a numeric value only when it is greater than the stored one (a cursor that only moves on). */
  raise(key: string, value: string): Promise<void>;
}

/** A lock held by one process at a time across every process of the database. */
export interface SessionLock {
  /** Tries to take the lock; true when this process holds it now. */
  tryAcquire(): Promise<boolean>;
  /** Optional: true when some process (this one or another) holds the lock now. */
  isHeld?(): Promise<boolean>;
  /** True while the lock is still ours (the session that took it is alive). */
  stillHeld(): Promise<boolean>;
  release(): Promise<void>;
}

// ── scale: budgets shared by every process ──────────────────────────────────────────────────
/** A rate shared by every process of the database: a token bucket per key (src/queue/budget.ts). */
export interface Budget {
  /**
   * Takes one token of `key`'s bucket (refilled at `perSecond`, holding at most `burst`):
   * 0 when taken, else the milliseconds until the caller's turn (nothing taken).
   */
  take(key: string, perSecond: number, burst: number): Promise<number>;
  /** The platform said wait (a 429): nothing is taken from `key` for `ms`, in any process. */
  hold(key: string, ms: number): Promise<void>;
  /** The milliseconds left of a hold on any of `keys` (0: none); nothing is taken. */
  heldFor(...keys: string[]): Promise<number>;
}
// ── end of scale ────────────────────────────────────────────────────────────────────────────

export interface AdapterServices {
  log: Logger;
  /** Namespaced per adapter. */
  state: StateStore;
  lock(name: string): SessionLock;
  /** A budget shared by all processes, namespaced per adapter (e.g. "posts"). */
  budget(name: string): Budget;
  /** Where a chat adapter mounts HTTP routes, ahead of any body parser. Absent in a worker. */
  router?: Router;
  /** True in a process that runs jobs (posts, sends); false in an HTTP-only one. */
  worker: boolean;
  /** This process, for people: the platform's name for it (Heroku's `web.1`) or the host, and its pid. */
  processName: string;
  /**
   * How long to wait before asking again a platform that refused the token (REFUSED_RETRY_MS,
   * a minute): e.g. Discord's gateway after a close 4004.
   */
  refusedRetryMs: number;
  /** BRIDGE_LANGUAGE: the language of what the bridge writes in chat, and its words. */
  language: Language;
  words: Catalogue;
}

/** What the core tells an adapter's CLI commands besides its configuration. */
export interface CommandContext {
  /** The bridge's public address (PUBLIC_URL or the platform's), when known. */
  publicUrl?: string;
}

/** A CLI command an adapter brings (`ardary-bridge <command> …`); returns the exit code. */
export interface AdapterCommand {
  /** One line for `ardary-bridge --help`. */
  summary: string;
  /** The command's own `--help`. */
  help(): Promise<string>;
  run(args: string[]): Promise<number>;
}

interface DescriptorBase<Shape extends z.ZodRawShape, Config> {
  /** The adapter's name: its folder, its CLI command, its settings' namespace. */
  name: string;
  /** Its name for people ("Ardary", "Slack"), in help and boot texts; default `name`. */
  label?: string;
  /** Its own environment variables (validated with the core's, every problem listed at once). */
  env: Shape;
  /** Where to find each variable's value, for the error messages. */
  hints: Record<string, string>;
  /** Variables that turn the adapter on only together (a partial set is an error). */
  requires(source: Record<string, string | undefined>): (keyof Shape & string)[];
  /** Its configuration; called only when every variable of `requires` is set. */
  configure(values: z.infer<z.ZodObject<Shape>>): Config;
  /** How to turn it on, for the boot log. */
  howToEnable: string;
  /** The CLI commands it brings, by name, given its configuration (null when it is off). */
  commands?: (config: Config | null, context: CommandContext) => Record<string, AdapterCommand>;
  /**
   * Lines for the setup page and `doctor` from the configuration alone (no call out): what is
   * set or missing, the mode, links to follow. `config` is null while the adapter is off.
   */
  setupLines?(config: Config | null, ctx: SetupContext): SetupLine[];
  /** Files the setup page serves filled in with the bridge's address (`/setup/<name>`). */
  setupFiles?: SetupFile[];
}

export interface ChatAdapterDescriptor<
  Shape extends z.ZodRawShape = z.ZodRawShape,
  Config = unknown,
> extends DescriptorBase<Shape, Config> {
  kind: "chat";
  /** Where new conversations go when no route names a channel. */
  defaultChannel(config: Config): string;
  /**
   * The channel id in what a person typed (`routes add … --channel`), checked without the
   * network; undefined when it is not one. Absent: the core's loose check.
   */
  channelId?(text: string): string | undefined;
  /** Loads the SDK and builds the adapter (lazily: SDKs are heavy). */
  create(config: Config, services: AdapterServices): Promise<ChatAdapter>;
  /** While it is off: routes that still answer the platform's set-up checks (optional). */
  whenOff?(router: Router, log: Logger): void;
}

export interface SmsProviderDescriptor<
  Shape extends z.ZodRawShape = z.ZodRawShape,
  Config = unknown,
> extends DescriptorBase<Shape, Config> {
  kind: "sms";
  /** The callback URL's first path segment (`/<callbackPath>/callback/<secret>`). */
  callbackPath: string;
  /** Where people enter the callback URL, in words ("Ardary's dashboard, Parameters > API"). */
  callbackWhere?: string;
  /** The variable that names the account's time zone (dates typed in `--at`, business hours). */
  timezoneVar: string;
  /** What the core reads of the provider's configuration. */
  settings(config: Config): {
    /** Most SMS handed over in one call of `send`. */
    batchSize: number;
    /** The callback URL's secret, when the operator set one (else the core makes one). */
    callbackSecret?: string;
    /** The account's IANA time zone. */
    timezone: string;
  };
  create(config: Config, services: AdapterServices): Promise<SmsProvider>;
  /** Warnings for the boot log (credentials missing…). */
  warnings?(config: Config): string[];
  /**
   * What must be set before it can send anything, in words naming the variables (e.g. its
   * credentials); undefined when it can. A send from the command line is refused at once with it.
   */
  unconfigured?(config: Config): string | undefined;
  /** While the provider answers without sending: a boot warning and a notice for senders. */
  testMode?(config: Config): { warning: string; notice: string } | undefined;
  /** True when it talks to a local stand-in (a simulator): no public callback URL needed. */
  isLocal?(config: Config): boolean;
  /** A local stand-in for the provider (a simulator), for a first look without an account. */
  standIn?(port: number): Promise<StandIn>;
}

/** A provider played locally: what to set for the bridge to use it, and how to make it write. */
export interface StandIn {
  /** Where it answers (for the person trying it). */
  url: string;
  /** The variables that point the bridge at it. */
  env: Record<string, string>;
  /** Where it calls the bridge back. */
  setCallbackUrl(url: string): void;
  /** A customer writes in. */
  inbound(from: string, text: string): Promise<unknown>;
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: descriptors of any shape go in one list
export type AdapterDescriptor = ChatAdapterDescriptor<any, any> | SmsProviderDescriptor<any, any>;
