// The Ardary API client: sendSms and addContact (docs/ardary-api.md §1, §2) over undici.
// It sends the current request form and reads every documented answer form (answers.ts). SMS
// of different priorities or sender names never share a request (both are header fields).
import type { Dispatcher } from "undici";
import type { ContactInput, ContactResult, Priority } from "../../src/contracts/index.ts";
import { AppError } from "../../src/kernel/errors.ts";
import { type AnswerLogger, readContactAnswer, readSendAnswer } from "./answers.ts";
import { DEFAULT_TIMEZONE, formatArdaryDate } from "./dates.ts";
import { postJson } from "./http.ts";
import type { ArdarySms as OutboundSms, ArdarySendResult as SendResult } from "./types.ts";

export interface ArdaryClientOptions {
  /** API base URL, e.g. `https://www.ardary-sms.com/api`. */
  apiUrl: string;
  accessKey?: string;
  /** Ardary login (e-mail) the SMS are sent as. */
  login?: string;
  /** Alphanumeric sender shown on the handset, when an SMS names none; not sent when unset. */
  senderName?: string;
  /** `sender_mode`, sent with every `sender_name`. Default "1" (Ardary's examples). */
  senderMode?: string;
  /**
   * `addReply: 1` on every SMS sent under a sender name (default true): with an alphanumeric
   * sender a customer can answer only through Ardary's reply mechanism.
   */
  addReply?: boolean;
  /** `test`: Ardary answers but sends nothing; `prod`: it sends. */
  mode: "test" | "prod";
  /** IANA zone of Ardary's zone-less dates (`date_to_send`, answers). Default Europe/Paris. */
  timezone?: string;
  /** Deadline of one HTTP exchange, in ms. Default 15000. */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  /** Clock (ms since the epoch) used to read Retry-After HTTP-dates. Default Date.now. */
  now?: () => number;
  logger?: AnswerLogger;
}

export interface ArdaryClient {
  send(messages: OutboundSms[]): Promise<SendResult[]>;
  /**
   * Like `send`, one request per sender name and priority (both are header fields), each settled
   * on its own: a failed request does not hide the others' answers.
   */
  sendEach(
    messages: OutboundSms[],
  ): Promise<{ batch: OutboundSms[]; results?: SendResult[]; error?: unknown }[]>;
  addContacts(contacts: ContactInput[]): Promise<ContactResult[]>;
}

/** Ardary's `priority` header field: 0 low, 1 normal, 2 high. */
const PRIORITY: Record<Priority, number> = { low: 0, normal: 1, high: 2 };

export function createArdaryClient(options: ArdaryClientOptions): ArdaryClient {
  const timezone = options.timezone ?? DEFAULT_TIMEZONE;
  const post = {
    apiUrl: options.apiUrl,
    timeoutMs: options.timeoutMs ?? 15_000,
    dispatcher: options.dispatcher,
    now: options.now ?? Date.now,
  };

  function credentials(): { accesskey: string; login: string } {
    const { accessKey, login } = options;
    if (!accessKey || !login) {
      throw new AppError(
        "ardary_not_configured",
        "Ardary is not configured: set ARDARY_ACCESS_KEY and ARDARY_LOGIN (Ardary dashboard, " +
          "Parameters > API; the access key is mailed to the account owner)",
        { status: 503 },
      );
    }
    return { accesskey: accessKey, login };
  }

  /** The sender name an SMS goes out under: its own, else the account's default. */
  const senderOf = (m: OutboundSms) => m.sender ?? options.senderName;

  function message(m: OutboundSms): Record<string, string | number> {
    return {
      phonenumber: m.to,
      message: m.text,
      id_sms_api: m.idSmsApi,
      ...(m.link ? { url: m.link } : {}),
      ...(m.sendAt ? { date_to_send: formatArdaryDate(m.sendAt, timezone) } : {}),
      // Under a sender name the customer can answer only through Ardary's reply mechanism.
      ...(senderOf(m) && options.addReply !== false ? { addReply: 1 } : {}),
      ...(m.marketing ? { addStop: 1 } : {}),
    };
  }

  async function sendEach(messages: OutboundSms[]) {
    if (messages.length === 0) return [];
    const creds = credentials();
    const requests: { batch: OutboundSms[]; results?: SendResult[]; error?: unknown }[] = [];
    // The priority and the sender name are header fields: one request per priority present
    // (high first) and per sender name within it, in the order the senders come.
    const senders = [...new Set(messages.map(senderOf))];
    for (const priority of [2, 1, 0])
      for (const sender of senders) {
        const batch = messages.filter(
          (m) => PRIORITY[m.priority ?? "normal"] === priority && senderOf(m) === sender,
        );
        if (batch.length === 0) continue;
        const header = {
          ...creds,
          ...(sender ? { sender_name: sender, sender_mode: options.senderMode ?? "1" } : {}),
          priority,
          mode: options.mode,
        };
        try {
          const answer = await postJson(post, "sendSms", {
            header: [header],
            messages: batch.map(message),
          });
          requests.push({
            batch,
            results: readSendAnswer(answer, batch, timezone, options.logger),
          });
        } catch (error) {
          requests.push({ batch, error });
        }
      }
    return requests;
  }

  return {
    sendEach,

    /** All answers in input order; throws the first request's error, if any request failed. */
    async send(messages: OutboundSms[]): Promise<SendResult[]> {
      const byId = new Map<string, SendResult>();
      for (const r of await sendEach(messages)) {
        if (r.error !== undefined) throw r.error;
        for (const x of r.results ?? []) byId.set(x.idSmsApi, x);
      }
      return messages.flatMap((m) => byId.get(m.idSmsApi) ?? []);
    },

    async addContacts(contacts: ContactInput[]): Promise<ContactResult[]> {
      if (contacts.length === 0) return [];
      const answer = await postJson(post, "addContact", {
        header: [credentials()],
        contacts: contacts.map((c) => ({
          phonenumber: c.phone,
          ...(c.firstName ? { firstname: c.firstName } : {}),
          ...(c.lastName ? { lastname: c.lastName } : {}),
          ...(c.address ? { adress: c.address } : {}),
          ...(c.email ? { email: c.email } : {}),
        })),
      });
      return readContactAnswer(answer, contacts);
    },
  };
}
