// The conversations' rows: conversations, messages, routes, contacts, settings and the events a
// chat press or reply claims. Data only: cards are built in cards.ts, consent is in consent.ts.
import { and, count, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { MessageStatus, Platform } from "../contracts/index.ts";
import { type Db, rowsOf } from "../db/database.ts";
import { contacts, conversations, events, messages, routes, settings } from "../db/schema.ts";
import { isBlocked, isOptedOut } from "./consent.ts";

export type Conversation = typeof conversations.$inferSelect;
export type Message = typeof messages.$inferSelect;
export type NewMessage = typeof messages.$inferInsert;

/** Where new conversations go when no route matches: the default channel of each platform. */
export type Defaults = Partial<Record<Platform, string>>;

type Route = typeof routes.$inferSelect;

/** The most specific route (the longest pattern that starts the number), else the default. */
export function pickRoute(
  all: Route[],
  phone: string,
  defaults: Defaults,
  platform?: Platform,
): { platform: string; channel: string | null } {
  let best: Route | undefined;
  for (const r of all) {
    if (!phone.startsWith(r.pattern) || (platform && r.platform !== platform)) continue;
    if (!best || r.pattern.length > best.pattern.length) best = r;
  }
  if (best) return { platform: best.platform, channel: best.channel };
  const order = platform ? [platform] : (Object.keys(defaults) as Platform[]);
  for (const p of order) {
    const channel = defaults[p];
    if (channel) return { platform: p, channel };
  }
  return { platform: platform ?? "none", channel: null };
}

/** Whether a route sends conversations to this channel of this platform. */
export async function isRouteChannel(db: Db, platform: Platform, channel: string) {
  const [row] = await db
    .select({ n: count() })
    .from(routes)
    .where(and(eq(routes.platform, platform), eq(routes.channel, channel)));
  return Number(row?.n ?? 0) > 0;
}

/** The route that holds `phone` on `platform` (the longest prefix), if any. */
function routeOf(all: Route[], phone: string, platform: Platform): Route | undefined {
  let best: Route | undefined;
  for (const r of all) {
    if (r.platform !== platform || !phone.startsWith(r.pattern)) continue;
    if (!best || r.pattern.length > best.pattern.length) best = r;
  }
  return best;
}

/**
 * The sender name of the route that holds this number on this platform; undefined when that
 * route names none (or none holds it): the provider's default then.
 */
export async function routeSender(
  db: Db,
  phone: string,
  platform: Platform,
): Promise<string | undefined> {
  return routeOf(await routesFor(db, [phone]), phone, platform)?.sender ?? undefined;
}

/** The routes that could match any of these numbers (one query, however many numbers). */
async function routesFor(db: Db, phones: string[]): Promise<Route[]> {
  const list = sql.join(
    phones.map((p) => sql`${p}`),
    sql`, `,
  );
  return db
    .select()
    .from(routes)
    .where(sql`exists (select 1 from unnest(array[${list}]::text[]) as p(phone)
      where p.phone like ${routes.pattern} || '%')`);
}

/**
 * The conversation of each number, keyed by phone: with `platform`, the one on that platform;
 * otherwise its home, the most recently active on a platform that is on, else a new one where the
 * routes (or the default platform) say. A number keeps one home thread whatever the routes do.
 */
export async function ensureConversations(
  db: Db,
  phones: string[],
  defaults: Defaults,
  platform?: Platform,
): Promise<Map<string, Conversation>> {
  const unique = [...new Set(phones)];
  if (unique.length === 0) return new Map();
  const homes = new Map<string, Conversation>();
  const on = Object.keys(defaults);
  if (!platform && on.length > 0) {
    const found = await db
      .update(conversations)
      .set({ lastActivityAt: sql`now()` })
      // The numbers and platforms as JSON: a statement of the same text whatever their number,
      // prepared once per connection (src/db/pg-prepare.ts).
      .where(
        sql`${conversations.id} in (select distinct on (phone) id from conversations
          where phone in (select jsonb_array_elements_text(${JSON.stringify(unique)}::jsonb))
            and platform in (select jsonb_array_elements_text(${JSON.stringify(on)}::jsonb))
          order by phone, last_activity_at desc, id desc)`,
      )
      .returning();
    for (const c of found) homes.set(c.phone, c);
  }
  const rest = unique.filter((p) => !homes.has(p));
  if (rest.length === 0) return homes;
  const all = await routesFor(db, rest);
  const rows = await db
    .insert(conversations)
    .values(rest.map((phone) => ({ phone, ...pickRoute(all, phone, defaults, platform) })))
    .onConflictDoUpdate({
      target: [conversations.phone, conversations.platform],
      set: { lastActivityAt: sql`now()` },
    })
    .returning();
  for (const r of rows) homes.set(r.phone, r);
  return homes;
}

/**
 * Inbound SMS, stored in one statement of fixed text, prepared once per connection whatever their
 * number (src/db/pg-prepare.ts; a row of parameters per SMS made a new statement each time, up
 * to 200 rows of them in an inbox round). Their ids, in the order given: the rows are inserted in
 * that order, and the sequence hands ids out in the order rows are inserted.
 */
export async function insertInbound(
  db: Db,
  list: { conversationId: number; body: string; at: Date; optIntent: "in" | "out" | null }[],
): Promise<number[]> {
  if (list.length === 0) return [];
  const rows = list.map((m, n) => ({
    n,
    conversation_id: m.conversationId,
    body: m.body,
    received_at: m.at,
    opt_intent: m.optIntent,
  }));
  const ids = rowsOf<{ id: string | number }>(
    await db.execute(sql`insert into messages
        (conversation_id, direction, body, status, received_at, opt_intent)
      select r.conversation_id, 'in', r.body, 'received', r.received_at, r.opt_intent
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(n int, conversation_id int,
        body text, received_at timestamptz, opt_intent text)
      order by r.n
      returning id`),
  );
  return ids.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/** The conversation of this number on the routed platform, made if new. */
export async function ensureConversation(
  db: Db,
  phone: string,
  defaults: Defaults,
  platform?: Platform,
): Promise<Conversation> {
  const row = (await ensureConversations(db, [phone], defaults, platform)).get(phone);
  if (!row) throw new Error("conversation upsert returned nothing");
  return row;
}

export async function getConversation(db: Db, id: number): Promise<Conversation | undefined> {
  const [row] = await db.select().from(conversations).where(eq(conversations.id, id));
  return row;
}

export async function findConversationByThread(
  db: Db,
  platform: Platform,
  threadRef: string,
): Promise<Conversation | undefined> {
  const [row] = await db
    .select()
    .from(conversations)
    .where(and(eq(conversations.platform, platform), eq(conversations.threadRef, threadRef)));
  return row;
}

export async function getConversations(db: Db, ids: number[]): Promise<Conversation[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(conversations)
    .where(inArray(conversations.id, [...new Set(ids)]));
}

export interface Submitted {
  id: number;
  segments: number;
  encoding: string;
}

/**
 * Records the provider's acceptance of a batch in one statement. A status callback may have
 * overtaken the answer: the status never moves backwards.
 */
export async function recordSubmitted(db: Db, list: Submitted[]): Promise<void> {
  if (list.length === 0) return;
  const values = sql.join(
    list.map((s) => sql`(${s.id}::bigint, ${s.segments}::int, ${s.encoding}::text)`),
    sql`, `,
  );
  await db.execute(sql`
    update messages set
      status = case when messages.status = 'queued' then 'submitted' else messages.status end,
      segments = v.segments, encoding = v.encoding
    from (values ${values}) as v(id, segments, encoding)
    where messages.id = v.id`);
}

/** Records a chat event once; false when its key was seen before (a platform's retry). */
export async function claimEvent(db: Db, key: string, kind: string, payload: object) {
  const [fresh] = await db
    .insert(events)
    .values({ dedupeKey: key, kind, payload })
    .onConflictDoNothing()
    .returning({ id: events.id });
  return fresh !== undefined;
}

/**
 * A person's press of a card's button, or a form they submitted: its event claimed once (a
 * replayed request does nothing) and its conversation, if it is on the platform it came from.
 */
export async function claimInput(
  tx: Db,
  kind: "action" | "form",
  input: { platform: Platform; eventId?: string; action: string; conversationId: number },
): Promise<Conversation | undefined> {
  const { action, conversationId } = input;
  const key = `${kind}:${input.platform}:${input.eventId}`;
  if (input.eventId && !(await claimEvent(tx, key, `chat-${kind}`, { action, conversationId })))
    return undefined;
  const conv = await getConversation(tx, conversationId);
  return conv?.platform === input.platform ? conv : undefined;
}

export async function insertMessage(db: Db, values: NewMessage): Promise<Message | undefined> {
  const [row] = await db.insert(messages).values(values).onConflictDoNothing().returning();
  return row;
}

/** The last SMS the bridge sent or tried to send (the setup page's "last send"). */
export async function lastOutbound(db: Db) {
  const [m] = await db
    .select({ status: messages.status, error: messages.error, createdAt: messages.createdAt })
    .from(messages)
    .where(eq(messages.direction, "out"))
    .orderBy(desc(messages.id))
    .limit(1);
  return m;
}

export async function getMessage(db: Db, id: number): Promise<Message | undefined> {
  const [row] = await db.select().from(messages).where(eq(messages.id, id));
  return row;
}

/** The outbound SMS with our reference `ref` (a status callback names it). */
export async function findMessageByRef(db: Db, ref: string) {
  const [row] = await db.select().from(messages).where(eq(messages.clientRef, ref));
  return row;
}

/** An SMS that failed without leaving goes back to queued, with the same reference. */
export async function requeueMessage(db: Db, id: number): Promise<Message | undefined> {
  const [row] = await db
    .update(messages)
    .set({ status: "queued", error: null, providerCodes: null })
    .where(and(eq(messages.id, id), inArray(messages.status, ["queued", "failed", "unknown"])))
    .returning();
  return row;
}

/** Cancels a scheduled SMS that has not left; returns it, or undefined when it had. */
export async function cancelMessage(db: Db, id: number): Promise<Message | undefined> {
  const [row] = await db
    .update(messages)
    .set({ status: "cancelled" })
    .where(and(eq(messages.id, id), eq(messages.status, "queued")))
    .returning();
  return row;
}

/** A queued SMS gets a new time to leave (a marketing SMS that came due outside its hours). */
export async function rescheduleMessage(db: Db, id: number, sendAt: Date) {
  await db
    .update(messages)
    .set({ sendAt })
    .where(and(eq(messages.id, id), eq(messages.status, "queued")));
}

/** The provider's answer never came: the SMS may or may not have left. */
export async function markUnknown(db: Db, id: number, reason: string) {
  await db
    .update(messages)
    .set({ status: "unknown", error: reason })
    .where(and(eq(messages.id, id), eq(messages.status, "queued")));
}

/** Marks an SMS failed, with the provider's codes and the reason in words. */
export async function failMessage(db: Db, id: number, codes: string[], error: string) {
  await db
    .update(messages)
    .set({ status: "failed", providerCodes: codes, error })
    .where(eq(messages.id, id));
}

/** The SMS a person's chat message caused (not the bridge's own posts, which merge several). */
export async function findMessageByChatRef(db: Db, chatRef: string) {
  const [row] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.chatRef, chatRef), eq(messages.ownPost, false)));
  return row;
}

