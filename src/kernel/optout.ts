// Opt-out and opt-in keywords of an inbound SMS (CTIA's list, plus French ARRET), compared as
// people type them: Unicode NFKC (full-width ＳＴＯＰ, 𝐒𝐓𝐎𝐏), without zero-width characters or
// soft hyphens, letters spaced out (S T O P), repeated (STOP STOP), a last letter doubled
// (STOPP), or 🛑 alone. And a heuristic for sentences that ask to stop without the keyword.

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

/** Zero-width space/non-joiner/joiner, word joiner, BOM, soft hyphen, Mongolian vowel separator. */
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD\u180E]/g;
/** Variation selectors (🛑 followed by VS16 or VS15) and emoji skin-tone modifiers. */
const VARIATION = /[\uFE00-\uFE0F\u{1F3FB}-\u{1F3FF}]/gu;

/** NFKC, invisible characters removed, no accents, lower case, curly quotes made straight. */
function clean(text: string): string {
  return text
    .normalize("NFKC")
    .replace(INVISIBLE, "")
    .replace(VARIATION, "")
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .toLowerCase()
    .replace(/[\u2018\u2019\u02BC`´]/g, "'");
}

function words(text: string): string[] {
  const raw = clean(text)
    .replace(/\u{1F6D1}/gu, " stop ") // 🛑 OCTAGONAL SIGN
    .replace(/\bopt[\s-]+out\b/g, "optout")
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return joinSpacedLetters(raw);
}

/** "s t o p" → "stop": a run of two or more one-letter words is one word spelled out. */
function joinSpacedLetters(w: string[]): string[] {
  const out: string[] = [];
  let run = "";
  const flush = () => {
    if (run) out.push(run);
    run = "";
  };
  for (const x of w) {
    if (x.length === 1 && /[a-z]/.test(x)) run += x;
    else {
      flush();
      out.push(x);
    }
  }
  flush();
  return out;
}

/** The keyword a word stands for: itself, or with a doubled last letter undone (STOPP, yesss). */
function keywordOf(word: string): string | undefined {
  if (OPT_OUT.has(word) || OPT_IN.has(word)) return word;
  const m = /(.)\1+$/.exec(word);
  if (!m) return undefined;
  const stem = word.slice(0, m.index);
  const found = [stem + m[1], stem + m[1] + m[1]].filter((c) => OPT_OUT.has(c) || OPT_IN.has(c));
  return found.length === 1 && stem.length >= 2 ? found[0] : undefined;
}

/**
 * "stop" / "OPT OUT" / "Stop please" / "stop. thank you" / "STOP STOP" / "S T O P" / "ＳＴＯＰ" /
 * "STOPP" / "🛑" → "out"; "START" / "yes" → "in"; anything else (a sentence that merely contains
 * the word) → null.
 */
export function optIntent(text: string): "out" | "in" | null {
  const w = words(text);
  if (w.length === 0) return null;
  // Repeated words count once ("STOP STOP", "stop, stop!", "stop please stop").
  const distinct = [...new Set(w)];
  if (distinct.length > 6) return null;
  const others = distinct.filter((x) => !POLITE.has(x));
  // One keyword, or the pieces of one keyword split by spaces ("ST OP", "un subscribe").
  const candidate = others.length === 1 ? others[0] : others.join("");
  const keyword = candidate ? keywordOf(candidate) : undefined;
  if (keyword === undefined) return null;
  if (OPT_OUT.has(keyword)) return "out";
  return "in";
}

/** Sentences that ask us to stop, in English and in French (text cleaned, apostrophes dropped). */
const REQUESTS: RegExp[] = [
  // English
  /\b(stop|quit|cease|pls stop|please stop)\s+(texting|messaging|sending|contacting|spamming|emailing|bothering|harass?ing|calling)\b/,
  /\bstop\b.{0,20}\b(texts|text messages|messages|sms|spam|spamming)\b/,
  /\b(dont|do not|never|no longer)\s+(text|message|sms|contact|spam)\b/,
  /\b(dont|do not|never)\s+send\s+(me|us)\s+(any|anything|more|texts?|messages?|sms)\b/,
  /\b(dont|do not|no longer)\s+want\b.{0,40}\b(texts?|messages?|sms)\b/,
  /\b(no more|enough)\s+(texts|text messages|messages|sms)\b/,
  /\b(remove|delete|take)\s+(me|us|my number|this number|my phone number)\b.{0,30}\b(from|off)\b/,
  /\bunsubscribe\b/,
  /\bopt\s*(me\s+)?out\b/,
  /\bleave me alone\b/,
  // French
  /\barret(e|ez|er|es)?\s+(de|d)\b.{0,20}\b(envoyer|ecrire|contacter|texter|spammer|harceler|appeler|m)\b/,
  /\bne\s+(m|me|nous)\s+(envoyez|envoie|envoyer|ecrivez|ecris|contactez|contacte|spammez|texte|textez)\b.{0,30}\bplus\b/,
  /\bne\s+veu[xt]\s+plus\b.{0,40}\b(sms|messages?|textos?|recevoir)\b/,
  /\b(plus|assez)\s+de\s+(sms|messages|textos)\b/,
  /\b(retirez|retire|supprimez|supprime|enlevez|enleve|effacez|efface)[\s-]+(moi|mon numero|mon num|nous)\b/,
  /\b(desinscri\w*|desabonn\w*)\b/,
  /\blaissez[\s-]+moi\s+tranquille\b/,
];

/**
 * Whether a message reads like a request to stop receiving SMS ("please stop texting me",
 * "remove me from your list", "arrêtez de m'envoyer des sms"). Not an opt-out: a heuristic
 * for a visible "Block?" note; `optIntent` alone decides a keyword, and is asked first.
 */
export function looksLikeOptOutRequest(text: string): boolean {
  if (optIntent(text) === "out") return true;
  const t = ` ${clean(text)
    .replace(/\u{1F6D1}/gu, " stop ")
    .replace(/n't\b/g, "nt")
    .replace(/[^a-z0-9]+/g, " ")} `;
  return REQUESTS.some((r) => r.test(t));
}
