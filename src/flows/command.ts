// `/sms <number> [--at <date>] [--link <url>] [--priority low|normal|high] [--marketing] <text>`,
// the same on every chat platform. Parsing only: a bad command becomes an explanation, never an SMS.
import type { Platform, Priority, SegmentCount, SmsProvider } from "../contracts/index.ts";
import { costLine, costsMore, encodingWords } from "../contracts/status.ts";
import { formatPhone, toE164 } from "../kernel/phone.ts";
import { formatInZone } from "../kernel/time.ts";

/** What parsing needs of the provider: its reading of typed dates, and its link placeholder. */
export type CommandContext = Pick<SmsProvider, "parseLocalDate" | "linkPlaceholder"> & {
  /** PHONE_DEFAULT_COUNTRY: national numbers (`0612345678`) are read in this country. */
  defaultCountry?: string;
};

/** The text with the link's placeholder, added at the end when the text does not place it. */
export function withLink(text: string, placeholder: string): string {
  return text.includes(placeholder) ? text : `${text} ${placeholder}`.trim();
}

/** How to use `/sms`, with the provider's link placeholder and the other commands' lines. */
export function usage(placeholder: string, more: string[] = []): string {
  return [
    "*Send an SMS:* `/sms <number> <text>`, e.g. `/sms +33612345678 Your order has shipped`",
    "Options, before the text:",
    '• `--at "2026-12-01 09:00"`: send later (the SMS account\'s time zone)',
    `• \`--link https://…\`: add a tracked link; put \`${placeholder}\` where it goes, or it is added at the end`,
    "• `--priority low|normal|high`: order in the provider's queue",
    "• `--marketing`: a promotion: the STOP notice is added, and it waits for the hours marketing SMS may leave (Mon–Sat 08:00–20:00 and never on a public holiday, unless MARKETING_HOURS says otherwise); never in a thread reply",
    "The SMS goes out from the number's conversation thread, which is opened if there is none.",
    ...(more.length > 0 ? ["", "*Other commands:*", ...more.map((l) => `• ${l}`)] : []),
  ].join("\n");
}

export type ParsedCommand =
  | {
      ok: true;
      phone: string;
      text: string;
      sendAt?: Date;
      link?: string;
      priority: Priority;
      /** `--marketing`: a marketing SMS (src/replies/marketing.ts). */
      marketing: boolean;
    }
  | { ok: false; message: string };

const OPTIONS = new Set(["--at", "--link", "--priority"]);
/** Options that take no value. */
const FLAGS = new Set(["--marketing"]);

/** Splits off one token (a "quoted string" or a word); returns it and the rest. */
function nextToken(s: string): [string, string] | null {
  const m = /^\s*(?:"([^"]*)"|'([^']*)'|(\S+))/.exec(s);
  if (!m) return null;
  return [m[1] ?? m[2] ?? m[3] ?? "", s.slice(m[0].length)];
}

/**
 * The provider turns the `--at` value into an instant (in the account's zone), or null.
 * `now` is injected so tests can fix the clock.
 */
export function parseSmsCommand(
  args: string,
  provider: CommandContext,
  more: string[] = [],
  now: Date = new Date(),
): ParsedCommand {
  let rest = args.trim();
  const fail = (reason: string): ParsedCommand => ({
    ok: false,
    message: `${reason}\n\n${usage(provider.linkPlaceholder, more)}`,
  });
  if (rest === "" || /^(help|-h|--help|\?)$/i.test(rest))
    return { ok: false, message: usage(provider.linkPlaceholder, more) };
  const options: Record<string, string> = {};
  const flags = new Set<string>();
  let phone: string | undefined;
  for (;;) {
    const tok = nextToken(rest);
    if (!tok) break;
    const [word, after] = tok;
    if (FLAGS.has(word)) {
      flags.add(word);
      rest = after;
      continue;
    }
    if (word.startsWith("--")) {
      if (!OPTIONS.has(word)) return fail(`Unknown option \`${word}\`.`);
      const value = nextToken(after);
      if (!value || value[0].startsWith("--")) return fail(`\`${word}\` needs a value.`);
      options[word] = value[0];
      rest = value[1];
      continue;
    }
    if (phone !== undefined) break;
    const e164 = toE164(word, provider.defaultCountry);
    if (!e164 && /^0\d/.test(word) && !provider.defaultCountry)
      return fail(
        `\`${word}\` looks like a national number: write it in international form (e.g. +33612345678), or set PHONE_DEFAULT_COUNTRY (the country's ISO code, e.g. FR) so national numbers are read in that country.`,
      );
    if (!e164)
      return fail(
        `\`${word}\` is not a phone number: write it in international form, e.g. +33612345678.`,
      );
    phone = e164;
    rest = after;
  }
  if (phone === undefined) return fail("Give the phone number first.");
  let text = rest.trim();
  const result: ParsedCommand = {
    ok: true,
    phone,
    text,
    priority: "normal",
    marketing: flags.has("--marketing"),
  };
  const at = options["--at"];
  if (at !== undefined) {
    const date = provider.parseLocalDate(at);
    if (!date) return fail(`\`--at ${at}\` is not a date: write it as "YYYY-MM-DD HH:mm".`);
    if (date.getTime() <= now.getTime()) return fail(`\`--at ${at}\` is in the past.`);
    result.sendAt = date;
  }
  const link = options["--link"];
  if (link !== undefined) {
    if (!isHttpLink(link)) return fail(`\`--link ${link}\` is not an http(s) URL.`);
    result.link = link;
    text = withLink(text, provider.linkPlaceholder);
  }
  const priority = options["--priority"];
  if (priority !== undefined) {
    if (priority !== "low" && priority !== "normal" && priority !== "high") {
      return fail(`\`--priority ${priority}\`: use low, normal or high.`);
    }
    result.priority = priority;
  }
  if (text.replace(provider.linkPlaceholder, "").trim() === "")
    return fail("The text is empty: nothing to send.");
  result.text = text;
  return result;
}

/** Links are accepted only as http(s) URLs (never `javascript:`, `data:`…). */
export function isHttpLink(link: string): boolean {
  return /^https?:\/\/[^\s/?#]+\S*$/i.test(link);
}

/** The ephemeral answer to a `/sms` that was queued: when, what it costs, where to follow it. */
export function sendingAnswer(a: {
  phone: string;
  sendAt?: Date;
  home: { platform: Platform };
  link?: string;
  cost: SegmentCount;
  from: Platform;
  notice?: string;
  /** The zone the time is said in (the provider's, the one `--at` was read in). */
  timeZone: string;
}): string {
  const when = a.sendAt ? ` at ${formatInZone(a.sendAt, a.timeZone)}` : "";
  const { platform } = a.home;
  const where =
    platform === a.from
      ? "see the number's thread"
      : `its thread is on ${platform[0]?.toUpperCase()}${platform.slice(1)}`;
  const warning = a.notice ? `\n⚠️ ${a.notice}` : "";
  const cost = costsMore(a.cost) ? ` (${costLine(a.cost.segments, encodingWords(a.cost))})` : "";
  return `Sending to ${formatPhone(a.phone)}${when}${cost}: ${where}${a.link ? `: ${a.link}` : "."}${warning}`;
}
