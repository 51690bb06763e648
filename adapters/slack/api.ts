// The worker's Slack Web API: a WebClient that never sleeps on a 429 (rejectRateLimitedCalls,
// no retries of its own), behind the per-channel pacer. Slack's answers become our errors:
// a rate limit → DeferredError at Retry-After (the channel waits, and the method on every
// channel when Slack's limit is the workspace's: pacer.ts); a token refused → RefusedError (account); a
// channel the bot is not in or cannot see → RefusedError (channel: its conversations wait); a
// thread or message that is gone → ThreadGoneError (the delivery opens a new thread); a network
// or 5xx failure → RetryableError.
// Error codes: https://docs.slack.dev/reference/methods/chat.postMessage#errors
import { ErrorCode, LogLevel, WebClient } from "@slack/web-api";
import type { Budget } from "../../src/contracts/index.ts";
import {
  AppError,
  DeferredError,
  errorMessage,
  RefusedError,
  RetryableError,
  ThreadGoneError,
} from "../../src/kernel/errors.ts";
import { ChannelPacer, type PacerOptions } from "./pacer.ts";
import { slackErrorCode, TOKEN_REFUSED } from "./refusals.ts";

/** Answers that mean the thread (or an archived channel) is gone for good. */
const GONE = new Set([
  "is_archived",
  "message_not_found",
  "thread_not_found",
  "cant_update_message",
]);

/**
 * The channel refuses the bot (removed from it; a private channel it is not in, or one that was
 * deleted, reads channel_not_found): that channel's conversations wait.
 */
const CHANNEL_REFUSED = new Set(["not_in_channel", "channel_not_found"]);

export const TOKEN_FIX =
  "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (Slack app > OAuth & Permissions, " +
  "xoxb-…; reinstall the app to the workspace if it was removed)";

/** TOKEN_FIX in French (BRIDGE_LANGUAGE=fr), for chat. */
const TOKEN_FIX_FR =
  "réglez SLACK_BOT_TOKEN sur le Bot User OAuth Token de l'app (app Slack > OAuth & Permissions, " +
  "xoxb-… ; réinstallez l'app dans l'espace de travail si elle en a été retirée)";

const channelFix = (channel: string) =>
  `invite the bot to <#${channel}> (\`/invite @<the app>\` in the channel), or move its ` +
  `numbers to a channel the bot is in (\`ardary-bridge routes add <prefix> --slack <channel> --move\`)`;

const channelFixFr = (channel: string | undefined) =>
  `invitez le bot dans ${channel ? `<#${channel}>` : "le canal"} (\`/invite @<l'app>\` dans le canal), ` +
  "ou déplacez ses numéros vers un canal où se trouve le bot " +
  "(`ardary-bridge routes add <prefix> --slack <channel> --move`)";

/** Why Slack refuses a channel, in French. */
const CHANNEL_REFUSED_FR: Readonly<Record<string, string>> = {
  not_in_channel: "le bot n'est pas membre du canal",
  channel_not_found: "le canal est introuvable (supprimé, ou privé sans le bot)",
};

export interface SlackApiOptions {
  botToken: string;
  apiUrl?: string;
  pacing?: PacerOptions;
  /** Where the channels' post budgets live (shared by every process of the database). */
  budget: Budget;
}

export function createSlackApi(o: SlackApiOptions) {
  const client = new WebClient(o.botToken, {
    ...(o.apiUrl ? { slackApiUrl: o.apiUrl } : {}),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: 15_000,
    logLevel: LogLevel.ERROR,
  });
  // Slack: about 1 post per second per channel, short bursts allowed.
  const pacer = new ChannelPacer(o.budget, o.pacing ?? { burst: 4, perSecond: 1 });

  /** Runs one call naming `channel`; `post` takes a token of the channel's post pacing. */
  async function call<T>(
    channel: string,
    what: string,
    fn: (c: WebClient) => Promise<T>,
    post = false,
  ): Promise<T> {
    const blocked = pacer.blockedFor(channel, what);
    if (blocked > 0) throw new DeferredError(`Slack ${what}: ${channel} is rate limited`, blocked);
    if (post) {
      const wait = await pacer.takePost(channel);
      if (wait > 0) throw new DeferredError(`Slack ${what}: ${channel} paced`, wait);
    }
    try {
      return await fn(client);
    } catch (err) {
      const e = toAppError(err, what, channel);
      if (e instanceof DeferredError && e.retryAfterMs)
        await pacer.block(channel, e.retryAfterMs, what).catch(() => {});
      throw e;
    }
  }

  /** A call that names no channel (auth.test): Slack's answers as our errors, no pacing. */
  async function plain<T>(what: string, fn: (c: WebClient) => Promise<T>): Promise<T> {
    try {
      return await fn(client);
    } catch (err) {
      throw toAppError(err, what);
    }
  }

  return { client, pacer, call, plain };
}

function toAppError(err: unknown, what: string, channel?: string): Error {
  if (err instanceof AppError) return err;
  const e = err as { code?: string; retryAfter?: number; statusCode?: number };
  if (e?.code === ErrorCode.RateLimitedError) {
    const ms = Math.max(1, e.retryAfter ?? 1) * 1000;
    return new DeferredError(`Slack ${what}: rate limited`, ms);
  }
  const code = slackErrorCode(err);
  if (code && TOKEN_REFUSED.has(code)) {
    return new RefusedError({
      scope: "account",
      message: `Slack refuses the bot token (${code})`,
      fix: TOKEN_FIX,
      said: { fr: { reason: `Slack refuse le jeton du bot (${code})`, fix: TOKEN_FIX_FR } },
      cause: err,
    });
  }
  if (code && CHANNEL_REFUSED.has(code)) {
    return new RefusedError({
      scope: "channel",
      message: `Slack ${what}: ${code}${channel ? ` in ${channel}` : ""}`,
      fix: channelFix(channel ?? "the channel"),
      said: {
        fr: {
          reason: `${CHANNEL_REFUSED_FR[code] ?? code} (Slack ${what} : ${code})`,
          fix: channelFixFr(channel),
        },
      },
      channel,
      cause: err,
    });
  }
  if (code && GONE.has(code)) return new ThreadGoneError(`Slack ${what}: ${code}`, err);
  if (code === "ratelimited") {
    return new DeferredError(`Slack ${what}: rate limited`, 1000);
  }
  if (code === "missing_scope") {
    // Retried with back-off: the app's scopes may be fixed meanwhile.
    return new AppError(`slack_${code}`, `Slack ${what}: ${code} (check the app's scopes)`, {
      cause: err,
    });
  }
  if (code) {
    // Slack refused what we sent (invalid_blocks, msg_too_long…): trying again will not help.
    return new AppError(`slack_${code}`, `Slack ${what}: ${code}`, { status: 400, cause: err });
  }
  return new RetryableError(
    "slack_unreachable",
    `Slack ${what}: ${errorMessage(err)}`,
    undefined,
    err,
  );
}
