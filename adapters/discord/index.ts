// The Discord adapter: REST (in every process, for the worker's chat jobs) and the gateway
// (in the one process that holds the lock: leader.ts). A conversation is a thread started
// from a card message in a text channel, or a post in a forum channel tagged open / closed /
// opted-out. See docs/discord.md for the bot's set-up.
import { createHash } from "node:crypto";
import {
  type APIChannel,
  type APIMessage,
  type APIUser,
  ChannelType,
  DiscordAPIError,
  REST,
  RESTJSONErrorCodes,
  Routes,
} from "discord.js";
import type { Logger } from "pino";
import {
  type AdapterServices,
  type ChatAdapter,
  type ChatHooks,
  type ChatPost,
  type ConversationCard,
  type MessageRef,
  type PostOnce,
  type StatusView,
  type ThreadRef,
  wordsOf,
} from "../../src/contracts/index.ts";
import { DeferredError, RetryableError, ThreadGoneError } from "../../src/kernel/errors.ts";
import { discordDialect } from "./commands.ts";
import { Gateway } from "./gateway.ts";
import { Leader } from "./leader.ts";
import { pacedRest } from "./pace.ts";
import { messageRef, parseMessageRef, parseThreadRef, threadRef } from "./refs.ts";
import {
  cardTags,
  layoutCard,
  NO_MENTIONS,
  renderBacklog,
  renderCard,
  renderPost,
  statusReactions,
  threadName,
} from "./render.ts";
import { discordReports } from "./report.ts";
import { channelGone, discordCall, isArchivedError } from "./rest.ts";
import { discordChecks, type GatewayHolder } from "./setup.ts";

export interface DiscordAdapterOptions {
  botToken: string;
  applicationId: string;
  /** Default channel id (text or forum); routes may name others. */
  channel: string;
  /** REST base (local fakes); the gateway address comes from its `gateway/bot` answer. */
  apiUrl?: string;
  /**
   * The core's state store (the catch-up cursor), locks (one gateway for all processes) and
   * budgets (rate limits one process meets, held for all: pace.ts).
   */
  services: Pick<AdapterServices, "state" | "lock" | "worker" | "budget"> &
    Partial<Pick<AdapterServices, "processName" | "refusedRetryMs" | "words">>;
  log: Logger;
  /** How often a standby process tries to take the gateway over, in ms (default 5000). */
  standbyRetryMs?: number;
  /** DISCORD_MANAGER_ROLE: the role (name or id) whose members manage the bridge. */
  managerRole?: string;
}

export interface DiscordAdapter extends ChatAdapter {
  /** True while this process holds the gateway connection. */
  readonly isGatewayHolder: boolean;
}

/** Minutes of inactivity before Discord archives a thread: the longest it allows (7 days). */
const AUTO_ARCHIVE_MINUTES = 10080;
/** How far back a retry looks for the forum post an earlier attempt opened. */
const LOOK_BACK_MS = 24 * 60 * 60_000;
/** Discord's epoch (2015-01-01), the origin of the time inside a snowflake. */
const DISCORD_EPOCH = 1_420_070_400_000n;

/** When a snowflake (an id) was made, in ms. */
function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

/** 160004: the message has a thread already. */
function isThreadAlreadyStarted(err: unknown): boolean {
  return (
    err instanceof DiscordAPIError && err.code === RESTJSONErrorCodes.ThreadAlreadyCreatedForMessage
  );
}

