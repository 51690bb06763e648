// REPLY_MODE: `send` (a thread reply goes to the customer, except `note:` and `//`) or
// `explicit` (only a reply starting with `sms:` goes; everything else is a note), so nobody
// sends by accident. The composition passes it to the Bridge and the chat delivery; the card says
// which mode is on.
export type ReplyMode = "send" | "explicit";

const PREFIX = /^sms:\s*/i;

/** The SMS a thread reply makes, or null when it is a note. */
export function smsOfReply(text: string, m: ReplyMode): string | null {
  const t = text.trim();
  if (/^(note:|\/\/)/i.test(t)) return null;
  if (m === "send") return t;
  return PREFIX.test(t) ? t.replace(PREFIX, "") : null;
}
