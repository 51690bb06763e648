// Contacts: names (and company, notes, any other imported column) by phone number, shown on
// the card and in the thread's title, and synced to the SMS provider's contacts by a job, in
// batches; each contact's result is kept, and a refusal shows on its card in words. A number
// that opted out (STOP) is never added. `ardary-bridge contacts import|list|export`.
import { and, asc, eq, inArray, isNotNull, or, sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { SmsProvider } from "../contracts/index.ts";
import * as consent from "../conversations/consent.ts";
import { CHAT_KEY_PREFIX, CONTACTS_JOB, chatJob } from "../conversations/kinds.ts";
import type { Db } from "../db/database.ts";
import { contacts, conversations, jobs } from "../db/schema.ts";
import { toE164 } from "../kernel/phone.ts";
import { enqueue, type NewJob } from "../queue/jobs.ts";

export type Contact = typeof contacts.$inferSelect;

/** Most contacts in one call of the provider. */
export const CONTACT_BATCH = 100;

/** The job that syncs the pending contacts (one at a time, whatever was changed). */
export const syncJob = (): NewJob => ({
  kind: CONTACTS_JOB.kind,
  orderingKey: "contacts",
  payload: {},
});

/** RFC 4180 CSV: quoted fields (with commas, quotes doubled, line breaks), CRLF or LF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (quoted) {
      field += ch;
    } else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else {
      field += ch;
    }
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows.filter((r) => r.some((f) => f.trim() !== ""));
}

const csvField = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

const PHONE = new Set(["phone", "phonenumber", "phone_number", "number", "mobile", "tel"]);

type Row = typeof contacts.$inferInsert;

/** A file's rows as contacts; rows without a usable number are listed with the reason. */
export function readContactsCsv(
  text: string,
  defaultCountry?: string,
): { rows: Row[]; problems: string[] } {
  const [header = [], ...lines] = parseCsv(text.replace(/^\uFEFF/, ""));
  const names = header.map((h) => h.trim().toLowerCase().replace(/\s+/g, "_"));
  const phoneAt = names.findIndex((n) => PHONE.has(n));
  if (phoneAt < 0) return { rows: [], problems: ["the header row has no phone column"] };
  const byPhone = new Map<string, Row>();
  const problems: string[] = [];
  lines.forEach((cells, i) => {
    const given = cells[phoneAt]?.trim() ?? "";
    const phone = toE164(given, defaultCountry);
    if (!phone) {
      const hint = defaultCountry ? "" : " (set PHONE_DEFAULT_COUNTRY to read national numbers)";
      problems.push(`line ${i + 2}: "${given}" is not a phone number${hint}`);
      return;
    }
    const row: Row = { phone, fields: {}, syncState: "pending", syncError: null };
    names.forEach((n, j) => {
      const v = cells[j]?.trim() ?? "";
      if (j === phoneAt || v === "") return;
      if (n === "name" || n === "full_name") Object.assign(row, splitName(v));
      else if (n === "first_name" || n === "firstname") row.firstName = v;
      else if (n === "last_name" || n === "lastname") row.lastName = v;
      else if (n === "company") row.company = v;
      else if (n === "notes") row.notes = v;
      else if (n === "email") row.email = v;
      else if (n === "address") row.address = v;
      else (row.fields as Record<string, string>)[n] = v;
    });
    byPhone.set(phone, row);
  });
  return { rows: [...byPhone.values()], problems };
}

/** A full name as the first word and the rest (null when empty). */
export function splitName(name: string): { firstName: string | null; lastName: string | null } {
  const [first = "", ...rest] = name.trim().split(/\s+/);
  return { firstName: first || null, lastName: rest.join(" ") || null };
}

/** Saves contacts (new or changed: to sync again) and queues their sync and their cards. */
export async function saveContacts(db: Db, rows: Row[]): Promise<number> {
  if (rows.length === 0) return 0;
  return db.transaction((tx) => saveContactsIn(tx, rows));
}

/**
 * The one way contacts are written (an import, the card's Edit contact, `contacts set`), in
 * the caller's transaction: each is synced to the provider again (the job is queued) and the
 * cards (and thread titles) of their conversations are updated. `replace`: the rows are the
 * contacts' whole details (an empty company or notes clears it); otherwise (an import) a
 * column the file leaves empty keeps its value.
 */
export async function saveContactsIn(tx: Db, rows: Row[], replace = false): Promise<number> {
  if (rows.length === 0) return 0;
  const kept = (column: string) =>
    replace
      ? sql.raw(`excluded.${column}`)
      : sql.raw(`coalesce(excluded.${column}, contacts.${column})`);
  for (let i = 0; i < rows.length; i += 500) {
    await tx
      .insert(contacts)
      .values(rows.slice(i, i + 500))
      .onConflictDoUpdate({
        target: contacts.phone,
        set: {
          firstName: sql`excluded.first_name`,
          lastName: sql`excluded.last_name`,
          company: kept("company"),
          notes: kept("notes"),
          email: kept("email"),
          address: kept("address"),
          fields: sql`coalesce(contacts.fields, '{}'::jsonb) || coalesce(excluded.fields, '{}'::jsonb)`,
          syncState: "pending",
          syncError: null,
        },
      });
  }
  await enqueue(
    tx,
    syncJob(),
    ...(await cardJobs(
      tx,
      rows.map((r) => r.phone),
    )),
  );
  return rows.length;
}

/**
 * Card updates for the conversations of these numbers (their name or sync result changed): those
 * with a thread, and those whose thread is being opened (a chat job waits on their key: the card
 * update goes behind it, or the card posted from facts read before this change would keep them).
 */
async function cardJobs(db: Db, phones: string[]): Promise<NewJob[]> {
  if (phones.length === 0) return [];
  const opening = sql`exists (select 1 from ${jobs} where ${jobs.orderingKey} = ${CHAT_KEY_PREFIX} || ${conversations.id}
    and ${jobs.state} <> 'dead')`;
  const convs = await db
    .select()
    .from(conversations)
    .where(
      and(inArray(conversations.phone, phones), or(isNotNull(conversations.threadRef), opening)),
    );
  return convs.flatMap((c) => chatJob(c, { type: "card" }));
}

/** The `contacts.sync` job: every pending contact, in batches, each result kept. */
export function createContactSync(o: {
  db: Db;
  provider: Pick<SmsProvider, "addContacts">;
  log: Logger;
}) {
  return async function sync(): Promise<void> {
    for (;;) {
      const batch = await o.db
        .select()
        .from(contacts)
        .where(eq(contacts.syncState, "pending"))
        .orderBy(asc(contacts.phone))
        .limit(CONTACT_BATCH);
      if (batch.length === 0) return;
      const optedOut = await consent.optedOutAmong(
        o.db,
        batch.map((c) => c.phone),
      );
      const send = batch.filter((c) => !optedOut.has(c.phone));
      // A provider failure throws: the batch stays pending and the job is tried again.
      const results = await o.provider.addContacts(
        send.map((c) => ({
          phone: c.phone,
          firstName: c.firstName ?? undefined,
          lastName: c.lastName ?? undefined,
          email: c.email ?? undefined,
          address: c.address ?? undefined,
        })),
      );
      await o.db.transaction(async (tx) => {
        const set = (phones: string[], values: Partial<Row>) =>
          phones.length > 0
            ? tx.update(contacts).set(values).where(inArray(contacts.phone, phones))
            : undefined;
        await set([...optedOut], {
          syncState: "skipped",
          syncError: "opted out (STOP): not added to the provider's contacts",
        });
        await set(
          results.filter((r) => r.ok).map((r) => r.phone),
          { syncState: "ok", syncError: null, syncedAt: new Date() },
        );
        const failed = results.filter((r) => !r.ok);
        for (const r of failed) {
          if (r.ok) continue;
          await set([r.phone], { syncState: "failed", syncError: r.reason });
        }
        await enqueue(
          tx,
          ...(await cardJobs(
            tx,
            failed.map((r) => r.phone),
          )),
        );
      });
      o.log.info(
        { added: results.filter((r) => r.ok).length, refused: results.filter((r) => !r.ok).length },
        "contacts synced",
      );
    }
  };
}

export async function listContacts(db: Db): Promise<Contact[]> {
  return db.select().from(contacts).orderBy(asc(contacts.phone));
}

/** `ardary-bridge contacts import <file>|list|export`. */
export async function contactsCli(
  db: Db,
  args: string[],
  readFile: (path: string) => Promise<string>,
  defaultCountry?: string,
): Promise<{ lines: string[]; code: number }> {
  const [verb = "list", file] = args;
  if (verb === "import") {
    if (!file) return { lines: [CONTACTS_HELP], code: 2 };
    const { rows, problems } = readContactsCsv(await readFile(file), defaultCountry);
    const saved = await saveContacts(db, rows);
    return {
      lines: [`imported ${saved} contact(s); they are being added to the provider`, ...problems],
      code: saved > 0 || problems.length === 0 ? 0 : 1,
    };
  }
  const all = await listContacts(db);
  if (verb === "export") {
    const keys = [...new Set(all.flatMap((c) => Object.keys(c.fields ?? {})))].sort();
    const head = ["phone", "name", "company", "notes", "email", "address", ...keys, "sync"];
    const lines = all.map((c) =>
      [
        c.phone,
        [c.firstName, c.lastName].filter(Boolean).join(" "),
        c.company ?? "",
        c.notes ?? "",
        c.email ?? "",
        c.address ?? "",
        ...keys.map((k) => c.fields?.[k] ?? ""),
        c.syncState === "failed" ? `failed: ${c.syncError ?? ""}` : c.syncState,
      ]
        .map(csvField)
        .join(","),
    );
    return { lines: [head.join(","), ...lines], code: 0 };
  }
  if (verb !== "list") return { lines: [CONTACTS_HELP], code: 2 };
  if (all.length === 0) return { lines: ["no contacts"], code: 0 };
  return {
    lines: all.map(
      (c) =>
        `${c.phone.padEnd(16)} ${[c.firstName, c.lastName].filter(Boolean).join(" ") || "-"}${c.company ? ` (${c.company})` : ""}  ${c.syncState}${c.syncError ? `: ${c.syncError}` : ""}`,
    ),
    code: 0,
  };
}

export const CONTACTS_HELP = `Usage: ardary-bridge contacts import <file.csv>
       ardary-bridge contacts list
       ardary-bridge contacts export > contacts.csv
       ardary-bridge contacts set <number> [--name <name>] [--company <company>] [--notes <notes>]

import: a header row, then one contact per line: a phone column (phone, number, mobile), name
(or first_name, last_name), company, notes, email, address; any other column is kept as is.
National numbers are read in PHONE_DEFAULT_COUNTRY (an ISO code, e.g. FR). Cards and thread
titles show the names; every new or changed contact is added to the SMS provider's contacts
in batches (a number that opted out never is), and a refusal shows on its card.

set: changes one contact (an option left out keeps its value; "" clears it), as the card's
Edit contact button does: its cards and thread titles show it, and it is synced again.`;
