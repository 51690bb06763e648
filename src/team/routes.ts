// Routes: which channel the conversations of some numbers go to (the longest prefix wins), and
// the sender name their SMS go out under (`--sender`: a brand per channel). Read from the
// database at each new conversation and each SMS, so a change from the CLI holds in a running
// server. `/sms route add|list|remove` (adding and removing: people allowed to manage the bridge,
// checked by the Bridge from the permissions table) and `ardary-bridge routes`.
import { and, asc, eq, sql } from "drizzle-orm";
import {
  type Catalogue,
  fill,
  type Language,
  type Platform,
  type SmsCommandInput,
  wordsOf,
} from "../contracts/index.ts";
import type { ChatPlatformName, CommandContext, SenderCheck } from "../conversations/features.ts";
import { chatJob } from "../conversations/kinds.ts";
import * as store from "../conversations/store.ts";
import type { Db } from "../db/database.ts";
import { conversations, routes } from "../db/schema.ts";
import { enqueue } from "../queue/jobs.ts";

export type Route = typeof routes.$inferSelect;

/** `+44`, `+44 20`, `0044` → `+4420`; undefined when it is not a number prefix. */
export function parsePrefix(input: string): string | undefined {
  let s = input.trim().replace(/[\s().-]/g, "");
  if (s.startsWith("00")) s = `+${s.slice(2)}`;
  return /^\+\d{1,15}$/.test(s) ? s : undefined;
}

export async function listRoutes(db: Db): Promise<Route[]> {
  return db.select().from(routes).orderBy(asc(routes.platform), asc(routes.pattern));
}

/**
 * Adds (or changes) a route. With `move`, the open conversations it now takes that live in
 * another channel leave their thread: the next post opens one in the new channel, which links
 * to the old. Returns how many moved.
 */
export async function addRoute(
  db: Db,
  r: {
    pattern: string;
    platform: Platform;
    channel: string;
    move: boolean;
    by: string;
    /** The sender name their SMS go out under; absent: the provider's default. */
    sender?: string;
  },
  /** The words of the note a moved conversation gets (BRIDGE_LANGUAGE's). */
  w: Catalogue = wordsOf(),
): Promise<number> {
  return db.transaction(async (tx) => {
    const sender = r.sender ?? null;
    await tx
      .insert(routes)
      .values({ pattern: r.pattern, platform: r.platform, channel: r.channel, sender })
      .onConflictDoUpdate({
        target: [routes.pattern, routes.platform],
        set: { channel: r.channel, sender },
      });
    if (!r.move) return 0;
    const all = await listRoutes(tx);
    const candidates = await tx
      .select()
      .from(conversations)
      .where(
        and(
          eq(conversations.platform, r.platform),
          sql`${conversations.phone} like ${r.pattern} || '%'`,
          sql`${conversations.channel} is distinct from ${r.channel}`,
        ),
      );
    let moved = 0;
    for (const c of candidates) {
      // A longer route may own this number: only the numbers this route now wins move.
      if (store.pickRoute(all, c.phone, {}, r.platform).channel !== r.channel) continue;
      // The thread to link to is read from the row as it is updated, not from the read above:
      // a thread that opened meanwhile (its card posted, then recorded) is not lost.
      const [after] = await tx
        .update(conversations)
        .set({
          channel: r.channel,
          threadRef: null,
          threadUrl: null,
          // Not yet opened after an earlier move: the older thread stays the one to link to.
          previousThreadRef: sql`coalesce(${conversations.threadRef}, ${conversations.previousThreadRef})`,
        })
        .where(eq(conversations.id, c.id))
        .returning({ previous: conversations.previousThreadRef });
      moved++;
      if (after?.previous) {
        const text = fill(w.notes.movedBy, { by: r.by, pattern: r.pattern });
        await enqueue(tx, ...chatJob(c, { type: "note", text }));
      }
    }
    return moved;
  });
}

