// The Ardary SmsProvider: the API client (client.ts) plus the callback reader (parse.ts).
import type { SmsProvider } from "../../src/contracts.ts";
import { type ArdaryClientOptions, createArdaryClient } from "./client.ts";
import { DEFAULT_TIMEZONE } from "./dates.ts";
import { parseCallback } from "./parse.ts";
import { countSegments, type SegmentCount } from "./segments.ts";

export type { ArdaryClientOptions } from "./client.ts";
export { countSegments, describeSegments, type SegmentCount } from "./segments.ts";

export interface ArdaryProviderOptions extends ArdaryClientOptions {
  /** IANA zone of Ardary's zone-less dates, for requests and callbacks. Default Europe/Paris. */
  timezone?: string;
}

/** The provider, plus what SmsProvider will carry once the bridge shows segment counts. */
export interface ArdaryProvider extends SmsProvider {
  /** SMS count and encoding of a body, and the first character that forces Unicode. */
  countSegments(text: string): SegmentCount;
}

export function createArdaryProvider(options: ArdaryProviderOptions): ArdaryProvider {
  const timezone = options.timezone ?? DEFAULT_TIMEZONE;
  const client = createArdaryClient({ ...options, timezone });
  return {
    send: (messages) => client.send(messages),
    addContacts: (contacts) => client.addContacts(contacts),
    parseCallback: (params) => parseCallback(params, timezone),
    countSegments,
  };
}
