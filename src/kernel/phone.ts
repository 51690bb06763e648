// The single E.164 normaliser: every phone number is compared and stored in the form it returns.
import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max";

/**
 * Returns the E.164 form (`+33612345678`) of an international number written with or without
 * `+`, with `00` instead of `+`, or with spaces, dots, dashes and brackets; `null` when it is
 * not a possible phone number. Numbers without a country code are not guessed, unless a
 * default country (ISO code) is given: `0612345678` with FR is `+33612345678`.
 */
export function toE164(input: string, defaultCountry?: string): string | null {
  // The same customers write again and again: each form is parsed once (a bounded memo).
  const key = `${defaultCountry ?? ""}|${input}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const e164 = normalise(input, defaultCountry);
  if (memo.size >= MEMO_SIZE) memo.clear();
  memo.set(key, e164);
  return e164;
}

const MEMO_SIZE = 4096;
const memo = new Map<string, string | null>();

function normalise(input: string, defaultCountry?: string): string | null {
  let s = input.trim().replace(/[\s().\-\u00a0]/g, "");
  if (s.startsWith("00")) s = `+${s.slice(2)}`;
  if (defaultCountry && /^\d{4,15}$/.test(s) && s.startsWith("0")) {
    const national = parsePhoneNumberFromString(s, defaultCountry.toUpperCase() as CountryCode);
    return national?.isPossible() ? national.number : null;
  }
  if (!s.startsWith("+")) s = `+${s}`;
  if (!/^\+\d{6,15}$/.test(s)) return null;
  const parsed = parsePhoneNumberFromString(s);
  if (!parsed?.isPossible()) return null;
  return parsed.number;
}

/** For people: `+33 6 12 34 56 78`. Falls back to the input when it cannot be parsed. */
export function formatPhone(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}

/** For logs: keeps the country part and the last two digits (`+336******78`). */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return String(phone);
  if (phone.length <= 6) return "*".repeat(phone.length);
  return `${phone.slice(0, 4)}${"*".repeat(phone.length - 6)}${phone.slice(-2)}`;
}