export async function getMessages(db: Db, ids: number[]): Promise<Message[]> {
  if (ids.length === 0) return [];
  return db.select().from(messages).where(inArray(messages.id, ids)).orderBy(messages.id);
}

const RANK: Record<MessageStatus, number> = {
  queued: 0,
  submitted: 1,
  unknown: 1,
  sent: 2,
  received: 3,
  failed: 4,
  cancelled: 4,
};

/**
 * Records a delivery status. The status only moves forward (a `received` that came before its
 * `sent` stays `received`), but the time of each step is kept whatever the order.
 */
export async function recordDelivery(
  db: Db,
  id: number,
  status: "sent" | "received",
  at: Date,
): Promise<void> {
  const ranks = Object.entries(RANK)
    .filter(([, r]) => r < RANK[status])
    .map(([s]) => s as MessageStatus);
  await db
    .update(messages)
    .set({
      status: sql`case when ${inArray(messages.status, ranks)} then ${status} else ${messages.status} end`,
      ...(status === "sent"
        ? { sentAt: sql`coalesce(${messages.sentAt}, ${at.toISOString()}::timestamptz)` }
        : { receivedAt: sql`coalesce(${messages.receivedAt}, ${at.toISOString()}::timestamptz)` }),
    })
    .where(eq(messages.id, id));
}

