// `/sms <number> [--at <date>] [--link <url>] [--priority low|normal|high] [--marketing] <text>`,
// the same on every chat platform. Parsing only: a bad command becomes an explanation, never an SMS.
import {
  type Catalogue,
  fill,
  type Platform,
  type Priority,
  type SegmentCount,
  type SmsProvider,
  saidAt,
  type Voice,
  voiceOf,
  wordsOf,
} from "../contracts/index.ts";
import { costLine, costsMore, encodingWords } from "../contracts/status.ts";
import { formatPhone, toE164 } from "../kernel/phone.ts";

/** What parsing needs of the provider: its reading of typed dates, and its link placeholder. */
export type CommandContext = Pick<SmsProvider, "parseLocalDate" | "linkPlaceholder"> & {
  /** PHONE_DEFAULT_COUNTRY: national numbers (`0612345678`) are read in this country. */
  defaultCountry?: string;
  /** BRIDGE_LANGUAGE's words (default English). */
  words?: Catalogue;
};

/** The text with the link's placeholder, added at the end when the text does not place it. */
export function withLink(text: string, placeholder: string): string {
  return text.includes(placeholder) ? text : `${text} ${placeholder}`.trim();
}

/** How to use `/sms`, with the provider's link placeholder and the other commands' lines. */
export function usage(placeholder: string, more: string[] = [], w = wordsOf()): string {
  const c = w.command;
  return [
    c.usageTitle,
    c.usageOptions,
    c.usageAt,
    fill(c.usageLink, { placeholder }),
    c.usagePriority,
    c.usageMarketing,
    c.usageWhere,
    ...(more.length > 0 ? ["", c.usageOther, ...more.map((l) => `• ${l}`)] : []),
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
  const w = provider.words ?? wordsOf();
  const c = w.command;
  const fail = (reason: string): ParsedCommand => ({
    ok: false,
    message: `${reason}\n\n${usage(provider.linkPlaceholder, more, w)}`,
  });
  if (rest === "" || /^(help|-h|--help|\?)$/i.test(rest))
    return { ok: false, message: usage(provider.linkPlaceholder, more, w) };
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
      if (!OPTIONS.has(word)) return fail(fill(c.unknownOption, { option: word }));
      const value = nextToken(after);
      if (!value || value[0].startsWith("--")) return fail(fill(c.needsValue, { option: word }));
      options[word] = value[0];
      rest = value[1];
      continue;
    }
    if (phone !== undefined) break;
    const e164 = toE164(word, provider.defaultCountry);
    if (!e164 && /^0\d/.test(word) && !provider.defaultCountry)
      return fail(fill(c.nationalNumber, { number: word }));
    if (!e164) return fail(fill(c.notANumber, { number: word }));
    phone = e164;
    rest = after;
  }
  if (phone === undefined) return fail(c.numberFirst);
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
    if (!date) return fail(fill(c.notADate, { at }));
    if (date.getTime() <= now.getTime()) return fail(fill(c.inThePast, { at }));
    result.sendAt = date;
  }
  const link = options["--link"];
  if (link !== undefined) {
    if (!isHttpLink(link)) return fail(fill(c.notALink, { link }));
    result.link = link;
    text = withLink(text, provider.linkPlaceholder);
  }
  const priority = options["--priority"];
  if (priority !== undefined) {
    if (priority !== "low" && priority !== "normal" && priority !== "high") {
      return fail(fill(c.badPriority, { priority }));
    }
    result.priority = priority;
  }
  if (text.replace(provider.linkPlaceholder, "").trim() === "") return fail(c.emptyText);
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
  /**
   * The words, and the zone the time is said in (the provider's, the one `--at` was read in):
   * the time as it was typed, in the account's zone.
   */
  voice: Voice | string;
}): string {
  const voice = typeof a.voice === "string" ? voiceOf("en", a.voice) : a.voice;
  const c = voice.words.command;
  const when = a.sendAt ? fill(c.sendingAt, { at: saidAt(voice, a.sendAt) }) : "";
  const { platform } = a.home;
  const where =
    platform === a.from
      ? c.seeThread
      : fill(c.threadOn, { platform: `${platform[0]?.toUpperCase()}${platform.slice(1)}` });
  const warning = a.notice ? `\n⚠️ ${a.notice}` : "";
  const cost = costsMore(a.cost)
    ? ` (${costLine(a.cost.segments, encodingWords(a.cost, voice.words))})`
    : "";
  const said = fill(c.sending, { phone: formatPhone(a.phone), when, cost, where });
  return `${said}${a.link ? fill(c.sendingLink, { link: a.link }) : "."}${warning}`;
}
