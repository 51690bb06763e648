// The audit export: `ardary-bridge export [--since DATE] [--until DATE] [--phone N]
// [--format csv|jsonl] [--mask]`. One row per SMS (in or out), then one per click and call
// (their kind in `direction`); JSONL adds each SMS's status history. Read in pages by key
// (`id > last`), written as it goes: memory stays flat however many rows. Who and where: an SMS's
// `author_id` (the platform's id of its sender) and `author_name`; `thread_link`, the thread's
// address a person can open (kept on the conversation when its thread opened: the export runs
// without the chat platforms), and `thread_ref`, the bridge's own reference of it. The CSV is made
// for spreadsheets (a byte-order mark, no cell read as a formula: csvCell); JSONL keeps every text
// exactly as it was.
import { parseArgs } from "node:util";
import { and, asc, eq, gt, gte, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { contacts, conversations, events, messageStatuses, messages } from "../db/schema.ts";
import { BadRequestError } from "../kernel/errors.ts";
import { maskPhone, toE164 } from "../kernel/phone.ts";

export const EXPORT_HELP = `Usage: ardary-bridge export [--since DATE] [--until DATE] [--phone N] [--format csv|jsonl] [--mask]

Writes every SMS (one row each), then every click and call, to standard output. The CSV starts
with a UTF-8 byte-order mark and a cell that a spreadsheet would read as a formula (starting
with = + - @, a tab or a carriage return, phone numbers included) gets a leading '; JSONL keeps
every text as it was.
  --since, --until  ISO dates (2026-11-01 or 2026-11-01T12:00:00Z): from (inclusive), to (exclusive)
  --phone           one customer's number
  --format          csv (default) or jsonl (adds each SMS's status history)
  --mask            masks phone numbers and replaces texts by their length`;

export const COLUMNS = [
  "time",
  "direction",
  "phone",
  "contact_name",
  "author_id",
  "author_name",
  "platform",
  "thread_link",
  "thread_ref",
  "text",
  "status",
  "status_time",
  "provider_code",
  "error",
  "segments",
] as const;

export type ExportRow = Record<(typeof COLUMNS)[number], string | number | null> & {
  history?: { status: string; at: string }[];
};

export interface ExportOptions {
  since?: Date;
  until?: Date;
  phone?: string;
  format: "csv" | "jsonl";
  mask: boolean;
  /** Rows per page read from the database. */
  pageSize?: number;
}

function date(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new BadRequestError(`--${name} "${value}" is not a date`);
  return d;
}

export function parseExportArgs(args: string[]): ExportOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      options: {
        since: { type: "string" },
        until: { type: "string" },
        phone: { type: "string" },
        format: { type: "string", default: "csv" },
        mask: { type: "boolean", default: false },
      },
    }).values;
  } catch (err) {
    throw new BadRequestError((err as Error).message);
  }
  const format = values.format as string;
  if (format !== "csv" && format !== "jsonl")
    throw new BadRequestError(`--format is csv or jsonl, not "${format}"`);
  const phone = values.phone === undefined ? undefined : toE164(String(values.phone));
  if (phone === null) throw new BadRequestError(`--phone "${values.phone}" is not a phone number`);
  return {
    since: date(values.since as string | undefined, "since"),
    until: date(values.until as string | undefined, "until"),
    phone,
    format,
    mask: values.mask === true,
  };
}

