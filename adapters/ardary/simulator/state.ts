// The simulator's memory and its reading of sendSms / addContact requests, as the contract
// describes them (docs/ardary-api.md §1, §2). No HTTP here: http.ts serves it.
import { randomBytes, randomInt } from "node:crypto";
import { toE164 } from "../../../src/contracts/index.ts";
import { localSegments } from "../answers.ts";
import { parseArdaryDate } from "../dates.ts";
import { senderProblem } from "../sender.ts";

export type CallbackKind = "status" | "message" | "click" | "call";

/** One sendSms / addContact request as received (faulted ones included). */
export interface SimRequest {
  endpoint: "sendSms" | "addContact";
  /** Parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  at: Date;
  /** The injected fault that answered it, if any. */
  fault?: "status" | "delay" | "drop" | "answer";
  /**
   * What the simulator found wrong with the fields sent (a sender name Ardary refuses, a
   * `sender_mode` without a name, an `addReply`/`addStop` other than 0 or 1): its SMS failed
   * with #009.
   */
  problems?: string[];
}

/** One SMS the simulator accepted (test mode included: see `mode`). */
export interface SimSms {
  id_sms_api: string;
  /** E.164. */
  phonenumber: string;
  /** The text as the handset gets it (`[Link]` replaced by the short link). */
  message: string;
  /** The tracked link's target, and the short link standing for it. */
  url?: string;
  shortLink?: string;
  mode: "test" | "prod";
  priority: number;
  /** `date_to_send`, when given. */
  sendAt?: Date;
  /** The request header's `sender_name` and `sender_mode`, when given. */
  senderName?: string;
  senderMode?: string;
  /** `addReply: 1`: Ardary's reply mechanism (a customer can answer a sender name). */
  addReply: boolean;
  /** `addStop: 1`: Ardary appends its STOP notice (a marketing SMS). */
  addStop: boolean;
  /** When the request was accepted. */
  at: Date;
}

export interface SimContact {
  phonenumber: string;
  firstname?: string;
  lastname?: string;
  adress?: string;
  email?: string;
}

/** One attempt at one callback. `httpStatus` is the bridge's answer, null on network error. */
export interface SimCallback {
  kind: CallbackKind;
  payload: Record<string, unknown>;
  url: string;
  attempt: number;
  httpStatus: number | null;
  error?: string;
  at: Date;
}

/**
 * Fault injection for the API endpoints. Each applies to the next `count` requests (default 1)
 * or, with `untilMs`, to every request during that many ms from now; `skip` lets that many
 * requests pass first (to fail the second request of a batch).
 * - `status`: answer that HTTP status (with `Retry-After: retryAfterSec` when given); not processed.
 *   401 and 403 are an account refused at the HTTP level (the credentials, the account).
 * - `delayMs`: answer normally after that many ms (the request is processed even if the caller gave up).
 * - `drop`: destroy the socket without answering; not processed.
 * - `answer`: answer this body (a string is sent as is, anything else as JSON) with `httpStatus` (200).
 */
export type SimFault = { count?: number; untilMs?: number; skip?: number } & (
  | { status: 500 | 503 | 429 | 401 | 403; retryAfterSec?: number }
  | { delayMs: number }
  | { drop: true }
  | { answer: unknown; httpStatus?: number }
);

export interface SimStateOptions {
  accessKey: string;
  login: string;
  forbiddenWords: string[];
  optedOut: string[];
  legacyAnswers: boolean;
  timezone: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;

export interface SendOutcome {
  answer: unknown;
  accepted: SimSms[];
  /** What was wrong with the fields sent (see SimRequest.problems). */
  problems: string[];
}

/** `addReply` / `addStop`: absent (false), or 0 or 1 (a number or its string). */
function flag(value: unknown, name: string, problems: string[]): boolean {
  if (value === undefined) return false;
  if (value === 1 || value === "1") return true;
  if (value === 0 || value === "0") return false;
  problems.push(`${name} must be 0 or 1, not ${JSON.stringify(value)}`);
  return false;
}

export class SimulatorState {
  readonly requests: SimRequest[] = [];
  readonly sent: SimSms[] = [];
  readonly callbacks: SimCallback[] = [];
  readonly contacts: SimContact[] = [];
  /** Short-link code → the SMS it was made for. */
  readonly links = new Map<string, SimSms>();
  /** Base URL of the server (for short links), set once it listens. */
  baseUrl = "";
  private readonly optedOut = new Set<string>();
  private faults: { fault: SimFault; left: number; until: number; skip: number }[] = [];

