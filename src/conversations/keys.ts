// Keys that make a fact count once: our reference for each SMS, and a callback's dedupe key.
import { createHash, randomUUID } from "node:crypto";
import type { SmsEvent } from "../contracts/index.ts";

export type StoredEvent = Exclude<SmsEvent, { kind: "ignored" }>;

/** Our own reference for each SMS: unique, and kept across retries. */
export function newClientRef(): string {
  return `ab-${randomUUID()}`;
}

/** Two callbacks with the same key are the same fact. */
export function dedupeKey(event: StoredEvent): string {
  const hash = (s: string) => createHash("sha256").update(s).digest("base64url").slice(0, 22);
  // A date replaced by the receipt time keys on the date given, so a retry is still a repeat.
  const when = event.givenAt ?? event.at.toISOString();
  switch (event.kind) {
    case "inbound-sms":
      return `in:${event.from}:${when}:${hash(event.text)}`;
    case "status":
      return `status:${event.ref}:${event.status}`;
    case "click":
      return `click:${event.ref ?? event.phone}:${when}:${hash(event.link)}`;
    case "call":
      return `call:${event.phone}:${when}`;
  }
}
