// What the core asks of an SMS provider (SmsProvider) and what comes back: one outcome per SMS,
// and the events its callbacks mean. The core speaks of `ref`, never of the provider's fields.
import type { RefusalWords } from "../kernel/errors.ts";
import type { Obj, Priority } from "./domain.ts";
import type { Language } from "./i18n/index.ts";
import type { SetupContext, SetupLine } from "./setup.ts";

/** One SMS to send. `ref` is ours, unique, and the same on every retry of this SMS. */
export interface OutboundSms {
  ref: string;
  /** E.164 recipient. */
  to: string;
  /** The text; `linkPlaceholder` marks where `link` goes. */
  text: string;
  /** A link to track: the provider shortens it and puts it where the placeholder stands. */
  link?: string;
  /** When to send; absent means now. */
  sendAt?: Date;
  priority?: Priority;
  /**
   * A marketing SMS: the provider adds its opt-out (STOP) notice. The core has already held it
   * to the hours marketing SMS may leave (src/replies/marketing.ts).
   */
  marketing?: boolean;
  /**
   * The sender name the handset shows (a route's, or the provider's `defaultSender`); absent:
   * the provider's own. SMS of different senders may need separate requests.
   */
  sender?: string;
}

/** What became of one SMS of a request. */
export type SendOutcome =
  | { ref: string; outcome: "accepted"; segments: number }
  | {
      ref: string;
      outcome: "refused";
      /** True when sending it again can never succeed. */
      permanent: boolean;
      /** True when the provider refused because the recipient opted out. */
      optedOut: boolean;
      /** In words, with the provider's codes. */
      reason: string;
      codes: string[];
    }
  /** The request failed before the provider decided (5xx, 429, network): send it again. */
  | { ref: string; outcome: "retry"; reason: string; retryAfterMs?: number }
  /**
   * The provider refused the account, not this SMS (credentials rejected, account not activated,
   * an HTTP 401/403): no SMS can go until a person fixes `fix`. The core holds every SMS (a wait,
   * not a failure: src/flows/degraded.ts), says it once, and sends them by itself once a try,
   * every minute, is accepted.
   */
  | {
      ref: string;
      outcome: "account-refused";
      reason: string;
      fix: string;
      /** `reason` and `fix` in the bridge's other languages, for chat. */
      said?: RefusalWords;
    }
  /** The request may or may not have been accepted (timed out after being written). */
  | { ref: string; outcome: "unknown"; reason: string };

export interface ContactInput {
  /** E.164. */
  phone: string;
  firstName?: string;
  lastName?: string;
  address?: string;
  email?: string;
}

export type ContactResult =
  | { phone: string; ok: true }
  | { phone: string; ok: false; codes: string[]; reason: string };

/** What a provider callback means. Dates are absolute instants. */
export type SmsEvent = (
  | { kind: "inbound-sms"; from: string; text: string; at: Date }
  | { kind: "status"; ref: string; phone: string; status: "sent" | "received"; at: Date }
  | { kind: "click"; ref: string | null; phone: string; link: string; at: Date }
  | { kind: "call"; phone: string; at: Date }
  | { kind: "ignored"; reason: string }
) &
  Adjusted;

/** What the adapter had to change so the event can be stored (never a body or a number). */
export interface Adjusted {
  /** For the logs: e.g. "date out of range: receipt time used". */
  note?: string;
  /** The provider's date as given, when it could not be used and `at` is the receipt time. */
  givenAt?: string;
}

export interface SegmentCount {
  segments: number;
  /** "GSM-7" or "UCS-2" (Unicode). */
  encoding: string;
  /** The first character that made the SMS Unicode, when it is. */
  unicodeBecause?: string;
}

export interface SmsProvider {
  /**
   * Sends SMS in one request where possible; one outcome per message, in the same order.
   * Never throws for an answer of the provider's: failures are outcomes.
   */
  send(messages: OutboundSms[]): Promise<SendOutcome[]>;
  addContacts(contacts: ContactInput[]): Promise<ContactResult[]>;
  /**
   * Turns a callback's parameters (GET query, or a POSTed form/JSON body) into an event.
   * Throws BadRequestError with a reason when the payload is malformed.
   */
  parseCallback(params: Obj): SmsEvent;
  /** How many SMS a text costs, and in which encoding. */
  countSegments(text: string): SegmentCount;
  /** A date a person typed ("2026-12-01 09:00", ISO-8601) in the account's zone; null if none. */
  parseLocalDate(value: string): Date | null;
  /** Marks where a tracked link goes in a text (added at the end when absent). */
  readonly linkPlaceholder: string;
  /** When the core should hand a scheduled SMS over, at the latest, before its time (ms). */
  readonly scheduleLeadMs?: number;
  /**
   * Optional: lines for the setup page and `doctor` that call the provider (through
   * `ctx.remote`: at most once a minute); the configuration's own lines are the descriptor's.
   */
  setupChecks?(ctx: SetupContext): Promise<SetupLine[]>;
  /** The sender name an SMS goes out under when it names none (the account's); absent: none. */
  readonly defaultSender?: string;
  /**
   * Why the provider would refuse `name` as a sender name, its rule in words, in `language`
   * (English when absent: the command line's); undefined when it takes it. Absent: the provider
   * takes no sender names.
   */
  senderProblem?(name: string, language?: Language): string | undefined;
  /**
   * A refused SMS's codes in words in one of the bridge's languages (BRIDGE_LANGUAGE), for the
   * thread: `#007 numéro de téléphone invalide`. Absent: the thread shows the outcome's reason.
   */
  describeCodes?(codes: readonly string[], language: Language): string;
}
