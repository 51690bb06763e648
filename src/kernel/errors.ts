// One base error with a code; src/http/app.ts maps it to HTTP in one place; `isPermanent` is the
// one rule the queue and the adapters use to tell a failure worth retrying from one that is not.

export interface AppErrorOptions {
  cause?: unknown;
  /** HTTP status when this error ends a request (default 500). */
  status?: number;
  /** True when trying again later may succeed (network, 5xx, 429, rate limits). */
  retryable?: boolean;
  /** Milliseconds to wait before trying again, when the failure said so (Retry-After). */
  retryAfterMs?: number;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.status = options.status ?? 500;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Bad input from outside (a malformed callback, a bad command): 400, never retried. */
export class BadRequestError extends AppError {
  constructor(message: string, cause?: unknown) {
    super("bad_request", message, { status: 400, cause });
    this.name = "BadRequestError";
  }
}

/** A chat thread or channel that no longer exists or cannot be posted to. */
export class ThreadGoneError extends AppError {
  constructor(message: string, cause?: unknown) {
    super("thread_gone", message, { cause });
    this.name = "ThreadGoneError";
  }
}

/** Something we call is over its limit or unreachable for now: retry after `retryAfterMs`. */
export class RetryableError extends AppError {
  constructor(code: string, message: string, retryAfterMs?: number, cause?: unknown) {
    super(code, message, { status: 503, retryable: true, retryAfterMs, cause });
    this.name = "RetryableError";
  }
}

/**
 * Thrown by work that did not start because it must wait its turn (a pacer, a rate limit, a
 * Retry-After): the job comes back after `retryAfterMs` without using up an attempt.
 */
export class DeferredError extends RetryableError {
  constructor(reason: string, retryAfterMs: number) {
    super("deferred", reason, retryAfterMs);
    this.name = "DeferredError";
  }
}

/** A call that did not answer within the time a person waits (the setup page's deadline). */
export class NoAnswerError extends AppError {
  constructor(what: string, ms: number) {
    super("no_answer", `${what}: no answer within ${ms / 1000} s`, {
      status: 504,
      retryable: true,
    });
    this.name = "NoAnswerError";
  }
}

/**
 * A platform or the provider refuses us until a person changes something: the token or the
 * account as a whole (`scope: "account"`: Slack's invalid_auth, Discord's 401, Ardary's #001), or
 * one channel the bot was removed from (`scope: "channel"`). Trying again before that cannot
 * help, and waiting costs nothing: the core holds the work (src/flows/degraded.ts: a deferral,
 * never a spent attempt), says it once with `fix`, and tries again every minute. Not retryable
 * and not permanent: code that does not know it backs off and tries again.
 */
export class RefusedError extends AppError {
  readonly scope: "account" | "channel";
  /** The channel refused, when the adapter knows it (else the conversation's). */
  readonly channel: string | undefined;
  /** What a person must do, in words, naming the variable or the setting to change. */
  readonly fix: string;
  /** The message and `fix` in the bridge's other languages, for chat (the logs keep English). */
  readonly said: RefusalWords | undefined;

  constructor(o: {
    scope: "account" | "channel";
    message: string;
    fix: string;
    said?: RefusalWords;
    channel?: string;
    cause?: unknown;
  }) {
    super(o.scope === "account" ? "refused" : "channel_refused", o.message, {
      status: 503,
      cause: o.cause,
    });
    this.name = "RefusedError";
    this.scope = o.scope;
    this.channel = o.channel;
    this.fix = o.fix;
    this.said = o.said;
  }
}

/**
 * A refusal's reason and fix in the bridge's languages other than English, by BRIDGE_LANGUAGE's
 * value (`fr`): what a chat notice says. The adapter that knows the refusal writes them.
 */
export type RefusalWords = Readonly<Partial<Record<string, { reason: string; fix: string }>>>;

/** A refusal's reason and fix for a person who reads `language`: its words there, else English. */
export function refusalIn(
  r: { reason: string; fix: string; said?: RefusalWords },
  language: string | undefined,
): { reason: string; fix: string } {
  return (language && r.said?.[language]) || { reason: r.reason, fix: r.fix };
}

/**
 * The one rule for "trying again cannot help": our own errors that are not retryable and name a
 * client-side status (a refusal, bad input). Anything else (the network, a 5xx, an unknown
 * throw) is worth another attempt.
 */
export function isPermanent(err: unknown): boolean {
  return err instanceof AppError && !err.retryable && err.status < 500;
}

/** The message of an error and of its causes (drizzle wraps the driver's error). */
export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // drizzle's "Failed query: … params: …" would put message bodies in the logs: keep the cause.
  if (err.message.startsWith("Failed query:") && err.cause instanceof Error)
    return errorMessage(err.cause);
  const cause = err.cause instanceof Error ? `: ${errorMessage(err.cause)}` : "";
  return `${err.message}${cause}`;
}
