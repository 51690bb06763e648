// The Ardary SmsProvider: the core's SMS and outcomes mapped onto the client (client.ts), the
// callback reader (parse.ts), segment counting and Ardary's local dates (docs/ardary-api.md).
import type { SendOutcome, SmsProvider } from "../../src/contracts/index.ts";
import { AppError, errorMessage, RefusedError } from "../../src/kernel/errors.ts";
import { type ArdaryClientOptions, createArdaryClient } from "./client.ts";
import { ACCOUNT_CODES, accountRefusal, describeSendCodes } from "./codes.ts";
import { DEFAULT_TIMEZONE, parseArdaryDate } from "./dates.ts";
import { parseCallback } from "./parse.ts";
import { countSegments } from "./segments.ts";
import { senderProblem } from "./sender.ts";

export type { ArdaryClientOptions } from "./client.ts";

export interface ArdaryProviderOptions extends ArdaryClientOptions {
  /** IANA zone of Ardary's zone-less dates, for requests and callbacks. Default Europe/Paris. */
  timezone?: string;
}

/** Where Ardary puts its short link in a text (docs/ardary-api.md §1, `url`). */
const LINK = "[Link]";
/** A recipient who opted out (sendSms #003). */
const OPTED_OUT = "#003";

/** "YYYY-MM-DD HH:mm[:ss]" in the account's zone, or ISO-8601 with a zone. */
export function parseLocalDate(value: string, timezone: string): Date | null {
  const v = value.trim();
  return parseArdaryDate(/^\d{4}-\d\d-\d\d \d\d:\d\d$/.test(v) ? `${v}:00` : v, timezone);
}

/** The connection broke once the request may have been written (not a refused connect). */
function lostAfterWrite(err: AppError): boolean {
  if (err.code !== "ardary_unreachable") return false;
  const code = (err.cause as { code?: string } | undefined)?.code;
  return code === "UND_ERR_SOCKET" || code === "ECONNRESET" || code === "EPIPE";
}

/** A request that failed as a whole, as the outcome of each SMS it carried. */
function outcomeOfError(ref: string, err: unknown): SendOutcome {
  const reason = errorMessage(err);
  if (err instanceof RefusedError)
    return { ref, outcome: "account-refused", reason, fix: err.fix, said: err.said };
  if (err instanceof AppError && (err.code === "ardary_timeout" || lostAfterWrite(err)))
    return { ref, outcome: "unknown", reason };
  if (err instanceof AppError && err.retryable)
    return { ref, outcome: "retry", reason, retryAfterMs: err.retryAfterMs };
  return { ref, outcome: "refused", permanent: true, optedOut: false, codes: [], reason };
}

export function createArdaryProvider(options: ArdaryProviderOptions): SmsProvider {
  const timezone = options.timezone ?? DEFAULT_TIMEZONE;
  const client = createArdaryClient({ ...options, timezone });
  return {
    linkPlaceholder: LINK,
    defaultSender: options.senderName,
    senderProblem,
    async send(messages) {
      const requests = await client.sendEach(messages.map((m) => ({ ...m, idSmsApi: m.ref })));
      const byRef = new Map<string, SendOutcome>();
      for (const r of requests) {
        for (const [i, m] of r.batch.entries()) {
          const x = r.results?.[i];
          byRef.set(
            m.idSmsApi,
            r.error !== undefined || !x
              ? outcomeOfError(m.idSmsApi, r.error ?? new Error("no answer for this SMS"))
              : x.ok
                ? { ref: m.idSmsApi, outcome: "accepted", segments: x.segments }
                : x.codes.some((c) => ACCOUNT_CODES.includes(c))
                  ? {
                      // The account, not this SMS (#001, #002): it waits, it is not refused.
                      ref: m.idSmsApi,
                      outcome: "account-refused",
                      ...accountRefusal(x.codes.filter((c) => ACCOUNT_CODES.includes(c))),
                    }
                  : {
                      ref: m.idSmsApi,
                      outcome: "refused",
                      permanent: true,
                      optedOut: x.codes.includes(OPTED_OUT),
                      codes: x.codes,
                      reason: x.reason,
                    },
          );
        }
      }
      return messages.map(
        (m) => byRef.get(m.ref) ?? outcomeOfError(m.ref, new Error("no answer for this SMS")),
      );
    },
    addContacts: (contacts) => client.addContacts(contacts),
    parseCallback: (params) => parseCallback(params, timezone),
    describeCodes: (codes, language) => describeSendCodes(codes, language),
    countSegments,
    parseLocalDate: (value) => parseLocalDate(value, timezone),
  };
}
