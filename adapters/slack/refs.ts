// Slack thread and message references: `slack:<channel>:<ts>`. A thread is named by its parent
// message, so both kinds share one form; the core treats them as opaque strings.

export interface SlackRef {
  channel: string;
  ts: string;
}

export function encodeRef(channel: string, ts: string): string {
  return `slack:${channel}:${ts}`;
}

/** Reads `slack:<channel>:<ts>`; null for anything else (another platform's ref). */
export function decodeRef(ref: string): SlackRef | null {
  const m = /^slack:([A-Z0-9]+):(\d+\.\d+)$/.exec(ref);
  if (!m?.[1] || !m[2]) return null;
  return { channel: m[1], ts: m[2] };
}

/** Like decodeRef, but a ref that is not Slack's is a bug in the caller. */
export function mustDecodeRef(ref: string): SlackRef {
  const decoded = decodeRef(ref);
  if (!decoded) throw new Error(`not a Slack reference: ${ref}`);
  return decoded;
}
