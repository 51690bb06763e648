// Slack's emoji short codes (`:tada:`, `:wave::skin-tone-3:`) → the characters themselves, from
// emoji-datasource (iamcal's data, the names Slack uses). The 1.3 MB file is read on the first
// short code only, and kept as a map of names to characters.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

interface Entry {
  /** The emoji, e.g. "👋". */
  char: string;
  /** By skin tone (2..6, as Slack numbers them): "👋🏼". */
  skins?: Record<string, string>;
}

interface DataEntry {
  unified: string;
  short_names: string[];
  skin_variations?: Record<string, { unified: string }>;
}

/** Slack's skin-tone-2..6 are the Fitzpatrick modifiers U+1F3FB..U+1F3FF. */
const TONES: Record<string, string> = {
  "1F3FB": "2",
  "1F3FC": "3",
  "1F3FD": "4",
  "1F3FE": "5",
  "1F3FF": "6",
};

let table: Promise<Map<string, Entry>> | undefined;

/** The short-code table, read once (a failed read is tried again next time). */
export function emojiTable(): Promise<Map<string, Entry>> {
  table ??= load().catch((err) => {
    table = undefined;
    throw err;
  });
  return table;
}

async function load(): Promise<Map<string, Entry>> {
  const path = createRequire(import.meta.url).resolve("emoji-datasource/emoji.json");
  const data = JSON.parse(await readFile(path, "utf8")) as DataEntry[];
  const map = new Map<string, Entry>();
  for (const e of data) {
    const entry: Entry = { char: fromUnified(e.unified) };
    const skins: Record<string, string> = {};
    for (const [modifier, v] of Object.entries(e.skin_variations ?? {})) {
      const tone = TONES[modifier];
      if (tone) skins[tone] = fromUnified(v.unified);
    }
    if (Object.keys(skins).length > 0) entry.skins = skins;
    for (const name of e.short_names) map.set(name, entry);
  }
  return map;
}

/** "1f44b-1f3fc" (Slack's `unicode` field, or the data's `unified`) → "👋🏼". */
export function fromUnified(hex: string): string {
  return String.fromCodePoint(...hex.split("-").map((h) => Number.parseInt(h, 16)));
}

/**
 * The character of a short code (`wave`, `wave::skin-tone-3`, or `wave` with tone 3), or
 * undefined for a code the data does not know (a workspace's custom emoji).
 */
export function emojiChar(
  table: Map<string, Entry>,
  name: string,
  tone?: number | string,
): string | undefined {
  const m = /^(.+?)::skin-tone-([2-6])$/.exec(name);
  const entry = table.get(m?.[1] ?? name);
  if (!entry) return undefined;
  const t = m?.[2] ?? (tone === undefined ? undefined : String(tone));
  return (t && entry.skins?.[t]) || entry.char;
}