/** Removes the route of a prefix (on one platform, or all); returns how many went. */
export async function removeRoute(db: Db, pattern: string, platform?: Platform): Promise<number> {
  const where = platform
    ? and(eq(routes.pattern, pattern), eq(routes.platform, platform))
    : eq(routes.pattern, pattern);
  return (await db.delete(routes).where(where).returning()).length;
}

/** A channel mention or id, whatever the platform: `<#C123|name>`, `<#123>`, `C123`, `123`. */
export function channelIdOf(text: string): string | undefined {
  const m = /^<#([A-Za-z0-9]+)(?:\|[^>]*)?>$/.exec(text.trim());
  const id = m?.[1] ?? text.trim();
  return /^(?:[CG][A-Z0-9]{2,}|\d{5,25})$/.test(id) ? id : undefined;
}

/**
 * Why `--sender <name>` cannot be used, in chat's words (BRIDGE_LANGUAGE's; absent: English);
 * undefined when the provider takes the name.
 */
export function senderRefusal(
  check: SenderCheck | undefined,
  name: string,
  language?: Language,
): string | undefined {
  if (!check) return wordsOf(language).route.noSenderNames;
  return check(name, language);
}

/** The words of `route add` after the prefix: the channel, `--move`, `--sender <name>`. */
function addOptions(words: string[]) {
  const at = words.indexOf("--sender");
  const sender = at >= 0 ? words[at + 1] : undefined;
  const channel = words
    .filter((w, i) => w !== "--move" && (at < 0 || (i !== at && i !== at + 1)))
    .join(" ");
  return {
    channel,
    move: words.includes("--move"),
    sender,
    senderMissing: at >= 0 && (sender === undefined || sender.startsWith("--")),
  };
}

/** `/sms route …`: the answer for the person who typed it. */
export async function routeCommand(
  team: CommandContext,
  input: SmsCommandInput,
  args: string,
): Promise<string> {
  const [verb = "", ...words] = args.trim().split(/\s+/).filter(Boolean);
  const platform = input.platform;
  const w = wordsOf(team.config.language).route;
  const usage = wordsOf(team.config.language).help.route;
  if (verb === "list" || verb === "") {
    const list = (await listRoutes(team.db)).filter((r) => r.platform === platform);
    if (list.length === 0) return w.none;
    return list
      .map((r) => {
        const channel = team.chat.channelMention(platform, r.channel);
        const said = { pattern: r.pattern, channel, sender: r.sender ?? "" };
        return fill(r.sender ? w.lineSender : w.line, said);
      })
      .join("\n");
  }
  if (verb !== "add" && verb !== "remove") return fill(w.usage, { usage });
  // Who may add or remove a route is checked before this runs (the `route` command's `act`).
  const pattern = parsePrefix(words[0] ?? "");
  if (!pattern) return fill(w.notAPrefix, { prefix: words[0] ?? "", usage });
  if (verb === "remove") {
    const n = await removeRoute(team.db, pattern, platform);
    return fill(n > 0 ? w.removed : w.noRoute, { pattern });
  }
  const { channel: channelText, move, sender, senderMissing } = addOptions(words.slice(1));
  if (senderMissing) return fill(w.senderMissing, { usage });
  const refused =
    sender === undefined
      ? undefined
      : senderRefusal(team.senderProblem, sender, team.config.language);
  if (refused) return fill(w.notSaved, { why: refused });
  if (!channelText) return fill(w.whichChannel, { usage });
  const channel = await team.chat.resolveChannel(platform, channelText);
  if (!channel) return fill(w.noChannel, { channel: channelText, usage });
  const moved = await addRoute(
    team.db,
    { pattern, platform, channel, move, sender, by: input.author },
    wordsOf(team.config.language),
  );
  const where = team.chat.channelMention(platform, channel);
  const route = fill(move ? w.moved : w.added, { pattern, channel: where, moved });
  return sender ? route + fill(w.sender, { sender }) : route;
}

