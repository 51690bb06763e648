// The client's own view of an SMS and of Ardary's answer for it, in Ardary's words
// (docs/ardary-api.md §1). The provider (provider.ts) maps the core's types onto these.
import type { Priority } from "../../src/contracts/index.ts";

/** One SMS of a sendSms request. `idSmsApi` is the bridge's reference, kept across retries. */
export interface ArdarySms {
  idSmsApi: string;
  /** E.164 recipient. */
  to: string;
  text: string;
  /** A link to track: Ardary puts its short link where `[Link]` stands in `text`. */
  link?: string;
  sendAt?: Date;
  priority?: Priority;
  /** A marketing SMS: `addStop: 1`, Ardary appends its STOP notice. */
  marketing?: boolean;
  /** The sender name (`sender_name`, a header field); absent: the client's default, if any. */
  sender?: string;
}

/** Ardary's answer for one SMS of a request. */
export type ArdarySendResult =
  | { idSmsApi: string; ok: true; segments: number; sentAt?: Date }
  | { idSmsApi: string; ok: false; codes: string[]; reason: string };
