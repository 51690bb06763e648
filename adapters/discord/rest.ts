// Discord REST failures → the core's errors. The worker's REST client rejects on rate limits
// (`rejectOnRateLimit`), so a 429, or a bucket @discordjs/rest knows to be empty, becomes a job
// retry at the bucket's reset instead of a stalled worker or a burst of invalid requests.
// https://discord.com/developers/docs/topics/rate-limits
// https://discord.com/developers/docs/topics/opcodes-and-status-codes#json-json-error-codes
import { DiscordAPIError, HTTPError, RateLimitError, RESTJSONErrorCodes } from "discord.js";
import {
  AppError,
  DeferredError,
  RetryableError,
  ThreadGoneError,
} from "../../src/kernel/errors.ts";

/** Codes that mean the thread, its channel or the message can no longer be used. */
const GONE = new Set<number>([
  RESTJSONErrorCodes.UnknownChannel, // 10003: deleted
  RESTJSONErrorCodes.MissingAccess, // 50001: bot removed or channel hidden
  RESTJSONErrorCodes.UnknownMessage, // 10008
  RESTJSONErrorCodes.ThreadLocked, // 160005: archived and locked by a moderator
]);

/** 50083: editing or reacting in an archived thread (sending a message unarchives it). */
export function isArchivedError(err: unknown): boolean {
  return (
    err instanceof DiscordAPIError && err.code === RESTJSONErrorCodes.InvalidActionOnArchivedThread
  );
}

export function toAppError(what: string, err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof RateLimitError) {
    // Waiting for a rate limit is not a failure: the job comes back without using an attempt.
    return new DeferredError(
      `${what}: Discord rate limit on ${err.method} ${err.route}`,
      Math.max(50, Math.ceil(err.retryAfter)),
    );
  }
  if (err instanceof DiscordAPIError) {
    const code = typeof err.code === "number" ? err.code : 0;
    if (GONE.has(code)) return new ThreadGoneError(`${what}: ${err.message} (${code})`, err);
    if (err.status >= 500) {
      return new RetryableError("discord_unavailable", `${what}: ${err.message}`, undefined, err);
    }
    return new AppError("discord_api", `${what}: ${err.message} (${code})`, {
      cause: err,
      status: err.status === 401 || err.status === 403 ? 502 : 400,
    });
  }
  if (err instanceof HTTPError) {
    return new RetryableError("discord_unavailable", `${what}: HTTP ${err.status}`, undefined, err);
  }
  // Network errors and timeouts: Discord may answer later.
  return new RetryableError("discord_unreachable", `${what}: ${String(err)}`, undefined, err);
}

/** Runs one REST call, throwing the core's errors. */
export async function discordCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toAppError(what, err);
  }
}