/** Opens or closes a conversation; a close is dated (the reports count closes by period). */
export async function setConversationOpen(db: Db, id: number, open: boolean) {
  await db
    .update(conversations)
    .set(open ? { open } : { open, closedAt: sql`now()` })
    .where(eq(conversations.id, id));
}

/**
 * Records the thread just opened for a conversation (and its address a person can open, when the
 * platform gave one), if it is still in the channel it was opened for (`channel`): a route's
 * `--move` may have taken it elsewhere while the thread opened. Then false, and the thread is
 * kept as the one the conversation's next thread links to.
 */
export async function setThread(
  db: Db,
  id: number,
  threadRef: string,
  previous: string | null,
  threadUrl: string | null,
  channel: string | null,
): Promise<boolean> {
  const kept = await db
    .update(conversations)
    .set({ threadRef, previousThreadRef: previous, threadUrl })
    .where(
      and(eq(conversations.id, id), sql`${conversations.channel} is not distinct from ${channel}`),
    )
    .returning({ id: conversations.id });
  if (kept.length > 0) return true;
  await db
    .update(conversations)
    .set({ previousThreadRef: sql`coalesce(${conversations.previousThreadRef}, ${threadRef})` })
    .where(and(eq(conversations.id, id), isNull(conversations.threadRef)));
  return false;
}

