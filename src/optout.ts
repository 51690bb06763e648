// Opt-out and opt-in keywords of an inbound SMS (CTIA's list, plus French ARRET).

const OPT_OUT = new Set([
  "stop",
  "stopall",
  "unsubscribe",
  "cancel",
  "end",
  "quit",
  "revoke",
  "optout",
  "arret",
]);
const OPT_IN = new Set(["start", "unstop", "yes"]);
/** Words that may stand around the keyword without changing what it means. */
const POLITE = new Set([
  "please",
  "pls",
  "plz",
  "thank",
  "thanks",
  "thankyou",
  "you",
  "now",
  "me",
  "merci",
  "svp",
  "stp",
  "sil",
  "vous",
  "plait",
  "ok",
  "all",
  "sms",
  "messages",
  "texts",
  "it",
]);

function words(text: string): string[] {
  return text
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .toLowerCase()
    .replace(/\bopt[\s-]+out\b/g, "optout")
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * "stop" / "OPT OUT" / "Stop please" / "stop. thank you" → "out"; "START" / "yes" → "in";
 * anything else (a sentence that merely contains the word) → null.
 */
export function optIntent(text: string): "out" | "in" | null {
  const w = words(text);
  const keywords = w.filter((x) => !POLITE.has(x));
  const [keyword] = keywords;
  if (keywords.length !== 1 || keyword === undefined || w.length > 6) return null;
  if (OPT_OUT.has(keyword)) return "out";
  if (OPT_IN.has(keyword)) return "in";
  return null;
}
