// Shared set-up of the Discord flow tests: a fake Discord, the Ardary simulator and a real
// bridge on the test's own database, everything through real HTTP and WebSocket.
import { sql } from "drizzle-orm";
import pino from "pino";
import { registerCommands } from "../../adapters/discord/commands.ts";
import { createDiscordAdapter } from "../../adapters/discord/index.ts";
import type { Db } from "../../src/db/database.ts";
import { rowsOf } from "../../src/db/database.ts";
import { sharedBudget } from "../../src/queue/budget.ts";
import { type FakeDiscord, type FakeMessage, startFakeDiscord } from "../fakes/discord.ts";
import { type Harness, type HarnessOptions, startHarness, until } from "./harness.ts";

export interface DiscordWorld {
  fake: FakeDiscord;
  h: Harness;
  /** The channel conversations open in (text or forum). */
  channel: string;
  kind: "text" | "forum";
  close(): Promise<void>;
}

/**
 * The Discord adapter as a worker process makes it, without the gateway: for tests that run
 * chat jobs by hand. Posting needs neither the gateway nor its lock.
 */
export function postingAdapter(fake: FakeDiscord, channel: string, db: Db) {
  return createDiscordAdapter({
    botToken: fake.token,
    applicationId: fake.applicationId,
    channel,
    apiUrl: fake.apiUrl,
    log: pino({ level: "silent" }),
    services: {
      state: { get: async () => undefined, set: async () => {}, raise: async () => {} },
      lock: () => ({
        tryAcquire: async () => false,
        stillHeld: async () => false,
        release: async () => {},
      }),
      worker: true,
      budget: (name) => sharedBudget(db, `discord:${name}`),
    },
  });
}

export function discordEnv(fake: FakeDiscord, channel: string): Record<string, string> {
  return {
    DISCORD_BOT_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_CHANNEL: channel,
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_STANDBY_RETRY_MS: "200",
  };
}

export async function startDiscord(
  kind: "text" | "forum",
  o: HarnessOptions & { fake?: FakeDiscord } = {},
): Promise<DiscordWorld> {
  const fake = o.fake ?? (await startFakeDiscord());
  const channel = (kind === "text" ? fake.textChannelId : fake.forumChannelId) ?? "";
  const h = await startHarness({ ...o, env: { ...discordEnv(fake, channel), ...o.env } });
  await registerCommands(
    { botToken: fake.token, applicationId: fake.applicationId, apiUrl: fake.apiUrl },
    fake.guildId,
  );
  return {
    fake,
    h,
    channel,
    kind,
    async close() {
      await h.close();
      await fake.close();
    },
  };
}

/** The threads (or forum posts) the bridge opened in the world's channel, oldest first. */
export function threadsOf(w: DiscordWorld) {
  return w.fake.threads.filter((t) => t.parent_id === w.channel);
}

/** The thread whose name shows this number (as the card formats it: "+33 6 12 34 56 78"). */
export function threadOf(w: DiscordWorld, formatted: string) {
  return threadsOf(w).find((t) => t.name.includes(formatted));
}

/** Messages in a thread after its card (a forum post's first message is the card). */
export function posts(w: DiscordWorld, threadId: string): FakeMessage[] {
  return w.fake.messages(threadId).filter((m) => m.id !== threadId);
}

export function contents(w: DiscordWorld, threadId: string): string[] {
  return posts(w, threadId).map((m) => m.content);
}

/** The card message: in the parent channel for a text channel, first in the post for a forum. */
export function cardOf(w: DiscordWorld, threadId: string): FakeMessage | undefined {
  return w.kind === "text"
    ? w.fake.message(w.channel, threadId)
    : w.fake.message(threadId, threadId);
}

/** What the card shows: its content, then its embeds' descriptions (a long first SMS). */
export function cardText(w: DiscordWorld, threadId: string): string {
  const card = cardOf(w, threadId);
  const embeds = (card?.embeds ?? []) as { description?: string }[];
  return card ? [card.content, ...embeds.map((e) => e.description ?? "")].join("\n") : "";
}

/**
 * Waits for the thread of this number, its card showing `text`: a new conversation's card
 * carries its first SMS (`📩 Hi`), so that SMS is no post of its own in the thread.
 */
export async function waitCard(
  w: DiscordWorld,
  formatted: string,
  text: string,
): Promise<{ threadId: string }> {
  return until(
    () => {
      const t = threadOf(w, formatted);
      return t && cardText(w, t.id).includes(text) ? { threadId: t.id } : undefined;
    },
    10_000,
    `the card of ${formatted} showing ${text}`,
  );
}

/** Waits for the thread of this number to hold at least `n` posts matching `match`. */
export async function waitPosts(
  w: DiscordWorld,
  formatted: string,
  match: (content: string) => boolean,
  n = 1,
): Promise<{ threadId: string; found: string[] }> {
  return until(
    () => {
      const t = threadOf(w, formatted);
      if (!t) return undefined;
      const found = contents(w, t.id).filter(match);
      return found.length >= n ? { threadId: t.id, found } : undefined;
    },
    10_000,
    `${n} post(s) in the thread of ${formatted}`,
  );
}

/** Texts the simulator accepted for this number. */
export function smsTo(h: Harness, phone: string): string[] {
  return h.sim.sent.filter((s) => s.phonenumber === phone).map((s) => s.message);
}

/** The last answer to an interaction, once it is final (an edit or a reply). */
export async function answerTo(w: DiscordWorld, interactionId: string) {
  return until(
    () =>
      w.fake
        .responsesTo(interactionId)
        .find((r) => r.kind === "edit" || (r.kind === "callback" && r.type === 4)),
    10_000,
    "the interaction's answer",
  );
}

/** Waits until every job is done (nothing pending or running). */
export async function settled(h: Harness): Promise<void> {
  await h.sim.idle();
  await until(
    async () => {
      const [row] = rowsOf<{ n: number }>(
        await h.bridge.database.db.execute(
          sql`select (select count(*) from jobs where state <> 'dead')
            + (select count(*) from events where processed_at is null) as n`,
        ),
      );
      return Number(row?.n) === 0;
    },
    15_000,
    "the stored callbacks and the job queue to drain",
  );
}
