// Who owns a conversation (Claim, Release, Assign) and which ones wait for an answer: a
// customer's SMS starts the wait, a person's SMS ends it. `/sms queue` and
// `ardary-bridge conversations --unanswered` list the waiting ones, oldest first.

import { and, asc, eq, getTableColumns, isNotNull, isNull, sql } from "drizzle-orm";
import { type Catalogue, fill, wordsOf } from "../contracts/index.ts";
import type { ActionHandler, CommandContext } from "../conversations/features.ts";
import { chatJob } from "../conversations/kinds.ts";
import type * as store from "../conversations/store.ts";
import type { Db } from "../db/database.ts";
import { conversations } from "../db/schema.ts";
import { formatPhone } from "../kernel/phone.ts";
import { formatInZone } from "../kernel/time.ts";
import type { NewJob } from "../queue/jobs.ts";

/**
 * Customers' SMS came in: each conversation that did not wait yet waits since its own first
 * SMS of the batch (`since`: conversation id → that SMS's time), in one statement.
 */
export async function markWaiting(tx: Db, since: Map<number, Date>): Promise<store.Conversation[]> {
  if (since.size === 0) return [];
  // The waits as JSON, joined once: a statement of the same text whatever their number
  // (src/db/pg-prepare.ts).
  const waits = sql`jsonb_to_recordset(${JSON.stringify([...since].map(([id, at]) => ({ id, at })))}::jsonb)
    as w(id int, at timestamptz)`;
  return tx
    .update(conversations)
    .set({ waitingSince: sql`w.at` })
    .from(waits)
    .where(and(sql`w.id = ${conversations.id}`, isNull(conversations.waitingSince)))
    .returning(getTableColumns(conversations));
}

/** A person answered: the conversation no longer waits. True when it did. */
export async function answered(tx: Db, id: number): Promise<boolean> {
  const rows = await tx
    .update(conversations)
    .set({ waitingSince: null })
    .where(and(eq(conversations.id, id), isNotNull(conversations.waitingSince)))
    .returning({ id: conversations.id });
  return rows.length > 0;
}

/** Open conversations waiting for an answer, oldest wait first. */
export async function unanswered(db: Db, platform?: string): Promise<store.Conversation[]> {
  return db
    .select()
    .from(conversations)
    .where(
      and(
        isNotNull(conversations.waitingSince),
        eq(conversations.open, true),
        platform ? eq(conversations.platform, platform) : sql`true`,
      ),
    )
    .orderBy(asc(conversations.waitingSince), asc(conversations.id))
    .limit(100);
}

async function setOwner(tx: Db, id: number, owner: string | null) {
  await tx.update(conversations).set({ ownerId: owner }).where(eq(conversations.id, id));
}

const card = (conv: store.Conversation) => chatJob(conv, { type: "card" });

function since(at: Date, now = Date.now(), w: Catalogue = wordsOf()): string {
  const min = Math.max(0, Math.round((now - at.getTime()) / 60_000));
  const q = w.queue;
  if (min < 60) return fill(q.minutes, { min });
  const h = Math.floor(min / 60);
  return h < 48 ? fill(q.hours, { h, min: min % 60 }) : fill(q.days, { days: Math.floor(h / 24) });
}

/** `/sms queue`: what waits for an answer here, oldest first, with links to the threads. */
export async function queueCommand(team: CommandContext, platform: string): Promise<string> {
  const list = await unanswered(team.db, platform);
  const w = wordsOf(team.config.language);
  const q = w.queue;
  if (list.length === 0) return q.none;
  const lines = list.map((c) => {
    const where = c.threadRef ? team.chat.threadLink(platform, c.threadRef) : q.notOpen;
    const owner = c.ownerId ? fill(q.owner, { owner: c.ownerId }) : q.nobody;
    const waited = since(c.waitingSince ?? new Date(), Date.now(), w);
    return fill(q.line, { phone: formatPhone(c.phone), since: waited, owner, where });
  });
  // Bold in the core's markup: each platform says it its own way (Bridge.onCommand).
  return [fill(q.title, { count: list.length }), ...lines].join("\n");
}

/** `ardary-bridge conversations --unanswered`; times in `timeZone`. */
export async function unansweredLines(db: Db, timeZone: string): Promise<string[]> {
  const list = await unanswered(db);
  if (list.length === 0) return ["no conversation is waiting for an answer"];
  return list.map(
    (c) =>
      `#${c.id}  ${formatPhone(c.phone).padEnd(18)} waiting since ${formatInZone(c.waitingSince ?? new Date(), timeZone)} (${since(c.waitingSince ?? new Date())})  ${c.platform}${c.ownerId ? `  owner ${c.ownerId}` : ""}  ${c.threadRef ?? ""}`,
  );
}

/** The Claim, Release and Assign buttons. */
export const ASSIGN_ACTIONS: Record<string, ActionHandler> = {
  async claim(tx, conv, { author, authorId }, _log, w) {
    if (!authorId || conv.ownerId === authorId) return [];
    await setOwner(tx, conv.id, authorId);
    return [
      ...chatJob(conv, { type: "note", text: fill(w.notes.claimed, { author }) }),
      ...card(conv),
    ];
  },
  async release(tx, conv, { author }, _log, w) {
    if (!conv.ownerId) return [];
    await setOwner(tx, conv.id, null);
    return [
      ...chatJob(conv, {
        type: "note",
        text: fill(w.notes.released, { author }),
      }),
      ...card(conv),
    ];
  },
  async assign(tx, conv, { author, value }, _log, w): Promise<NewJob[]> {
    if (!value || conv.ownerId === value) return [];
    await setOwner(tx, conv.id, value);
    return [
      ...chatJob(conv, {
        type: "note",
        text: fill(w.notes.assigned, { author }),
        mention: value,
      }),
      ...card(conv),
    ];
  },
};
