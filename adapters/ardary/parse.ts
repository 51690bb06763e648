// Ardary callbacks (docs/ardary-api.md §3) → SmsEvent. The name of the one JSON-valued parameter
// tells the event: `status`, `message`, `click` or `call`. Reasons name the parameter and the
// field, never the message body or the phone number.
import { z } from "zod";
import { type Adjusted, type SmsEvent, toE164 } from "../../src/contracts/index.ts";
import { BadRequestError } from "../../src/kernel/errors.ts";
import { DEFAULT_TIMEZONE, parseArdaryDate } from "./dates.ts";

const text = z.string();
const id = z.union([z.string().min(1), z.number()]).transform(String);

// Field names of the current pages; older aliases are folded in by `aliases` first.
const schemas = {
  status: z.object({
    user: text.optional(),
    phonenumber: text,
    status: text,
    date_status: text,
    id_sms_api: id,
  }),
  message: z.object({ title: text.optional(), from: text, body: text, date: text }),
  click: z.object({
    title: text.optional(),
    phonenumber: text,
    link: text,
    date: text,
    id_sms_api: id.nullish(),
  }),
  call: z.object({ title: text.optional(), phonenumber: text, call_date: text }),
} as const;

type Param = keyof typeof schemas;
const PARAMS = Object.keys(schemas) as Param[];

/** Older spellings → current field names, per event (only filled when the current is absent). */
const ALIASES: Record<Param, Record<string, string[]>> = {
  status: { phonenumber: ["phone_number", "phone", "tel"] },
  message: { from: ["phonenumber", "phone"], body: ["sms", "message", "text"] },
  click: { phonenumber: ["phone_number", "phone", "tel"], link: ["url"] },
  call: { phonenumber: ["phone_number", "phone", "tel", "from"], call_date: ["date"] },
};

function aliases(param: Param, payload: Record<string, unknown>): Record<string, unknown> {
  const out = { ...payload };
  for (const [field, olds] of Object.entries(ALIASES[param])) {
    if (out[field] !== undefined) continue;
    const old = olds.find((o) => out[o] !== undefined);
    if (old) out[field] = out[old];
  }
  return out;
}

function decode(param: Param, raw: unknown): Record<string, unknown> {
  let value = raw;
  if (Array.isArray(value)) {
    if (value.length !== 1)
      throw new BadRequestError(`callback "${param}" is given more than once`);
    value = value[0];
  }
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      // Not the parser's message as cause: it quotes the value (a phone number) into the logs.
      throw new BadRequestError(`callback "${param}" is not valid JSON`);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequestError(`callback "${param}" is not a JSON object`);
  }
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) clean[k] = typeof v === "string" ? storable(v) : v;
  return aliases(param, clean);
}

const LONE_SURROGATE_OR_NUL =
  /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text as Postgres can hold it: NUL (which no text or jsonb value may contain) and lone UTF-16
 * surrogates (which jsonb refuses) become U+FFFD, the visible replacement character.
 */
export function storable(text: string): string {
  return text.replace(LONE_SURROGATE_OR_NUL, "\uFFFD");
}

function validate<P extends Param>(
  param: P,
  payload: Record<string, unknown>,
): z.infer<(typeof schemas)[P]> {
  const parsed = schemas[param].safeParse(payload);
  if (parsed.success) return parsed.data as z.infer<(typeof schemas)[P]>;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join(".") || "?";
  const problem = payload[field] === undefined ? "is missing" : "is invalid";
  throw new BadRequestError(`callback "${param}": field "${field}" ${problem}`, parsed.error);
}

function phone(param: Param, field: string, value: string): string {
  const e164 = toE164(value);
  if (!e164)
    throw new BadRequestError(`callback "${param}": field "${field}" is not a valid phone number`);
  return e164;
}

/** Instants Postgres can store and read back (years 1 to 9999). */
const EARLIEST = Date.parse("0001-01-01T00:00:00Z");
const LATEST = Date.parse("9999-12-31T23:59:59.999Z");

/** The event's date; one outside what Postgres can store becomes the receipt time, noted. */
function date(
  param: Param,
  field: string,
  value: string,
  timezone: string,
): { at: Date } & Adjusted {
  const at = parseArdaryDate(value, timezone);
  if (!at) throw new BadRequestError(`callback "${param}": field "${field}" is not a date`);
  if (at.getTime() >= EARLIEST && at.getTime() <= LATEST) return { at };
  // The value matched a date form, so it is digits and separators only.
  return {
    at: new Date(),
    givenAt: value.trim(),
    note: `field "${field}" is out of range (${value.trim()}): receipt time used`,
  };
}

/**
 * Turns a callback's parameters into an event. `params` is the GET query or a POSTed form
 * (values are JSON strings) or a POSTed JSON body (values may already be objects).
 * Zone-less dates are read in `timezone`. Throws BadRequestError on a malformed payload;
 * returns `ignored` when no known parameter is present or the status is not sent/received.
 */
export function parseCallback(
  params: Record<string, unknown>,
  timezone: string = DEFAULT_TIMEZONE,
): SmsEvent {
  const param = PARAMS.find((p) => params[p] !== undefined);
  if (!param) {
    const names =
      Object.keys(params)
        .slice(0, 5)
        .map((k) => k.slice(0, 24).replace(/[^A-Za-z_]/g, "?"))
        .join(", ") || "none";
    return {
      kind: "ignored",
      reason: `no status, message, click or call parameter (got: ${names})`,
    };
  }
  const payload = decode(param, params[param]);
  const at = (field: string, value: string) => date(param, field, value, timezone);
  const from = (field: string, value: string) => phone(param, field, value);
  if (param === "status") {
    const p = validate("status", payload);
    const status = p.status.trim().toLowerCase();
    if (status !== "sent" && status !== "received") {
      const shown = status.slice(0, 20).replace(/[^a-z_ -]/g, "?");
      return { kind: "ignored", reason: `status "${shown}" is not tracked` };
    }
    const where = from("phonenumber", p.phonenumber);
    return {
      kind: "status",
      ref: p.id_sms_api,
      phone: where,
      status,
      ...at("date_status", p.date_status),
    };
  }
  if (param === "message") {
    const p = validate("message", payload);
    return { kind: "inbound-sms", from: from("from", p.from), text: p.body, ...at("date", p.date) };
  }
  if (param === "click") {
    const p = validate("click", payload);
    const link = p.link;
    const ref = p.id_sms_api ?? null;
    return {
      kind: "click",
      ref,
      phone: from("phonenumber", p.phonenumber),
      link,
      ...at("date", p.date),
    };
  }
  const p = validate("call", payload);
  return {
    kind: "call",
    phone: from("phonenumber", p.phonenumber),
    ...at("call_date", p.call_date),
  };
}
