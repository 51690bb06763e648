// Shared pieces of the fake Slack's Web API: how an answer looks (HTTP 200 {ok:false,error}
// for every refusal, as Slack does), parameter reading, and the channel checks.

import type { SlackState } from "./slack-state.ts";

export type Params = Record<string, unknown>;

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
  /** Seconds, sent as the Retry-After header on a 429. */
  retryAfter?: number;
}

export interface ApiConfig {
  botToken: string;
  /**
   * What chat.postMessage does when thread_ts names a message that no longer exists.
   * "unthread" is what real Slack does: ok:true, the reply posted top-level, and the
   * answer's `message` has no thread_ts. "thread_not_found" refuses it instead.
   */
  missingThread: "unthread" | "thread_not_found";
  /**
   * The bot token refused with this error (token_revoked, account_inactive, invalid_auth), as
   * Slack answers every method called with a revoked token or from a deactivated account:
   * HTTP 200 {ok:false,error}. Undefined: the token works.
   */
  refused?: string;
}

export interface Call {
  state: SlackState;
  config: ApiConfig;
  params: Params;
}

export type Handler = (call: Call) => ApiAnswer;

export const ok = (body: Record<string, unknown> = {}): ApiAnswer => ({
  status: 200,
  body: { ok: true, ...body },
});
export const fail = (error: string, extra: Record<string, unknown> = {}): ApiAnswer => ({
  status: 200,
  body: { ok: false, error, ...extra },
});

/** A string parameter (form bodies carry strings, JSON bodies may carry numbers). */
export function str(value: unknown): string | undefined {
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number") return String(value);
  return undefined;
}

export function bool(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  return value === true || value === "true" || value === "1" || value === 1;
}

/** A refusal for this channel, or undefined. `need`: what the call requires of it. */
export function channelProblem(
  state: SlackState,
  id: string | undefined,
  need: "exists" | "active" | "member",
): ApiAnswer | undefined {
  const channel = id === undefined ? undefined : state.channels.get(id);
  if (!channel || channel.deleted) return fail("channel_not_found");
  if (need !== "exists" && channel.archived) return fail("is_archived");
  if (need === "member" && !channel.member) return fail("not_in_channel");
  return undefined;
}

/** text and blocks from the parameters, or the refusal Slack gives them. */
