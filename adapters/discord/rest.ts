// Discord REST failures → the core's errors. The worker's REST client rejects on rate limits
// (`rejectOnRateLimit`), so a 429, or a bucket @discordjs/rest knows to be empty, becomes a job
// retry at the bucket's reset instead of a stalled worker or a burst of invalid requests. A 401
// is the token refused, 50001/50013 a channel the bot may not use (RefusedError: the core holds
// that work); 10003 is a thread gone, or, said of a channel (channelGone), the channel refused.
// https://discord.com/developers/docs/topics/rate-limits
// https://discord.com/developers/docs/topics/opcodes-and-status-codes#json-json-error-codes
import { DiscordAPIError, HTTPError, RateLimitError, RESTJSONErrorCodes } from "discord.js";
import {
  AppError,
  DeferredError,
  RefusedError,
  RetryableError,
  ThreadGoneError,
} from "../../src/kernel/errors.ts";

/** Codes that mean the thread or the message can no longer be used (its channel may be fine). */
const GONE = new Set<number>([
  RESTJSONErrorCodes.UnknownChannel, // 10003: deleted (a thread; a channel: channelGone)
  RESTJSONErrorCodes.UnknownMessage, // 10008
  RESTJSONErrorCodes.ThreadLocked, // 160005: archived and locked by a moderator
]);

/** Codes that mean the bot may not use the channel (removed, hidden, its rights taken away). */
const CHANNEL_REFUSED = new Set<number>([
  RESTJSONErrorCodes.MissingAccess, // 50001
  RESTJSONErrorCodes.MissingPermissions, // 50013
]);

export const TOKEN_FIX =
  "set DISCORD_BOT_TOKEN to the bot's token (Discord developer portal > your application > Bot > " +
  "Reset Token)";

/** TOKEN_FIX in French (BRIDGE_LANGUAGE=fr), for chat. */
const TOKEN_FIX_FR =
  "réglez DISCORD_BOT_TOKEN sur le jeton du bot (portail des développeurs Discord > votre " +
  "application > Bot > Reset Token)";

const channelFixFr = (channel?: string) =>
  "rendez au bot les permissions Voir le salon, Envoyer des messages et Envoyer des messages " +
  `dans les fils dans ${channel ? `<#${channel}>` : "le salon"} (ou invitez-le de nouveau sur ` +
  "le serveur), ou déplacez ses numéros vers un autre salon " +
  "(`ardary-bridge routes add <prefix> --discord <channel> --move`)";

/** Why Discord refuses a channel, in French, by its JSON error code. */
const CHANNEL_REFUSED_FR: Readonly<Record<number, string>> = {
  [RESTJSONErrorCodes.MissingAccess]: "le bot n'a pas accès au salon",
  [RESTJSONErrorCodes.MissingPermissions]: "il manque des permissions au bot dans le salon",
};

const channelFix = (channel?: string) =>
  `give the bot back View Channel, Send Messages and Send Messages in Threads in ${channel ? `<#${channel}>` : "the channel"} ` +
  "(or invite it to the server again), or move its numbers to another channel " +
  "(`ardary-bridge routes add <prefix> --discord <channel> --move`)";

/** The bot's token refused (a 401, a gateway close 4004). */
export function tokenRefused(cause: unknown): RefusedError {
  return new RefusedError({
    scope: "account",
    message: "Discord refuses the bot token (401 Unauthorized)",
    fix: TOKEN_FIX,
    said: {
      fr: { reason: "Discord refuse le jeton du bot (401 Unauthorized)", fix: TOKEN_FIX_FR },
    },
    cause,
  });
}

/**
 * A channel (not a thread: its parent, or the default channel) that answered 10003 Unknown
 * Channel is gone: its conversations wait as for a channel the bot was removed from.
 */
export function channelGone(what: string, err: unknown, channel: string): unknown {
  const e = toAppError(what, err);
  if (e instanceof ThreadGoneError || (e instanceof RefusedError && e.scope === "channel"))
    return new RefusedError({
      scope: "channel",
      message: `${what}: ${e.message}`,
      fix: channelFix(channel),
      said: {
        fr: {
          reason:
            e instanceof RefusedError
              ? (e.said?.fr?.reason ?? e.message)
              : `le salon n'existe plus (${what} : ${e.message})`,
          fix: channelFixFr(channel),
        },
      },
      channel,
      cause: err,
    });
  return e;
}

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
    if (err.status === 401) return tokenRefused(err);
    if (CHANNEL_REFUSED.has(code))
      return new RefusedError({
        scope: "channel",
        message: `${what}: ${err.message} (${code})`,
        fix: channelFix(),
        said: {
          fr: {
            reason: `${CHANNEL_REFUSED_FR[code] ?? err.message} (${what} : ${code})`,
            fix: channelFixFr(),
          },
        },
        cause: err,
      });
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