/** The address a person can open of the conversation's thread, if it is still that thread. */
export async function setThreadUrl(db: Db, id: number, threadRef: string, url: string) {
  await db
    .update(conversations)
    .set({ threadUrl: url })
    .where(and(eq(conversations.id, id), eq(conversations.threadRef, threadRef)));
}

/** What a conversation's card shows, as rows (src/conversations/cards.ts builds the card). */
export interface CardFacts {
  contact: typeof contacts.$inferSelect | undefined;
  last: Message | undefined;
  /** The first SMS, posted with the card itself (its chat ref is the thread's). */
  first: Message | undefined;
  blocked: boolean;
  optedOut: boolean;
  /** The sender name of the number's route, if it names one. */
  routeSender: string | undefined;
}

export async function cardFacts(db: Db, conv: Conversation): Promise<CardFacts> {
  const [contact] = await db.select().from(contacts).where(eq(contacts.phone, conv.phone));
  const [last] = await db
    .select()
    .from(messages)
    .where(eq(messages.conversationId, conv.id))
    .orderBy(desc(messages.id))
    .limit(1);
  const [first] = conv.threadRef
    ? await db
        .select()
        .from(messages)
        .where(and(eq(messages.conversationId, conv.id), eq(messages.chatRef, conv.threadRef)))
        .limit(1)
    : [];
  return {
    contact,
    last,
    first,
    blocked: await isBlocked(db, conv.phone),
    optedOut: await isOptedOut(db, conv.phone),
    routeSender: await routeSender(db, conv.phone, conv.platform),
  };
}

/** New conversations of a channel still waiting for their thread (a backlog). */
export async function waitingForThread(db: Db, platform: string, channel: string | null) {
  const [row] = await db
    .select({ n: count() })
    .from(conversations)
    .where(
      and(
        eq(conversations.platform, platform),
        channel === null ? isNull(conversations.channel) : eq(conversations.channel, channel),
        isNull(conversations.threadRef),
      ),
    );
  return row?.n ?? 0;
}

/** Sets a setting, or raises it when `onlyGreater` and the stored value is a smaller number. */
export async function putSetting(db: Db, key: string, value: string, onlyGreater = false) {
  await db.execute(sql`insert into settings (key, value) values (${key}, ${value})
    on conflict (key) do update set value = excluded.value
    where ${!onlyGreater} or settings.value::numeric < excluded.value::numeric`);
}

export async function getSetting(db: Db, key: string): Promise<string | undefined> {
  const [row] = await db.select().from(settings).where(eq(settings.key, key));
  return row?.value;
}

export async function deleteSetting(db: Db, key: string) {
  await db.delete(settings).where(eq(settings.key, key));
}

/** Every setting whose key starts with `prefix`, by key. */
export async function settingsFrom(db: Db, prefix: string): Promise<Map<string, string>> {
  const rows = rowsOf<{ key: string; value: string }>(
    await db.execute(sql`select key, value from settings
      where left(key, ${prefix.length}) = ${prefix}`),
  );
  return new Map(rows.map((r) => [r.key, r.value]));
}

/** Stores `value` only if there is none yet; true when this call stored it. */
export async function createSetting(db: Db, key: string, value: string): Promise<boolean> {
  const rows = rowsOf(
    await db.execute(sql`insert into settings (key, value) values (${key}, ${value})
      on conflict (key) do nothing returning key`),
  );
  return rows.length > 0;
}

/** Replaces `expected` with `value` (one process wins a race); true when this call did. */
export async function swapSetting(db: Db, key: string, expected: string, value: string) {
  const rows = rowsOf(
    await db.execute(sql`update settings set value = ${value}
      where key = ${key} and value = ${expected} returning key`),
  );
  return rows.length > 0;
}

/** Deletes the setting; true when there was one. */
export async function dropSetting(db: Db, key: string): Promise<boolean> {
  const rows = rowsOf(await db.execute(sql`delete from settings where key = ${key} returning key`));
  return rows.length > 0;
}

/** Stores `value` unless another process stored one first; returns the value that won. */
export async function initSetting(db: Db, key: string, value: string): Promise<string> {
  await db.insert(settings).values({ key, value }).onConflictDoNothing();
  return (await getSetting(db, key)) ?? value;
}