/**
 * One CSV cell, safe to open in a spreadsheet. OWASP's rule against CSV injection: a text cell
 * that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula (a
 * customer's SMS can be `=HYPERLINK(…)`), so it gets a leading `'`, which makes it text.
 * Phone numbers (E.164, `+33612345678`) get it too, on purpose: unguarded, a spreadsheet reads
 * one as the number 33612345678 (the `+` dropped, often shown as 3.36E+10); with the `'` it
 * stays text, the `+` and every digit kept. So one rule holds for every cell, and undoing it
 * is one rule too: drop a `'` that precedes one of those six characters at the start of a
 * cell. Numbers (segments) are written as numbers.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "string" && /^[=+\-@\t\r]/.test(v) ? `'${v}` : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const iso = (d: Date | string | null | undefined) =>
  d ? (d instanceof Date ? d : new Date(d)).toISOString() : null;

function masked(row: ExportRow, mask: boolean): ExportRow {
  if (!mask) return row;
  const text = row.text === null ? null : `[${String(row.text).length} characters]`;
  return {
    ...row,
    phone: row.phone ? maskPhone(String(row.phone)) : null,
    contact_name: row.contact_name ? "[masked]" : null,
    text,
  };
}

/** Streams the export through `write`; returns the number of rows. */
export async function exportRows(
  db: Db,
  o: ExportOptions,
  write: (chunk: string) => Promise<void>,
): Promise<number> {
  // 500 rows a page: a page's rows die young. With 2,000, they lived through the page's write
  // into the old generation, which a process without the deployed node flags (a person's
  // `ardary-bridge export`) let grow: peak RSS 205 MB over 1,000,000 SMS, 184-186 MB with 500
  // (bench figure 10, bound 200 MB).
  const pageSize = o.pageSize ?? 500;
  const line = (row: ExportRow) =>
    o.format === "csv"
      ? `${COLUMNS.map((c) => csvCell(row[c])).join(",")}\n`
      : `${JSON.stringify(row)}\n`;
  // The byte-order mark: without it Excel reads the UTF-8 file as the system's code page (é → Ã©).
  if (o.format === "csv") await write(`\uFEFF${COLUMNS.join(",")}\n`);
  let count = 0;
  const time = sql`coalesce(${messages.receivedAt}, ${messages.createdAt})`;
  const filters = [
    o.since ? gte(messages.createdAt, o.since) : undefined,
    o.until ? lt(messages.createdAt, o.until) : undefined,
    o.phone ? eq(conversations.phone, o.phone) : undefined,
  ];
  for (let last = 0; ; ) {
    const page = await db
      .select({
        id: messages.id,
        time,
        direction: messages.direction,
        phone: conversations.phone,
        first: contacts.firstName,
        lastName: contacts.lastName,
        author: messages.author,
        authorId: messages.authorId,
        platform: conversations.platform,
        thread: conversations.threadRef,
        threadUrl: conversations.threadUrl,
        text: messages.body,
        status: messages.status,
        sentAt: messages.sentAt,
        receivedAt: messages.receivedAt,
        createdAt: messages.createdAt,
        codes: messages.providerCodes,
        error: messages.error,
        segments: messages.segments,
      })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .leftJoin(contacts, eq(contacts.phone, conversations.phone))
      .where(and(gt(messages.id, last), ...filters))
      .orderBy(asc(messages.id))
      .limit(pageSize);
    if (page.length === 0) break;
    last = page[page.length - 1]?.id ?? last;
    const history = new Map<number, { status: string; at: string }[]>();
    if (o.format === "jsonl") {
      // An outbound SMS's statuses are its history; an inbound one's is its one status (below).
      const ids = page.filter((m) => m.direction === "out").map((m) => m.id);
      const steps =
        ids.length === 0
          ? []
          : await db
              .select()
              .from(messageStatuses)
              .where(inArray(messageStatuses.messageId, ids))
              .orderBy(asc(messageStatuses.id));
      for (const s of steps) {
        const list = history.get(s.messageId) ?? [];
        list.push({ status: s.status, at: iso(s.at) ?? "" });
        history.set(s.messageId, list);
      }
    }
    let chunk = "";
    for (const m of page) {
      const name = [m.first, m.lastName].filter(Boolean).join(" ");
      const statusTime =
        m.direction === "in"
          ? m.receivedAt
          : ((m.status === "received" ? m.receivedAt : m.status === "sent" ? m.sentAt : null) ??
            m.sentAt ??
            m.createdAt);
      const row: ExportRow = {
        time: iso(m.time as Date | string),
        direction: m.direction,
        phone: m.phone,
        contact_name: name || null,
        author_id: m.direction === "out" ? m.authorId : null,
        author_name: m.direction === "out" ? m.author : null,
        platform: m.platform,
        thread_link: m.threadUrl,
        thread_ref: m.thread,
        text: m.text,
        status: m.status,
        status_time: iso(statusTime),
        provider_code: m.codes?.join(" ") || null,
        error: m.error,
        segments: m.segments,
      };
      if (o.format === "jsonl")
        row.history =
          m.direction === "in"
            ? [{ status: m.status, at: iso(statusTime) ?? "" }]
            : (history.get(m.id) ?? []);
      chunk += line(masked(row, o.mask));
    }
    await write(chunk);
    count += page.length;
  }
  return count + (await exportEvents(db, o, pageSize, (r) => line(masked(r, o.mask)), write));
}

type EventPayload = { kind?: string; phone?: string; link?: string; at?: string; ref?: string };

/** Clicks and calls, one row each, from the stored callbacks. */
async function exportEvents(
  db: Db,
  o: ExportOptions,
  pageSize: number,
  line: (row: ExportRow) => string,
  write: (chunk: string) => Promise<void>,
): Promise<number> {
  let count = 0;
  const at = sql`(${events.payload}->>'at')::timestamptz`;
  const filters = [
    inArray(events.kind, ["click", "call"]),
    o.since ? sql`${at} >= ${o.since.toISOString()}::timestamptz` : undefined,
    o.until ? sql`${at} < ${o.until.toISOString()}::timestamptz` : undefined,
    o.phone ? sql`${events.payload}->>'phone' = ${o.phone}` : undefined,
  ];
  for (let last = 0; ; ) {
    const page = await db
      .select({
        id: events.id,
        kind: events.kind,
        payload: events.payload,
        first: contacts.firstName,
        lastName: contacts.lastName,
        platform: conversations.platform,
        thread: conversations.threadRef,
        threadUrl: conversations.threadUrl,
      })
      .from(events)
      .leftJoin(contacts, sql`${contacts.phone} = ${events.payload}->>'phone'`)
      .leftJoin(
        conversations,
        sql`${conversations.id} = (select c.id from conversations c where c.phone = ${events.payload}->>'phone' order by c.last_activity_at desc limit 1)`,
      )
      .where(and(gt(events.id, last), ...filters))
      .orderBy(asc(events.id))
      .limit(pageSize);
    if (page.length === 0) break;
    last = page[page.length - 1]?.id ?? last;
    let chunk = "";
    for (const e of page) {
      const p = e.payload as EventPayload;
      const name = [e.first, e.lastName].filter(Boolean).join(" ");
      chunk += line({
        time: iso(p.at),
        direction: e.kind,
        phone: p.phone ?? null,
        contact_name: name || null,
        author_id: null,
        author_name: null,
        platform: e.platform,
        thread_link: e.threadUrl,
        thread_ref: e.thread,
        text: e.kind === "click" ? (p.link ?? null) : null,
        status: null,
        status_time: null,
        provider_code: null,
        error: null,
        segments: null,
      });
    }
    await write(chunk);
    count += page.length;
  }
  return count;
}
