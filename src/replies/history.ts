// A customer's past conversations: `/sms history <number or name>` (ephemeral) and
// `ardary-bridge history …` / `conversations --phone N | --name X`: each thread of the number
// (platform, channel, thread reference), its state, and its last messages with their statuses.
// Times in the provider's zone (the CLI's `--utc`: UTC), the zone said.
import { desc, eq, ilike, inArray, or, sql } from "drizzle-orm";
import * as consent from "../conversations/consent.ts";
import type { ChatCommand } from "../conversations/features.ts";
import type { Db } from "../db/database.ts";
import { contacts, conversations, messages } from "../db/schema.ts";
import { formatPhone, toE164 } from "../kernel/phone.ts";
import { formatInZone } from "../kernel/time.ts";

export const HISTORY_USAGE = "/sms history <number or name>  (a customer's threads and last SMS)";

const LAST = 5;

/** The numbers a query names: a phone number, else contacts whose name contains it. */
async function phonesFor(db: Db, query: string): Promise<string[]> {
  const q = query.trim();
  if (/^[+\d][\d\s().-]{5,}$/.test(q)) {
    const phone = toE164(q);
    return phone ? [phone] : [];
  }
  const like = `%${q.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
  const rows = await db
    .select({ phone: contacts.phone })
    .from(contacts)
    .where(
      or(
        ilike(contacts.firstName, like),
        ilike(contacts.lastName, like),
        ilike(
          sql`coalesce(${contacts.firstName}, '') || ' ' || coalesce(${contacts.lastName}, '')`,
          like,
        ),
      ),
    )
    .limit(10);
  return rows.map((r) => r.phone);
}

/** Lines describing every conversation of the numbers the query names; times in `timeZone`. */
export async function historyLines(db: Db, query: string, timeZone: string): Promise<string[]> {
  const when = (d: Date) => formatInZone(d, timeZone);
  if (query.trim() === "") return [`Usage: ${HISTORY_USAGE}`];
  const phones = await phonesFor(db, query);
  const convs = phones.length
    ? await db
        .select()
        .from(conversations)
        .where(inArray(conversations.phone, phones))
        .orderBy(desc(conversations.lastActivityAt))
    : [];
  if (convs.length === 0) return [`No conversation found for "${query.trim()}".`];
  const lines: string[] = [];
  for (const c of convs) {
    const [contact] = await db.select().from(contacts).where(eq(contacts.phone, c.phone));
    const name = [contact?.firstName, contact?.lastName].filter(Boolean).join(" ");
    const refusal = await consent.refusalOf(db, c.phone);
    const state = [c.open ? "open" : "closed", refusal ? `not textable: ${refusal}` : ""]
      .filter(Boolean)
      .join(", ");
    const where =
      c.platform === "none"
        ? "no chat platform"
        : `${c.platform} ${c.channel ?? "?"}, thread ${c.threadRef ?? "not opened yet"}`;
    lines.push(
      `#${c.id} ${formatPhone(c.phone)}${name ? ` (${name})` : ""}: ${where}; ${state}; last ${when(c.lastActivityAt)}`,
    );
    const last = await db
      .select()
      .from(messages)
      .where(eq(messages.conversationId, c.id))
      .orderBy(desc(messages.id))
      .limit(LAST);
    for (const m of last.reverse()) {
      const text = m.body.length > 80 ? `${m.body.slice(0, 79)}…` : m.body;
      const arrow = m.direction === "in" ? "←" : "→";
      const by = m.direction === "out" && m.author ? ` ${m.author}` : "";
      lines.push(`  ${when(m.createdAt)} ${arrow} ${m.status}${by}: ${text}`);
    }
  }
  return lines;
}

/** `/sms history …`. */
export const HISTORY_COMMAND: ChatCommand = {
  name: "history",
  usage: HISTORY_USAGE,
  run: async (_input, args, ctx) =>
    (await historyLines(ctx.db, args, ctx.config.timeZone)).join("\n"),
};
