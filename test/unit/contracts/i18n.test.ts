// The bridge's languages (src/contracts/i18n): every language has English's keys and no other,
// each text with the same {placeholders}; filling them, and the core's markup said by a dialect.
import { describe, expect, it } from "vitest";
import {
  type Catalogue,
  fill,
  LANGUAGES,
  placeholders,
  saidAt,
  speak,
  verbatim,
  voiceOf,
} from "../../../src/contracts/index.ts";

/** Every text of a catalogue by its `group.key`. */
function texts(c: Catalogue): Map<string, string> {
  const out = new Map<string, string>();
  for (const [group, keys] of Object.entries(c))
    for (const [key, text] of Object.entries(keys as Record<string, unknown>))
      out.set(`${group}.${key}`, text as string);
  return out;
}

/** What differs between English and another language: keys one lacks, placeholders that differ. */
function differences(en: Catalogue, other: Catalogue): string[] {
  const a = texts(en);
  const b = texts(other);
  const out: string[] = [];
  for (const key of a.keys()) if (!b.has(key)) out.push(`${key}: missing`);
  for (const key of b.keys()) if (!a.has(key)) out.push(`${key}: not in English`);
  for (const [key, text] of a) {
    const theirs = b.get(key);
    if (theirs === undefined) continue;
    if (typeof theirs !== "string" || theirs.trim() === "") out.push(`${key}: empty`);
    else if (placeholders(text).sort().join() !== placeholders(theirs).sort().join())
      out.push(
        `${key}: {${placeholders(theirs).sort()}} instead of {${placeholders(text).sort()}}`,
      );
  }
  return out;
}

describe("the catalogues", () => {
  it("speak English and French", () => {
    expect(Object.keys(LANGUAGES).sort()).toEqual(["en", "fr"]);
  });

  it("have English's keys, no other, each with English's placeholders, in every language", () => {
    for (const [language, words] of Object.entries(LANGUAGES))
      expect({ language, differences: differences(LANGUAGES.en, words) }).toEqual({
        language,
        differences: [],
      });
  });

  it("see a key one language lacks, one it adds, and a placeholder it changed", () => {
    const en = LANGUAGES.en;
    const broken = structuredClone(en) as Record<string, Record<string, string>>;
    delete broken.notes?.closed;
    (broken.notes as Record<string, string>).extra = "x";
    (broken.notes as Record<string, string>).reopened = "{who} a rouvert";
    expect(differences(en, broken as unknown as Catalogue)).toEqual([
      "notes.closed: missing",
      "notes.extra: not in English",
      "notes.reopened: {who} instead of {author}",
    ]);
  });
});

describe("fill and speak", () => {
  it("fills the placeholders given and leaves the others as written", () => {
    expect(fill("{author} closed {what} {first_name}", { author: "Alice", what: "it" })).toBe(
      "Alice closed it {first_name}",
    );
    expect(placeholders("`{a}` and {b}, {a}")).toEqual(["a", "b"]);
  });

  it("says bold and commands as the dialect does, and leaves other code alone", () => {
    const dialect = {
      bold: (t: string) => `<b>${t}</b>`,
      command: (t: string) => `[${t}]`,
      managers: "",
    };
    expect(speak("**Send:** `/sms <number>`, `--at x`, `sms:` and **x**", dialect)).toBe(
      "<b>Send:</b> `[/sms <number>]`, `[--at x]`, `sms:` and <b>x</b>",
    );
    expect(speak("**as written** `/sms help`")).toBe("**as written** `/sms help`");
  });

  it("leaves what verbatim marked out of the markup, escaped as the dialect says, even around it", () => {
    const dialect = {
      bold: (t: string) => `<b>${t}</b>`,
      command: (t: string) => `[${t}]`,
      managers: "",
      verbatim: (t: string) => t.replace(/</g, "&lt;"),
    };
    const sms = verbatim("**sale** `/sms +336 hi` <!channel>");
    expect(speak(`**From:** ${sms} and **${verbatim("<Ann>")}**`, dialect)).toBe(
      "<b>From:</b> **sale** `/sms +336 hi` &lt;!channel> and <b>&lt;Ann></b>",
    );
    // Without the dialect's escape (the command line): as written, the marks gone.
    expect(speak(`x ${sms}`)).toBe("x **sale** `/sms +336 hi` <!channel>");
    // A text cannot forge the marks.
    expect(speak(verbatim("\uE000**a**\uE001"), dialect)).toBe("**a**");
  });

  it("says a time in English as the CLI does, and in French in words, 24 h, in the account's zone", () => {
    const at = new Date("2026-12-07T07:00:00Z");
    expect(saidAt(voiceOf("en", "Europe/Paris"), at)).toBe("2026-12-07 08:00 Europe/Paris");
    expect(saidAt(voiceOf("fr", "Europe/Paris"), at)).toBe("lundi 7 décembre 2026 à 08:00");
    expect(saidAt(voiceOf("fr", "Europe/Paris"), new Date("2026-07-14T19:30:00Z"))).toBe(
      "mardi 14 juillet 2026 à 21:30",
    );
  });
});
