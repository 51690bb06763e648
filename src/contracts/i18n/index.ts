// The bridge's languages (BRIDGE_LANGUAGE): one catalogue each (en.ts, the source of truth; fr.ts),
// how a catalogue's {placeholders} are filled, and how its markup (**bold**, commands in the
// core's grammar) is said on a platform: the platform's ChatDialect, given by its adapter.
import { formatForPeople } from "../../kernel/time.ts";
import { type Catalogue, en } from "./en.ts";
import { fr } from "./fr.ts";

export type { Catalogue } from "./en.ts";

/** Every language the bridge speaks in chat, by BRIDGE_LANGUAGE's value. */
export const LANGUAGES: Readonly<Record<"en" | "fr", Catalogue>> = { en, fr };
export type Language = keyof typeof LANGUAGES;

export function isLanguage(value: string): value is Language {
  return Object.hasOwn(LANGUAGES, value);
}

/** The placeholders a text names (`{phone}`), in order of first use. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\{([a-z_]+)\}/gi)].map((m) => m[1] as string))];
}

/** A catalogue text with its placeholders filled; a placeholder not given stays as written. */
export function fill(text: string, values: Record<string, string | number> = {}): string {
  return text.replace(/\{([a-z_]+)\}/gi, (whole, name: string) =>
    Object.hasOwn(values, name) ? String(values[name]) : whole,
  );
}

/**
 * How a platform says the catalogue's markup, given by its adapter (ChatAdapter.dialect): bold,
 * a command in the core's grammar (`/sms route add <prefix> <#channel>`, `--at "…"`) in the
 * platform's own form, and who may manage the bridge there, in the bridge's language.
 */
export interface ChatDialect {
  bold(text: string): string;
  /** A command or an option in the core's grammar, as a person types it on this platform. */
  command(text: string): string;
  /** Who may manage the bridge on this platform, in words ("a workspace admin, or …"). */
  managers: string;
  /**
   * A text that is not the core's (an SMS, a name, a template a person wrote) shown as it is: the
   * platform's markup and mentions escaped (Slack's `&`, `<`, `>`; Discord's markdown). Absent:
   * as it is.
   */
  verbatim?(text: string): string;
}

/** The core's markup as it is: **bold**, commands as written (a test or a platform with none). */
export const PLAIN_DIALECT: ChatDialect = {
  bold: (text) => `**${text}**`,
  command: (text) => text,
  managers: "",
};

/** Where a verbatim text begins and ends (Unicode private use: never in a catalogue's text). */
const VERBATIM_OPEN = "\uE000";
const VERBATIM_CLOSE = "\uE001";
const VERBATIM = /\uE000([^\uE000\uE001]*)\uE001/g;

/**
 * Marks a text that is not the core's (an SMS, a contact's name, what a person typed) inside a
 * text the core fills: `speak` shows it as it is (the dialect's `verbatim`), never as markup.
 */
export function verbatim(text: string): string {
  return VERBATIM_OPEN + text.replace(/[\uE000\uE001]/g, "") + VERBATIM_CLOSE;
}

/**
 * A text the core wrote (a catalogue's, filled) in a platform's words: its **bold** in the
 * platform's form, and each `code` span holding a command (`/sms …`) or an option (`--at …`)
 * as that platform types it. What `verbatim` marked is left out of both, escaped as the platform
 * needs to show it as it is.
 */
export function speak(text: string, dialect: ChatDialect = PLAIN_DIALECT): string {
  const kept: string[] = [];
  const core = text.replace(VERBATIM, (_, inner: string) => {
    kept.push(dialect.verbatim ? dialect.verbatim(inner) : inner);
    return `${VERBATIM_OPEN}${kept.length - 1}${VERBATIM_CLOSE}`;
  });
  return core
    .replace(/\*\*([^*\n]+)\*\*/g, (_, inner: string) => dialect.bold(inner))
    .replace(
      /`((?:\/sms\b|--[a-z])[^`\n\uE000]*)`/g,
      (_, inner: string) => `\`${dialect.command(inner)}\``,
    )
    .replace(VERBATIM, (_, i: string) => kept[Number(i)] ?? "");
}

/** The words of a language (BRIDGE_LANGUAGE); absent: English. */
export function wordsOf(language?: Language): Catalogue {
  return LANGUAGES[language ?? "en"];
}

/** How the bridge speaks in chat: its words, and the language and zone its times are said in. */
export interface Voice {
  words: Catalogue;
  language: Language;
  /** The account's zone (ARDARY_TIMEZONE): every time said in chat is in it. */
  timeZone: string;
}

export function voiceOf(language: Language | undefined, timeZone: string): Voice {
  return { words: wordsOf(language), language: language ?? "en", timeZone };
}

/** A time as the voice says it (English: `2026-12-07 08:00 Europe/Paris`; French: `lundi 7 décembre 2026 à 08:00`). */
export function saidAt(voice: Voice, at: Date): string {
  return formatForPeople(at, voice.timeZone, voice.language);
}
