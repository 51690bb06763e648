// Reading Ardary's answers (docs/ardary-api.md §1, §2) in every documented form, and matching their
// entries to the messages or contacts of the request.
import { SegmentedMessage } from "sms-segments-calculator";
import { type ContactInput, type ContactResult, toE164 } from "../../src/contracts/index.ts";
import { RefusedError, RetryableError } from "../../src/kernel/errors.ts";
import {
  ACCOUNT_CODES,
  accountRefusal,
  describeContactCodes,
  describeSendCodes,
  normalizeCode,
} from "./codes.ts";
import { parseArdaryDate } from "./dates.ts";
import type { ArdarySms as OutboundSms, ArdarySendResult as SendResult } from "./types.ts";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** A non-negative integer from a number or a numeric string; undefined otherwise. */
function toCount(v: unknown): number | undefined {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Codes from `["#006"]`, `"#006"` or `"#006,#007"`; empty when there is no error. */
function toCodes(v: unknown): string[] {
  const list = Array.isArray(v) ? v : typeof v === "string" ? v.split(/[\s,;]+/) : [];
  return list.map((c) => normalizeCode(String(c))).filter((c) => c !== "");
}

function phoneOf(raw: Obj): string | undefined {
  const v = raw.phonenumber ?? raw.phone ?? raw.phone_number ?? raw.tel;
  return typeof v === "string" || typeof v === "number"
    ? (toE164(String(v)) ?? undefined)
    : undefined;
}

/** SMS count of a body, as Ardary would bill it, for messages the answer does not describe. */
export function localSegments(text: string): number {
  return Math.max(1, new SegmentedMessage(text).segmentsCount);
}

interface Entry {
  index: number;
  id?: string;
  phone?: string;
  codes: string[];
  raw: Obj;
}

/** Places each entry on one item: by id, then phone number, then position. */
function match<T>(
  entries: Entry[],
  items: T[],
  idOf: (item: T) => string | undefined,
  phoneOfItem: (item: T) => string,
): { matched: (Entry | undefined)[]; unplaced: Entry[] } {
  const matched: (Entry | undefined)[] = items.map(() => undefined);
  const free = (i: number) => i >= 0 && matched[i] === undefined;
  let rest: Entry[] = [];
  for (const e of entries) {
    const i = e.id === undefined ? -1 : items.findIndex((it, k) => free(k) && idOf(it) === e.id);
    if (i >= 0) matched[i] = e;
    else rest.push(e);
  }
  const afterPhone: Entry[] = [];
  for (const e of rest) {
    const i = items.findIndex(
      (it, k) => free(k) && e.phone !== undefined && toE164(phoneOfItem(it)) === e.phone,
    );
    if (i >= 0) matched[i] = e;
    else afterPhone.push(e);
  }
  rest = [];
  for (const e of afterPhone) {
    if (entries.length === items.length && free(e.index)) matched[e.index] = e;
    else rest.push(e);
  }
  return { matched, unplaced: rest };
}

/** Minimal logger: never given message bodies, phone numbers or secrets. */
export interface AnswerLogger {
  warn(obj: object, msg: string): void;
}

function badAnswer(endpoint: string, why: string): RetryableError {
  return new RetryableError("ardary_bad_answer", `Ardary ${endpoint} answered ${why}`);
}

/**
 * Reads a sendSms answer: `{data:[…]}`, `{data:[…], count_sent}`, `{data:{data:[…], envoi}}`,
 * success entries (`sms_per_message|count_sms`, `sent_time|send_time`) and error entries
 * (`error: [codes] | "code"`), mixed or not. A message the answer does not list was sent (an
 * error answer lists only the failing ones); its segments are then counted locally.
 * Throws RefusedError (the account) when nothing was sent because of #001/#002.
 */
export function readSendAnswer(
  answer: unknown,
  batch: OutboundSms[],
  timezone: string,
  logger?: AnswerLogger,
): SendResult[] {
  let list: unknown[] | undefined;
  let countSent: number | undefined;
  if (Array.isArray(answer)) list = answer;
  else if (isObj(answer)) {
    countSent = toCount(answer.count_sent ?? answer.envoi);
    const data = answer.data;
    if (Array.isArray(data)) list = data;
    else if (isObj(data) && Array.isArray(data.data)) {
      list = data.data;
      countSent ??= toCount(data.envoi ?? data.count_sent);
    } else if (isObj(data) && ("id_sms_api" in data || "error" in data)) list = [data];
    else if (data === undefined && "error" in answer) list = [answer];
  }
  if (!list) throw badAnswer("sendSms", "JSON without a `data` list");

  const entries: Entry[] = list.filter(isObj).map((raw, index) => {
    const id = raw.id_sms_api;
    return {
      index,
      id: typeof id === "string" || typeof id === "number" ? String(id) : undefined,
      phone: phoneOf(raw),
      codes: toCodes(raw.error ?? raw.errors),
      raw,
    };
  });
  const { matched, unplaced } = match(
    entries,
    batch,
    (m) => m.idSmsApi,
    (m) => m.to,
  );
  // An error that names no message, in an answer saying nothing was sent, is for all of them.
  const general = unplaced.find((e) => e.codes.length > 0 && e.id === undefined && !e.phone);
  if (general && countSent === 0) {
    for (const [i, e] of matched.entries()) if (!e) matched[i] = general;
  } else if (unplaced.length > 0) {
    logger?.warn({ unplaced: unplaced.length }, "Ardary sendSms answer has unmatched entries");
  }

  const results: SendResult[] = batch.map((m, i) => {
    const e = matched[i];
    if (e && e.codes.length > 0) {
      return {
        idSmsApi: m.idSmsApi,
        ok: false,
        codes: e.codes,
        reason: describeSendCodes(e.codes),
      };
    }
    const segments = toCount(e?.raw.sms_per_message ?? e?.raw.count_sms);
    const time = e?.raw.sent_time ?? e?.raw.send_time;
    const sentAt = typeof time === "string" ? parseArdaryDate(time, timezone) : null;
    return {
      idSmsApi: m.idSmsApi,
      ok: true,
      segments: segments && segments > 0 ? segments : localSegments(m.text),
      ...(sentAt ? { sentAt } : {}),
    };
  });

  const failed = results.filter((r) => !r.ok);
  if (failed.length === results.length) {
    const codes = failed.flatMap((r) => (r.ok ? [] : r.codes));
    const code = ACCOUNT_CODES.find((c) => codes.includes(c));
    if (code) {
      // The account, not these SMS: every SMS waits until a person fixes it.
      const refusal = accountRefusal([code]);
      throw new RefusedError({ scope: "account", message: refusal.reason, ...refusal });
    }
  }
  const okCount = results.length - failed.length;
  if (countSent !== undefined && countSent !== okCount) {
    logger?.warn({ countSent, okCount }, "Ardary sendSms count_sent disagrees with its entries");
  }
  return results;
}

/**
 * Reads an addContact answer `{data:{contact:[{…contact, result, errors}]}}` (also `contacts`,
 * or the list directly under `data`). A contact the answer does not mention is a failure.
 */
export function readContactAnswer(answer: unknown, contacts: ContactInput[]): ContactResult[] {
  const data = isObj(answer) ? answer.data : undefined;
  const list = Array.isArray(data)
    ? data
    : isObj(data)
      ? (data.contact ?? data.contacts)
      : isObj(answer)
        ? (answer.contact ?? answer.contacts)
        : undefined;
  if (!Array.isArray(list)) throw badAnswer("addContact", "JSON without a `contact` list");
  const entries: Entry[] = list.filter(isObj).map((raw, index) => ({
    index,
    phone: phoneOf(raw),
    codes: toCodes(raw.errors ?? raw.error),
    raw,
  }));
  const { matched } = match(
    entries,
    contacts,
    () => undefined,
    (c) => c.phone,
  );
  return contacts.map((c, i) => {
    const e = matched[i];
    if (!e) {
      return { phone: c.phone, ok: false, codes: [], reason: "not in Ardary's answer" };
    }
    const result = String(e.raw.result ?? "").toLowerCase();
    if (result === "success" && e.codes.length === 0) return { phone: c.phone, ok: true };
    return { phone: c.phone, ok: false, codes: e.codes, reason: describeContactCodes(e.codes) };
  });
}
