// How many SMS a text costs and in which encoding, with the character that forces Unicode:
// what the bridge shows on a message's status line ("2 SMS · Unicode because of 🎉").
import { SegmentedMessage } from "sms-segments-calculator";

export interface SegmentCount {
  /** SMS the text costs (at least 1). */
  segments: number;
  /** GSM-7 (160 characters, 153 per part) or UCS-2 (70, 67 per part). */
  encoding: "GSM-7" | "UCS-2";
  /** The first character outside GSM-7, as shown to a person, when the encoding is UCS-2. */
  unicodeBecause?: string;
}

/** What `[Link]` becomes once Ardary shortens the tracked link: counted as a short URL. */
const SHORT_LINK = "https://x.xx/xxxxxx";

/** Segment count and encoding of a body as Ardary will send it (`[Link]` as a short link). */
export function countSegments(text: string): SegmentCount {
  const message = new SegmentedMessage(text.replaceAll("[Link]", SHORT_LINK));
  const segments = Math.max(1, message.segmentsCount);
  if (message.encodingName === "GSM-7") return { segments, encoding: "GSM-7" };
  const [first] = message.getNonGsmCharacters();
  return {
    segments,
    encoding: "UCS-2",
    ...(first === undefined ? {} : { unicodeBecause: shown(first) }),
  };
}

/** An invisible or blank character by its code point ("U+200B"), anything else as itself. */
function shown(char: string): string {
  if (!/^[\p{White_Space}\p{Cc}\p{Cf}\p{Z}]+$/u.test(char)) return char;
  const cp = char.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** "1 SMS", "2 SMS · Unicode because of 🎉": the status line's words for a count. */
export function describeSegments(c: SegmentCount): string {
  const count = `${c.segments} SMS`;
  if (c.encoding === "GSM-7") return count;
  return c.unicodeBecause
    ? `${count} · Unicode because of ${c.unicodeBecause}`
    : `${count} · Unicode`;
}
