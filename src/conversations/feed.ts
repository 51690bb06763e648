// What happened in the conversations, as lines a person reads: incoming SMS, outgoing SMS,
// delivery statuses, clicks and calls (`ardary-bridge tail`), and the list of conversations
// (`ardary-bridge conversations`). Read from any database, or through the running server. Times
// are in the zone given (the provider's, or UTC with `--utc`), and say it.
import { and, desc, eq, gt, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { conversations, events, messages } from "../db/schema.ts";
import { formatPhone } from "../kernel/phone.ts";
import { formatInZone } from "../kernel/time.ts";

export interface FeedCursor {
  event: number;
  message: number;
}

export interface Feed {
  lines: string[];
  cursor: FeedCursor;
}

const KINDS = ["inbound-sms", "status", "click", "call"];

type Payload = {
  kind: string;
  from?: string;
  phone?: string;
  text?: string;
  status?: string;
  link?: string;
  at?: string;
};

function eventLine(p: Payload, at: Date, timeZone: string): string {
  const time = (d: Date) => formatInZone(d, timeZone, { seconds: true });
  const who = formatPhone(p.from ?? p.phone ?? "?");
  switch (p.kind) {
    case "inbound-sms":
      return `${time(at)}  ← SMS from ${who}: ${p.text ?? ""}`;
    case "status":
      return `${time(at)}  ✓ ${p.status === "received" ? "received by" : "sent to"} ${who}`;
    case "click":
      return `${time(at)}  🔗 ${who} opened ${p.link ?? "a link"}`;
    default:
      return `${time(at)}  📞 call from ${who}`;
  }
}

/**
 * Lines after `cursor` (the newest `backlog` ones when no cursor is given), oldest first,
 * and the cursor to ask from next time; times in `timeZone`.
 */
export async function readFeed(
  db: Db,
  timeZone: string,
  cursor?: FeedCursor,
  backlog = 20,
): Promise<Feed> {
  const after = cursor ?? { event: 0, message: 0 };
  const limit = cursor ? 500 : backlog;
  const evs = await db
    .select({ id: events.id, payload: events.payload, at: events.receivedAt })
    .from(events)
    .where(and(gt(events.id, after.event), inArray(events.kind, KINDS)))
    .orderBy(desc(events.id))
    .limit(limit);
  const outs = await db
    .select({
      id: messages.id,
      body: messages.body,
      author: messages.author,
      at: messages.createdAt,
      phone: conversations.phone,
    })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .where(and(gt(messages.id, after.message), eq(messages.direction, "out")))
    .orderBy(desc(messages.id))
    .limit(limit);
  const lines = [
    ...evs.map((e) => ({ at: e.at, line: eventLine(e.payload as Payload, e.at, timeZone) })),
    ...outs.map((m) => ({
      at: m.at,
      line: `${formatInZone(m.at, timeZone, { seconds: true })}  → SMS to ${formatPhone(m.phone)}${m.author ? ` (${m.author})` : ""}: ${m.body}`,
    })),
  ]
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .slice(-limit);
  return {
    lines: lines.map((l) => l.line),
    cursor: {
      event: Math.max(after.event, ...evs.map((e) => e.id)),
      message: Math.max(after.message, ...outs.map((m) => m.id)),
    },
  };
}

/** One line per conversation, most recent first, with its own count of SMS; times in `timeZone`. */
export async function listConversations(db: Db, timeZone: string): Promise<string[]> {
  const rows = await db
    .select({
      id: conversations.id,
      phone: conversations.phone,
      platform: conversations.platform,
      open: conversations.open,
      last: conversations.lastActivityAt,
      // Qualified: a bare column here would be read as the subquery's own `m.id`.
      count: sql<number>`(select count(*)::int from messages m where m.conversation_id = ${conversations}.id)`,
    })
    .from(conversations)
    .orderBy(desc(conversations.lastActivityAt))
    .limit(200);
  return rows.map(
    (r) =>
      `#${r.id}  ${formatPhone(r.phone).padEnd(18)} ${r.open ? "open  " : "closed"}  ${String(r.count).padStart(4)} SMS  last ${formatInZone(r.last, timeZone)}  (${r.platform === "none" ? "no chat platform" : r.platform})`,
  );
}