/** `ardary-bridge routes list|add|remove`: printed lines and the exit code. */
export async function routesCli(
  db: Db,
  args: string[],
  platforms: ChatPlatformName[] = [],
  senderProblem?: SenderCheck,
  /** The words of the note a moved conversation gets (BRIDGE_LANGUAGE's). */
  words: Catalogue = wordsOf(),
): Promise<{ lines: string[]; code: number }> {
  const [verb = "list", prefix, ...rest] = args;
  if (verb === "list") {
    const list = await listRoutes(db);
    return {
      lines:
        list.length > 0
          ? list.map(
              (r) =>
                `${r.pattern}\t${r.platform}\t${r.channel}${r.sender ? `\tsender ${r.sender}` : ""}`,
            )
          : ["no routes: new conversations go to each platform's default channel"],
      code: 0,
    };
  }
  const pattern = parsePrefix(prefix ?? "");
  if (!pattern || (verb !== "add" && verb !== "remove")) return { lines: [ROUTES_HELP], code: 2 };
  if (verb === "remove") {
    const n = await removeRoute(db, pattern);
    return {
      lines: [n > 0 ? `removed ${pattern}` : `no route for ${pattern}`],
      code: n > 0 ? 0 : 1,
    };
  }
  const at = (flag: string) => {
    const i = rest.indexOf(flag);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  // `--platform <name> --channel <id>`, or `--<name> <id>` for short (`--slack C0123`).
  const named = at("--platform");
  const short = platforms.filter((p) => at(`--${p.name}`) !== undefined);
  if (named !== undefined ? short.length > 0 : short.length !== 1)
    return { lines: [ROUTES_HELP], code: 2 };
  const chosen = named ?? short[0]?.name ?? "";
  const given = (named !== undefined ? at("--channel") : at(`--${chosen}`)) ?? "";
  const known = platforms.find((p) => p.name === chosen);
  if (!known)
    return {
      lines: [
        `not a chat platform: ${chosen} (platforms: ${platforms.map((p) => p.name).join(", ") || "none"})`,
      ],
      code: 2,
    };
  const platform = known.name;
  // The platform's own check when it has one; else any plain id (letters, digits, . _ : -).
  const channel = known.channelId
    ? known.channelId(given)
    : /^[\w.:-]{1,100}$/.test(given)
      ? given
      : undefined;
  if (!channel) return { lines: [`not a ${platform} channel id: ${given}`], code: 2 };
  const sender = at("--sender");
  if (rest.includes("--sender") && (sender === undefined || sender.startsWith("--")))
    return { lines: ["--sender needs a name, e.g. --sender AcmeUK"], code: 2 };
  // The command line's own words (English, plain): no chat markup to say an option in.
  const refused =
    sender === undefined
      ? undefined
      : senderProblem
        ? senderProblem(sender)
        : "the SMS provider takes no sender names: leave --sender out";
  if (refused) return { lines: [`route not saved: ${refused}`], code: 2 };
  const move = rest.includes("--move");
  const moved = await addRoute(
    db,
    { pattern, platform, channel, move, sender, by: words.notes.movedByCli },
    words,
  );
  return {
    lines: [
      `${pattern} → ${platform} ${channel}${sender ? `, SMS sent as ${sender}` : ""}${move ? ` (${moved} conversation(s) moved)` : ""}`,
    ],
    code: 0,
  };
}

export const ROUTES_HELP = `Usage: ardary-bridge routes list
       ardary-bridge routes add <prefix> --platform <name> --channel <channel id> [--move] [--sender <name>]
       ardary-bridge routes add <prefix> --<platform> <channel id> [--move] [--sender <name>]   (e.g. --slack C0123)
       ardary-bridge routes remove <prefix>

New conversations of numbers starting with <prefix> (e.g. +44) go to that channel; the longest
prefix wins. --move also moves the open conversations it now takes: their next post opens a
thread in the new channel that links to the old one. --sender: SMS to those numbers go out under
that sender name (Ardary: 3 to 11 letters and digits, at least one letter; replies stay on, so
customers can answer); without it, under the default sender (ARDARY_SENDER_NAME), and adding a
route again without --sender drops its sender. A running server sees changes at once.`;