export function createDiscordAdapter(o: DiscordAdapterOptions): DiscordAdapter {
  const log = o.log.child({ platform: "discord" });
  const words = o.services.words ?? wordsOf();
  // Never sleeps on a rate limit: the job waits instead (rest.ts), and every process learns it.
  const client = new REST({
    ...(o.apiUrl ? { api: o.apiUrl } : {}),
    rejectOnRateLimit: () => true,
  });
  // @discordjs/rest forgets the token after a 401: it is given again before each call, so that a
  // token Discord accepts again (or that a person fixed) works without a restart.
  const rest = pacedRest(client, o.services.budget("rest"), () => client.setToken(o.botToken));
  /**
   * The setup page's calls: a client of their own that neither waits for a rate limit nor tries
   * again (a person is waiting), outside the jobs' shared holds.
   */
  const checkRest = new REST({
    ...(o.apiUrl ? { api: o.apiUrl } : {}),
    rejectOnRateLimit: () => true,
    retries: 0,
    timeout: 10_000,
  }).setToken(o.botToken);
  const processName = o.services.processName ?? `pid ${process.pid}`;
  /** Channel kinds, parents and forum tags never change under a thread: cache them. */
  const channels = new Map<string, APIChannel>();
  /** Reactions already added, per message (they are idempotent; this only saves requests). */
  const reacted = new Map<MessageRef, Set<string>>();
  let gateway: Gateway | undefined;

  async function channelInfo(id: string): Promise<APIChannel> {
    const cached = channels.get(id);
    if (cached) return cached;
    const ch = await discordCall("read channel", () => rest.get(Routes.channel(id)));
    channels.set(id, ch as APIChannel);
    return ch as APIChannel;
  }

  const reports = discordReports(rest, channelInfo);
  /** A channel the bridge posts at the top of (not a thread): gone or hidden is a refusal. */
  async function parentInfo(id: string): Promise<APIChannel> {
    const cached = channels.get(id);
    if (cached) return cached;
    try {
      const ch = (await rest.get(Routes.channel(id))) as APIChannel;
      channels.set(id, ch);
      return ch;
    } catch (err) {
      throw channelGone("read channel", err, id);
    }
  }

  /** A call in a channel known to be a parent: 10003 there is the channel gone, not a thread. */
  async function inParent<T>(what: string, channel: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw channelGone(what, err, channel);
    }
  }

  function threadIdOf(ref: ThreadRef): string {
    const id = parseThreadRef(ref);
    if (!id) throw new ThreadGoneError(`not a Discord thread: ${ref}`);
    return id;
  }

  function tagIds(forum: APIChannel, names: string[]): string[] {
    const tags = "available_tags" in forum ? (forum.available_tags ?? []) : [];
    return tags.filter((t) => names.includes(t.name.toLowerCase())).map((t) => t.id);
  }

  /** Edits and reactions fail in an archived thread: unarchive it and try once more. */
  async function inThread<T>(what: string, threadId: string, fn: () => Promise<T>): Promise<T> {
    return discordCall(what, async () => {
      try {
        return await fn();
      } catch (err) {
        if (!isArchivedError(err)) throw err;
        await rest.patch(Routes.channel(threadId), { body: { archived: false } });
        return fn();
      }
    });
  }

  let botUserId: Promise<string> | undefined;
  /**
   * The forum post the bot opened under `name` in the last day that is still active, if any:
   * what an earlier attempt of this card made (a conversation has one open thread per forum).
   * https://discord.com/developers/docs/resources/guild#list-active-guild-threads
   */
  async function findForumPost(forum: APIChannel, name: string): Promise<string | undefined> {
    const guild = "guild_id" in forum ? forum.guild_id : undefined;
    if (!guild) return undefined;
    botUserId ??= discordCall("who am I", () => rest.get(Routes.user())).then(
      (u) => (u as APIUser).id,
    );
    // Only a look-up that completed may say "none": a failure for now is a wait, tried again.
    const me = await botUserId.catch((err) => {
      botUserId = undefined;
      throw lookAgain(err);
    });
    const { threads } = (await discordCall("list active threads", () =>
      rest.get(Routes.guildActiveThreads(guild)),
    ).catch((err) => {
      throw lookAgain(err);
    })) as { threads: APIChannel[] };
    const since = Date.now() - LOOK_BACK_MS;
    const mine = threads.filter(
      (t) =>
        "parent_id" in t &&
        t.parent_id === forum.id &&
        t.name === name &&
        "owner_id" in t &&
        t.owner_id === me &&
        snowflakeTime(t.id) >= since,
    );
    // The newest: the one the last attempt opened.
    return mine.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? 1 : -1))[0]?.id;
  }

  /** The card, in a text channel with its thread, or as a forum post: the thread's id. */
  async function openCard(
    channel: string,
    card: ConversationCard,
    body: ReturnType<typeof renderCard>,
    once?: PostOnce,
  ): Promise<string> {
    const parent = await parentInfo(channel || o.channel);
    const name = threadName(card);
    if (parent.type === ChannelType.GuildForum) {
      // A forum post takes no nonce: a retry looks for the post an earlier attempt opened.
      const found = once?.retry ? await findForumPost(parent, name) : undefined;
      if (found) return found;
      const post = (await inParent("open forum post", parent.id, () =>
        rest.post(Routes.threads(parent.id), {
          body: {
            name,
            auto_archive_duration: AUTO_ARCHIVE_MINUTES,
            applied_tags: tagIds(parent, cardTags(card)),
            message: body,
          },
        }),
      )) as APIChannel;
      channels.set(post.id, post);
      return post.id;
    }
    // The card's key is its nonce: a retry within Discord's window gets the card already made.
    const starter = (await inParent("post card", parent.id, () =>
      rest.post(Routes.channelMessages(parent.id), {
        body: { ...body, ...(once ? nonceOf(once) : {}) },
      }),
    )) as APIMessage;
    try {
      const thread = (await discordCall("start thread", async () => {
        try {
          return await rest.post(Routes.threads(parent.id, starter.id), {
            body: { name, auto_archive_duration: AUTO_ARCHIVE_MINUTES },
          });
        } catch (err) {
          // An earlier attempt started it: a thread has the id of the message it started from.
          if (!isThreadAlreadyStarted(err)) throw err;
          return rest.get(Routes.channel(starter.id));
        }
      })) as APIChannel;
      channels.set(thread.id, thread);
      return thread.id;
    } catch (err) {
      // No card without its thread: the retry posts a new one.
      await rest.delete(Routes.channelMessage(parent.id, starter.id)).catch(() => {});
      throw err;
    }
  }

  const adapter: DiscordAdapter = {
    platform: "discord",
    cardCarriesFirst: true,
    dialect: discordDialect(words, o.managerRole),

    /** GET /users/@me: the token accepted, or refused (401 → RefusedError). */
    async check(): Promise<void> {
      const u = (await discordCall("who am I", () => rest.get(Routes.user()))) as APIUser;
      botUserId = Promise.resolve(u.id);
    },

    /**
     * At the top of a text channel, mentioning no one, once (the key is its nonce); in a forum,
     * which has no top level, as a post of its own.
     */
    async announce(channel: string, text: string, once?: PostOnce): Promise<void> {
      const parent = await parentInfo(channel || o.channel);
      const content = text.slice(0, 2000);
      if (parent.type === ChannelType.GuildForum) {
        await inParent("forum notice", parent.id, () =>
          rest.post(Routes.threads(parent.id), {
            body: {
              name: "ardary-bridge: needs attention",
              auto_archive_duration: AUTO_ARCHIVE_MINUTES,
              message: { content, allowed_mentions: NO_MENTIONS },
            },
          }),
        );
        return;
      }
      await inParent("notice", parent.id, () =>
        rest.post(Routes.channelMessages(parent.id), {
          body: { content, allowed_mentions: NO_MENTIONS, ...(once ? nonceOf(once) : {}) },
        }),
      );
    },

    get isGatewayHolder() {
      return gateway !== undefined;
    },

    /**
     * A text channel says it once, at its top level, mentioning no one. A forum has no top level
     * (a post of its own would stay in the list, and notify its followers): it says nothing.
     */
    async announceBacklog(channel: string, waiting: number): Promise<void> {
      const parent = await parentInfo(channel || o.channel);
      if (parent.type === ChannelType.GuildForum) return;
      await inParent("backlog notice", parent.id, () =>
        rest.post(Routes.channelMessages(parent.id), {
          body: { content: renderBacklog(waiting, words), allowed_mentions: NO_MENTIONS },
        }),
      );
    },

    /**
     * The card carries the conversation's first SMS (cardCarriesFirst): in its content, or in
     * embeds when it is long. What even those cannot hold goes in the thread, each piece once.
     */
    async openThread(channel: string, card: ConversationCard, once?: PostOnce): Promise<ThreadRef> {
      const { body, more } = layoutCard(card, words);
      const thread = await openCard(channel, card, body, once);
      for (const [i, text] of more.entries()) {
        const key = once?.key ? { key: `${once.key}:more:${i}` } : {};
        await discordCall("post the rest of the first SMS", () =>
          rest.post(Routes.channelMessages(thread), {
            body: { content: text, allowed_mentions: NO_MENTIONS, ...nonceOf(key) },
          }),
        );
      }
      return threadRef(thread);
    },

    async post(thread: ThreadRef, post: ChatPost): Promise<MessageRef> {
      const id = threadIdOf(thread);
      // Sending to an archived (unlocked) thread unarchives it.
      const m = (await discordCall("post", () =>
        rest.post(Routes.channelMessages(id), {
          body: { ...renderPost(post, words), ...nonceOf(post) },
        }),
      )) as APIMessage;
      return messageRef(id, m.id);
    },

    async update(message: MessageRef, post: ChatPost): Promise<void> {
      const ref = parseMessageRef(message);
      if (!ref) return;
      const body = renderPost(post, words);
      await inThread("update post", ref.channelId, () =>
        rest.patch(Routes.channelMessage(ref.channelId, ref.messageId), { body }),
      );
    },

    async react(message: MessageRef, status: StatusView): Promise<void> {
      const ref = parseMessageRef(message);
      if (!ref) return;
      const done = reacted.get(message) ?? new Set<string>();
      for (const emoji of statusReactions(status)) {
        if (done.has(emoji)) continue;
        await inThread("react", ref.channelId, () =>
          rest.put(Routes.channelMessageOwnReaction(ref.channelId, ref.messageId, emoji)),
        );
        done.add(emoji);
        reacted.set(message, done);
        if (reacted.size > 10_000) reacted.delete(reacted.keys().next().value ?? "");
      }
    },

    /** A channel mention: Discord shows it as a link to the thread. */
    threadLink(thread: ThreadRef): string {
      const id = parseThreadRef(thread);
      return id ? `<#${id}>` : thread;
    },

    async updateCard(thread: ThreadRef, card: ConversationCard): Promise<void> {
      const id = threadIdOf(thread);
      const info = await channelInfo(id);
      const parent = await channelInfo(("parent_id" in info && info.parent_id) || o.channel);
      const body = renderCard(card, words);
      // The thread's title shows the contact's name too: renamed only when it changed
      // (Discord allows few renames of a channel in ten minutes).
      const name = threadName(card);
      const rename = "name" in info && info.name !== name ? { name } : {};
      const renamed = () => channels.set(id, { ...info, ...rename } as APIChannel);
      if (parent.type === ChannelType.GuildForum) {
        // A forum post's first message has the post's id.
        await inThread("update card", id, () =>
          rest.patch(Routes.channelMessage(id, id), { body }),
        );
        await inThread("tag post", id, () =>
          rest.patch(Routes.channel(id), {
            body: { applied_tags: tagIds(parent, cardTags(card)), ...rename },
          }),
        );
        renamed();
        return;
      }
      // A text channel's thread has the id of the card message it started from.
      await discordCall("update card", () =>
        rest.patch(Routes.channelMessage(parent.id, id), { body }),
      );
      if (!("name" in rename)) return;
      await inThread("rename thread", id, () => rest.patch(Routes.channel(id), { body: rename }));
      renamed();
    },

    postReport: (channel, report) => reports.postReport(channel, report),
    checkChannel: (channel) => reports.checkChannel(channel),

    async threadUrl(thread) {
      const id = parseThreadRef(thread);
      const channel = id ? await channelInfo(id).catch(() => undefined) : undefined;
      const guild = channel && "guild_id" in channel ? channel.guild_id : undefined;
      return guild && id ? `https://discord.com/channels/${guild}/${id}` : undefined;
    },

    setupChecks: (ctx) =>
      discordChecks(
        {
          rest: checkRest,
          applicationId: o.applicationId,
          channel: o.channel,
          here: () =>
            gateway ? "connected" : leader?.isLeader ? "connecting" : leader ? "standby" : "no",
          processName,
          lock: o.services.lock(o.applicationId),
          state: o.services.state,
        },
        ctx,
      ),

    async start(hooks: ChatHooks): Promise<void> {
      leader = new Leader({
        lock: o.services.lock(o.applicationId),
        retryMs: o.standbyRetryMs ?? 5000,
        refusedRetryMs: o.services.refusedRetryMs ?? 60_000,
        log,
        onLead: async () => {
          const g = new Gateway({
            ...o,
            state: o.services.state,
            hooks,
            log,
            words,
            // Closed for good while running (a token reset: 4004): let go, connect again later.
            onClosed: (err) => void leader?.drop(err),
          });
          try {
            await g.connect();
          } catch (err) {
            await g.destroy().catch(() => {});
            throw err;
          }
          gateway = g;
          // Who holds it, for the setup page of the other processes.
          const holder: GatewayHolder = { process: processName, since: new Date().toISOString() };
          await o.services.state
            .set("gateway", JSON.stringify(holder))
            .catch((err) => log.warn({ err: String(err) }, "discord: gateway holder not kept"));
        },
        onLose: async () => {
          const g = gateway;
          gateway = undefined;
          await g?.destroy();
        },
      });
      await leader.start();
    },

    async stop(): Promise<void> {
      await leader?.stop();
      leader = undefined;
    },
  };
  let leader: Leader | undefined;
  return adapter;
}

export { registerCommands, SMS_COMMAND } from "./commands.ts";

/** A look-up that failed for now (not a refusal, not a wait already): a wait, tried again. */
function lookAgain(err: unknown): unknown {
  if (err instanceof RetryableError && !(err instanceof DeferredError))
    return new DeferredError(`Discord look-up for an earlier post failed: ${err.message}`, 3000);
  return err;
}

/**
 * Posts exactly once: a post's key becomes its nonce, which Discord enforces (enforce_nonce): the
 * same nonce sent again by the bot within a few minutes returns the message already made.
 * https://discord.com/developers/docs/resources/message#create-message
 */
function nonceOf(post: Pick<ChatPost, "key">): { nonce?: string; enforce_nonce?: boolean } {
  if (!post.key) return {};
  // At most 25 characters: 150 bits of the key's hash.
  const nonce = createHash("sha256").update(post.key).digest("base64url").slice(0, 25);
  return { nonce, enforce_nonce: true };
}
