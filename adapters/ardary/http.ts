// One JSON POST to the Ardary API over undici, with every transport failure turned into the
// errors of src/kernel/errors.ts: RetryableError when trying again later may work, AppError otherwise.
import { type Dispatcher, request } from "undici";
import { AppError, errorMessage, RefusedError, RetryableError } from "../../src/kernel/errors.ts";
import { httpRefusal } from "./codes.ts";

export interface PostOptions {
  /** Base URL of the API, e.g. `https://www.ardary-sms.com/api` (a trailing `/` is ignored). */
  apiUrl: string;
  /** Deadline for the whole exchange (connect, answer, body), in ms. */
  timeoutMs: number;
  dispatcher?: Dispatcher;
  /** Clock for Retry-After HTTP-dates, ms since the epoch. */
  now: () => number;
}

/**
 * Milliseconds to wait from a Retry-After header: delay-seconds or an HTTP-date
 * (RFC 9110 §10.2.3). Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  nowMs: number,
): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * POSTs `body` as JSON to `${apiUrl}/${endpoint}` and returns the parsed JSON answer of a 2xx.
 * Throws RetryableError on network error, timeout, 5xx, 429 (with `retryAfterMs`) and an
 * unreadable 2xx body; RefusedError (the account) on 401 and 403; a non-retryable AppError
 * (status 502) on any other HTTP status.
 * Error messages never carry the request or answer bodies.
 */
export async function postJson(
  options: PostOptions,
  endpoint: string,
  body: unknown,
): Promise<unknown> {
  const url = `${options.apiUrl.replace(/\/+$/, "")}/${endpoint}`;
  const what = `Ardary ${endpoint}`;
  const signal = AbortSignal.timeout(options.timeoutMs);
  let status: number;
  let headers: Record<string, string | string[] | undefined>;
  let text: string;
  try {
    const res = await request(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      dispatcher: options.dispatcher,
      signal,
    });
    status = res.statusCode;
    headers = res.headers;
    text = await res.body.text();
  } catch (err) {
    if (signal.aborted) {
      throw new RetryableError(
        "ardary_timeout",
        `${what}: no complete answer within ${options.timeoutMs} ms`,
        undefined,
        err,
      );
    }
    throw new RetryableError("ardary_unreachable", `${what}: ${errorMessage(err)}`, undefined, err);
  }

  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(headers["retry-after"], options.now());
    const code = status === 429 ? "ardary_rate_limited" : "ardary_unavailable";
    const wait = retryAfterMs === undefined ? "" : ` (retry after ${retryAfterMs} ms)`;
    throw new RetryableError(code, `${what} answered HTTP ${status}${wait}`, retryAfterMs);
  }
  if (status === 401 || status === 403) {
    // The credentials or the account, not this request: every SMS waits until a person fixes it.
    const refusal = httpRefusal(what, status);
    throw new RefusedError({ scope: "account", message: refusal.reason, ...refusal });
  }
  if (status < 200 || status >= 300) {
    throw new AppError("ardary_http_error", `${what} answered HTTP ${status}`, { status: 502 });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const type = String(headers["content-type"] ?? "no content-type");
    throw new RetryableError(
      "ardary_bad_answer",
      `${what} answered HTTP ${status} with a body that is not JSON (${text.length} chars, ${type})`,
      undefined,
      err,
    );
  }
}
