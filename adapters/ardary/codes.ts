// Ardary's error codes in words. Source: docs/ardary-api.md §1 (sendSms) and §2
// (addContact); the two lists reuse the same numbers for different meanings.

/** sendSms per-message codes. #005 and #008 are not documented. */
const SEND_CODES: Readonly<Record<string, string>> = {
  "#001": "authentication failed",
  "#002": "account not activated yet",
  "#003": "recipient opted out (STOP)",
  "#004": "forbidden words in the text",
  "#006": "empty message body",
  "#007": "invalid phone number",
  "#009": "unknown error",
};

/** The same codes in French (BRIDGE_LANGUAGE=fr), for the thread; the logs keep English. */
const SEND_CODES_FR: Readonly<Record<string, string>> = {
  "#001": "authentification refusée",
  "#002": "compte pas encore activé",
  "#003": "destinataire désinscrit (STOP)",
  "#004": "mots interdits dans le texte",
  "#006": "message vide",
  "#007": "numéro de téléphone invalide",
  "#009": "erreur inconnue",
};

/**
 * sendSms codes about the account, not the SMS: #001 the credentials were rejected, #002 the
 * account is not activated yet. No SMS can go until a person fixes ACCOUNT_FIX.
 */
export const ACCOUNT_CODES: readonly string[] = ["#001", "#002"];

/** What a person must do when Ardary refuses the account (#001, #002, HTTP 401/403). */
export const ACCOUNT_FIX =
  "check ARDARY_ACCESS_KEY and ARDARY_LOGIN (Ardary dashboard, Parameters > API; the access key " +
  "is mailed to the account owner) and that the Ardary account is activated";

/** ACCOUNT_FIX in French (BRIDGE_LANGUAGE=fr), for chat. */
export const ACCOUNT_FIX_FR =
  "vérifiez ARDARY_ACCESS_KEY et ARDARY_LOGIN (tableau de bord Ardary, Paramètres > API ; la clé " +
  "d'accès est envoyée par e-mail au titulaire du compte) et que le compte Ardary est activé";

/**
 * Ardary refusing the account for `codes` (#001, #002), in words: English (the logs) and, in
 * `said`, French for chat.
 */
export function accountRefusal(codes: readonly string[]): {
  reason: string;
  fix: string;
  said: { fr: { reason: string; fix: string } };
} {
  return {
    reason: `Ardary refused the account (${describeSendCodes(codes)})`,
    fix: ACCOUNT_FIX,
    said: {
      fr: {
        reason: `Ardary refuse le compte (${describeSendCodes(codes, "fr")})`,
        fix: ACCOUNT_FIX_FR,
      },
    },
  };
}

/** Ardary answering HTTP 401 or 403 to `what`: the credentials or the account, in words. */
export function httpRefusal(
  what: string,
  status: number,
): { reason: string; fix: string; said: { fr: { reason: string; fix: string } } } {
  return {
    reason: `${what} answered HTTP ${status}`,
    fix: ACCOUNT_FIX,
    said: {
      fr: {
        reason: `${what} a répondu HTTP ${status} (identifiants ou compte refusés)`,
        fix: ACCOUNT_FIX_FR,
      },
    },
  };
}

/** addContact per-contact codes. */
const CONTACT_CODES: Readonly<Record<string, string>> = {
  "#001": "invalid phone number",
  "#002": "empty phone number",
  "#003": "no phone number",
  "#004": "invalid e-mail",
};

/**
 * Brings a code to the documented form `#00N`: accepts `#7`, `7`, `007`, ` #007 `.
 * Anything else is returned trimmed, unchanged.
 */
export function normalizeCode(code: string): string {
  const m = /^#?(\d{1,3})$/.exec(code.trim());
  return m?.[1] ? `#${m[1].padStart(3, "0")}` : code.trim();
}

/** Words for a code missing from a table, and for no code at all, by language. */
const UNKNOWN = {
  en: { code: "unknown error code", none: "no error code given" },
  fr: { code: "code d'erreur inconnu", none: "aucun code d'erreur donné" },
};

function describe(
  table: Readonly<Record<string, string>>,
  codes: readonly string[],
  words = UNKNOWN.en,
): string {
  if (codes.length === 0) return words.none;
  return codes
    .map((raw) => {
      const code = normalizeCode(raw);
      return `${code} ${table[code] ?? words.code}`;
    })
    .join("; ");
}

/**
 * `describeSendCodes(["#007"])` → `"#007 invalid phone number"`; several are joined by `; `.
 * `language` "fr": `"#007 numéro de téléphone invalide"`.
 */
export function describeSendCodes(codes: readonly string[], language: "en" | "fr" = "en"): string {
  return language === "fr"
    ? describe(SEND_CODES_FR, codes, UNKNOWN.fr)
    : describe(SEND_CODES, codes);
}

/** Same as describeSendCodes, with the addContact meanings. */
export function describeContactCodes(codes: readonly string[]): string {
  return describe(CONTACT_CODES, codes);
}
