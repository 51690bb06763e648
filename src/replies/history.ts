// A customer's past conversations: `/sms history <number or name>` (ephemeral) and
// `ardary-bridge history …` / `conversations --phone N | --name X`: each thread of the number
// (platform, channel, thread reference), its state, and its last messages with their statuses.
// Times in the provider's zone (the CLI's `--utc`: UTC), the zone said.
import { desc, eq, ilike, inArray, or, sql } from "drizzle-orm";
import {
  type Catalogue,
  fill,
  type MessageStatus,
  saidAt,
  type Voice,
  verbatim,
  voiceOf,
} from "../contracts/index.ts";
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

/**
 * How chat shows the history (`/sms history`): in the bridge's words, and each thread as a link a
 * person can open (its saved address, else the platform's link to it).
 */
export interface HistoryInChat {
  voice: Voice;
  link(c: { platform: string; threadRef: string; threadUrl: string | null }): string;
}

/**
 * Lines describing every conversation of the numbers the query names; times in `timeZone`. The
 * command line's form (English, the thread's reference) unless `chat` says how chat shows it.
 */
export async function historyLines(
  db: Db,
  query: string,
  timeZone: string,
  chat?: HistoryInChat,
): Promise<string[]> {
  const voice = chat?.voice ?? voiceOf("en", timeZone);
  const h = voice.words.history;
  const when = (d: Date) => (chat ? saidAt(voice, d) : formatInZone(d, timeZone));
  // What people wrote (an SMS, a name, the query), shown in chat as written, never as markup.
  const asWritten = (text: string) => (chat ? verbatim(text) : text);
  if (query.trim() === "") return [chat ? h.usage : `Usage: ${HISTORY_USAGE}`];
  const phones = await phonesFor(db, query);
  const convs = phones.length
    ? await db
        .select()
        .from(conversations)
        .where(inArray(conversations.phone, phones))
        .orderBy(desc(conversations.lastActivityAt))
    : [];
  if (convs.length === 0) return [fill(h.none, { query: asWritten(query.trim()) })];
  const lines: string[] = [];
  for (const c of convs) {
    const [contact] = await db.select().from(contacts).where(eq(contacts.phone, c.phone));
    const name = [contact?.firstName, contact?.lastName].filter(Boolean).join(" ");
    const refusal = await consent.refusalOf(db, c.phone, voice.words);
    const state = [c.open ? h.open : h.closed, refusal ? fill(h.notTextable, { why: refusal }) : ""]
      .filter(Boolean)
      .join(", ");
    const platform = `${c.platform} ${c.channel ?? "?"}`;
    const where =
      c.platform === "none"
        ? h.noPlatform
        : !c.threadRef
          ? fill(h.notOpened, { platform })
          : fill(h.thread, {
              platform,
              link: chat ? chat.link({ ...c, threadRef: c.threadRef }) : c.threadRef,
            });
    lines.push(
      fill(h.line, {
        id: c.id,
        phone: formatPhone(c.phone),
        name: name ? ` (${asWritten(name)})` : "",
        where,
        state,
        at: when(c.lastActivityAt),
      }),
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
      const by = m.direction === "out" && m.author ? ` ${asWritten(m.author)}` : "";
      const status = h[STATUS_WORDS[m.status]];
      lines.push(
        fill(h.message, { at: when(m.createdAt), arrow, status, by, text: asWritten(text) }),
      );
    }
  }
  return lines;
}

/** The catalogue's word for each status of an SMS. */
const STATUS_WORDS = {
  queued: "statusQueued",
  submitted: "statusSubmitted",
  unknown: "statusUnknown",
  sent: "statusSent",
  received: "statusReceived",
  failed: "statusFailed",
  cancelled: "statusCancelled",
} as const satisfies Record<MessageStatus, keyof Catalogue["history"]>;

/** `/sms history …`. */
export const HISTORY_COMMAND: ChatCommand = {
  name: "history",
  usage: (w) => w.help.history,
  // Every conversation's SMS: not for guests (src/conversations/permissions.ts).
  act: () => "lookup",
  run: async (_input, args, ctx) => {
    const { timeZone, language } = ctx.config;
    const chat: HistoryInChat = {
      voice: voiceOf(language, timeZone),
      // The address saved when the thread opened (the export's), else the platform's link.
      link: (c) => c.threadUrl ?? ctx.chat.threadLink(c.platform, c.threadRef),
    };
    return (await historyLines(ctx.db, args, timeZone, chat)).join("\n");
  },
};
