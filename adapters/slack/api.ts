// The worker's Slack Web API: a WebClient that never sleeps on a 429 (rejectRateLimitedCalls,
// no retries of its own), behind the per-channel pacer. Slack's answers become our errors:
// a rate limit → RetryableError at Retry-After; a channel, thread or message that is gone →
// ThreadGoneError (the delivery opens a new thread); a network or 5xx failure → RetryableError.
// Error codes: https://docs.slack.dev/reference/methods/chat.postMessage#errors
import { ErrorCode, LogLevel, WebClient } from "@slack/web-api";
import type { Budget } from "../../src/contracts/index.ts";
import {
  AppError,
  DeferredError,
  errorMessage,
  RetryableError,
  ThreadGoneError,
} from "../../src/kernel/errors.ts";
import { ChannelPacer, type PacerOptions } from "./pacer.ts";

/** Answers that mean the thread (or its channel, or our place in it) is gone for good. */
const GONE = new Set([
  "channel_not_found",
  "is_archived",
  "not_in_channel",
  "message_not_found",
  "thread_not_found",
  "cant_update_message",
]);

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
    const blocked = pacer.blockedFor(channel);
    if (blocked > 0) throw new DeferredError(`Slack ${what}: ${channel} is rate limited`, blocked);
    if (post) {
      const wait = await pacer.takePost(channel);
      if (wait > 0) throw new DeferredError(`Slack ${what}: ${channel} paced`, wait);
    }
    try {
      return await fn(client);
    } catch (err) {
      const e = toAppError(err, what);
      if (e instanceof DeferredError && e.retryAfterMs)
        await pacer.block(channel, e.retryAfterMs).catch(() => {});
      throw e;
    }
  }

  return { client, pacer, call };
}

/** Slack's error code of a refused call ("channel_not_found"), if it was one. */
export function slackErrorCode(err: unknown): string | undefined {
  const e = err as { code?: string; data?: { error?: string } };
  return e?.code === ErrorCode.PlatformError ? e.data?.error : undefined;
}

function toAppError(err: unknown, what: string): Error {
  if (err instanceof AppError) return err;
  const e = err as { code?: string; retryAfter?: number; statusCode?: number };
  if (e?.code === ErrorCode.RateLimitedError) {
    const ms = Math.max(1, e.retryAfter ?? 1) * 1000;
    return new DeferredError(`Slack ${what}: rate limited`, ms);
  }
  const code = slackErrorCode(err);
  if (code && GONE.has(code)) return new ThreadGoneError(`Slack ${what}: ${code}`, err);
  if (code === "ratelimited") {
    return new DeferredError(`Slack ${what}: rate limited`, 1000);
  }
  if (
    code === "invalid_auth" ||
    code === "not_authed" ||
    code === "token_revoked" ||
    code === "account_inactive" ||
    code === "missing_scope"
  ) {
    // Retried with back-off: the token or the app's scopes may be fixed meanwhile.
    return new AppError(
      `slack_${code}`,
      `Slack ${what}: ${code} (check SLACK_BOT_TOKEN and the app's scopes)`,
      { cause: err },
    );
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