  /** False: the account is not activated yet, every SMS is refused with #002. */
  private active = true;

  constructor(private readonly options: SimStateOptions) {
    for (const p of options.optedOut) this.optOut(p);
  }

  /**
   * The account changes as the dashboard would change it: other credentials (the bridge's are
   * then refused with #001), or the account deactivated (#002) and activated again.
   */
  setAccount(change: { accessKey?: string; login?: string; active?: boolean }): void {
    if (change.accessKey !== undefined) this.options.accessKey = change.accessKey;
    if (change.login !== undefined) this.options.login = change.login;
    if (change.active !== undefined) this.active = change.active;
  }

  optOut(phone: string): void {
    this.optedOut.add(toE164(phone) ?? phone);
  }

  addFault(fault: SimFault): void {
    const until =
      fault.untilMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + fault.untilMs;
    const left = fault.count ?? (fault.untilMs === undefined ? 1 : Number.POSITIVE_INFINITY);
    this.faults.push({ fault, left, until, skip: fault.skip ?? 0 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** The fault that answers the current request, if any (consumes one of its `count`). */
  takeFault(): SimFault | undefined {
    const now = Date.now();
    this.faults = this.faults.filter((f) => f.left > 0 && f.until > now);
    const first = this.faults[0];
    if (first && first.skip > 0) {
      first.skip -= 1;
      return undefined;
    }
    if (first) first.left -= 1;
    return first?.fault;
  }

  private authorized(header: unknown): boolean {
    const h = Array.isArray(header) ? header[0] : header;
    if (!isObj(h)) return false;
    return (
      (h.accesskey ?? h.accessKey) === this.options.accessKey && h.login === this.options.login
    );
  }

  /** Codes for one message; empty when it is accepted. */
  private check(raw: Obj, text: string | undefined, phone: string | null, date: unknown): string[] {
    const codes: string[] = [];
    if (!text?.trim()) codes.push("#006");
    if (!phone) codes.push("#007");
    else if (this.optedOut.has(phone)) codes.push("#003");
    const lower = text?.toLowerCase() ?? "";
    if (this.options.forbiddenWords.some((w) => lower.includes(w.toLowerCase())))
      codes.push("#004");
    if (date !== undefined && !parseArdaryDate(String(date), this.options.timezone))
      codes.push("#009");
    if (raw.url !== undefined && typeof raw.url !== "string") codes.push("#009");
    return codes;
  }

  /** Reads a sendSms body; answers per the contract, in the current or the legacy form. */
  sendSms(body: unknown): SendOutcome {
    const b = isObj(body) ? body : {};
    const header = (Array.isArray(b.header) ? b.header[0] : b.header) as unknown;
    const h = isObj(header) ? header : {};
    const auth = this.authorized(b.header);
    const mode = h.mode === "test" ? "test" : "prod";
    const priority = Number(h.priority ?? 1);
    const senderName = str(h.sender_name);
    const senderMode = str(h.sender_mode);
    // The request's fields as Ardary reads them: a sender name by the operators' rule, its mode
    // only with it.
    const problems: string[] = [];
    if (senderName !== undefined) {
      const problem = senderProblem(senderName);
      if (problem) problems.push(`sender_name: ${problem}`);
    }
    if (senderMode !== undefined && senderName === undefined)
      problems.push("sender_mode is given without sender_name");
    if (senderMode !== undefined && !/^\d+$/.test(senderMode))
      problems.push(`sender_mode must be a number, not ${JSON.stringify(senderMode)}`);
    const list = Array.isArray(b.messages) ? b.messages : [];
    const at = new Date();
    const accepted: SimSms[] = [];
    const failures: { id_sms_api?: string; error: string[] }[] = [];
    const successes: Obj[] = [];
    if (list.length === 0) failures.push({ error: [auth ? "#006" : "#001"] });
    for (const item of list) {
      const raw = isObj(item) ? item : {};
      const id = str(raw.id_sms_api) ?? String(randomInt(1e13, 1e14));
      const text = str(raw.message ?? raw.sms);
      const given = str(raw.phonenumber ?? raw.phone_number ?? raw.tel) ?? "";
      const phone = /^\+?[\d\s.()-]+$/.test(given) ? toE164(given) : null;
      const date = raw.date_to_send ?? h.date_to_send;
      const wrong = [...problems];
      const addReply = flag(raw.addReply, "addReply", wrong);
      const addStop = flag(raw.addStop, "addStop", wrong);
      const codes = !auth
        ? ["#001"]
        : !this.active
          ? ["#002"]
          : wrong.length > 0
            ? ["#009"]
            : this.check(raw, text, phone, date);
      for (const p of wrong) if (!problems.includes(p)) problems.push(p);
      if (codes.length > 0 || !phone || text === undefined) {
        failures.push({ id_sms_api: id, error: codes });
        continue;
      }
      const sms: SimSms = {
        id_sms_api: id,
        phonenumber: phone,
        message: text,
        mode,
        priority,
        addReply,
        addStop,
        at,
        ...(senderName !== undefined ? { senderName } : {}),
        ...(senderMode !== undefined ? { senderMode } : {}),
      };
      if (typeof raw.url === "string") {
        const code = randomBytes(6).toString("base64url");
        sms.url = raw.url;
        sms.shortLink = `${this.baseUrl}/l/${code}`;
        sms.message = text.replaceAll("[Link]", sms.shortLink);
        this.links.set(code, sms);
      }
      if (date !== undefined)
        sms.sendAt = parseArdaryDate(String(date), this.options.timezone) ?? at;
      accepted.push(sms);
      this.sent.push(sms);
      successes.push(this.successEntry(sms, given));
    }
    if (failures.length === 0) return { answer: { data: successes }, accepted, problems };
    const answer = this.options.legacyAnswers
      ? { data: { data: failures, envoi: accepted.length } }
      : { data: failures, count_sent: accepted.length };
    return { answer, accepted, problems };
  }

  private successEntry(sms: SimSms, given: string): Obj {
    const segments = localSegments(sms.message);
    const time = sms.at.toISOString();
    return this.options.legacyAnswers
      ? {
          id_sms_api: sms.id_sms_api,
          count_sms: segments,
          send_time: time,
          phone: given,
          sms: sms.message,
          user: this.options.login,
        }
      : {
          id_sms_api: sms.id_sms_api,
          sms_per_message: segments,
          sent_time: time,
          phonenumber: given,
          message: sms.message,
        };
  }

  /** Reads an addContact body. Null when the credentials are wrong (the caller answers 401). */
  addContact(body: unknown): unknown | null {
    const b = isObj(body) ? body : {};
    if (!this.authorized(b.header)) return null;
    const list = Array.isArray(b.contacts) ? b.contacts : [];
    const contact = list.map((item) => {
      const raw = isObj(item) ? item : {};
      const given = str(raw.phonenumber);
      const phone = given ? toE164(given) : null;
      const email = str(raw.email);
      const errors: string[] = [];
      if (given === undefined) errors.push("#003");
      else if (given.trim() === "") errors.push("#002");
      else if (!phone) errors.push("#001");
      if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) errors.push("#004");
      if (errors.length > 0) return { ...raw, result: "failed", errors };
      const saved: SimContact = { phonenumber: phone ?? "" };
      for (const k of ["firstname", "lastname", "adress", "email"] as const) {
        const v = str(raw[k]);
        if (v) saved[k] = v;
      }
      const index = this.contacts.findIndex((c) => c.phonenumber === saved.phonenumber);
      if (index >= 0) this.contacts[index] = saved;
      else this.contacts.push(saved);
      return { ...raw, result: "success" };
    });
    return { data: { contact } };
  }
}
