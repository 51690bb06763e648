// The gateway connection (held by one process: see leader.ts): people's thread messages,
// edits and deletions, /sms and card buttons, handed to the bridge through its hooks.
// On connecting it catches up on messages posted in the bridge's active threads while no
// process was connected (the bridge drops repeats by message id).
import { once } from "node:events";
import {
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  Client,
  Events,
  GatewayIntentBits,
  type Message,
  MessageFlags,
  type ModalSubmitInteraction,
  type PartialMessage,
  Partials,
  type UserSelectMenuInteraction,
} from "discord.js";
import type { Logger } from "pino";
import {
  type Catalogue,
  type ChatHooks,
  fill,
  type StateStore,
  wordsOf,
} from "../../src/contracts/index.ts";
import { errorMessage } from "../../src/kernel/errors.ts";
import { commandArgs, SMS_COMMAND } from "./commands.ts";
import { canManage, placeOf } from "./manage.ts";
import {
  type NameResolver,
  type ParsedMessage,
  parseChange,
  parseMessage,
  type RawMessage,
} from "./parse.ts";
import { NO_MENTIONS, parseActionId, parseFormId, renderModal } from "./render.ts";
import { tokenRefused } from "./rest.ts";

export interface GatewayOptions {
  botToken: string;
  applicationId: string;
  apiUrl?: string;
  /** Where the catch-up cursor is kept. */
  state: StateStore;
  hooks: ChatHooks;
  log: Logger;
  /** The role (name or id) whose members manage the bridge; else Administrator / Manage Server. */
  managerRole?: string;
  /** BRIDGE_LANGUAGE's words: what the adapter itself says to a person (default English). */
  words?: Catalogue;
  /**
   * The connection closed for good while running (Discord will not take it back: a token reset
   * closes it with 4004): the holder lets go and connects again later.
   */
  onClosed?: (err: Error) => void;
}

/** Close codes after which discord.js does not reconnect by itself. */
const FATAL_CLOSES: Record<number, string> = {
  4004: "authentication failed",
  4010: "invalid shard",
  4011: "sharding required",
  4012: "invalid API version",
  4013: "invalid intents",
  4014: "disallowed intents (switch on Message Content in the developer portal)",
};

/** What a close for good means: 4004 is the token refused. */
function closedError(code: number, cause?: unknown): Error {
  if (code === 4004) return tokenRefused(cause ?? new Error("gateway close 4004"));
  return new Error(`Discord gateway closed: ${code} ${FATAL_CLOSES[code] ?? ""}`.trim());
}

/** Intents to switch on in the developer portal: MessageContent is privileged. */
export const INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
];

function rawOf(m: Message): RawMessage {
  return {
    id: m.id,
    channelId: m.channelId,
    inThread: m.channel?.isThread() ?? false,
    type: m.type,
    content: m.content,
    authorId: m.author.id,
    authorName: m.member?.displayName ?? m.author.displayName,
    bot: m.author.bot,
    webhookId: m.webhookId,
    attachments: m.attachments.size,
    stickers: m.stickers.size,
  };
}

export class Gateway {
  readonly client: Client;
  private readonly cursorKey: string;
  private readonly chains = new Map<string, Promise<void>>();
  /** Live events wait behind the catch-up of what was missed, so order holds across a gap. */
  private gate: Promise<void> = Promise.resolve();
  /** Rejects the connect in progress (a close for good while connecting). */
  private connecting: ((err: Error) => void) | undefined;
  private connected = false;

  private get words(): Catalogue {
    return this.o.words ?? wordsOf();
  }

  constructor(private readonly o: GatewayOptions) {
    this.cursorKey = `last_message:${o.applicationId}`;
    this.client = new Client({
      intents: INTENTS,
      // Interactions and uncached messages arrive as partials.
      partials: [Partials.Channel, Partials.Message],
      rest: o.apiUrl ? { api: o.apiUrl } : {},
      allowedMentions: NO_MENTIONS,
    });
    const c = this.client;
    c.on(Events.MessageCreate, (m) => this.inOrder(m.channelId, "message", () => this.onCreate(m)));
    c.on(Events.MessageUpdate, (before, after) => {
      this.inOrder(after.channelId, "edit", () => this.onUpdate(before, after));
    });
    c.on(Events.MessageDelete, (m) => this.inOrder(m.channelId, "delete", () => this.onDelete(m)));
    c.on(Events.InteractionCreate, (i) => {
      if (i.isChatInputCommand() && i.commandName === SMS_COMMAND.name) {
        void this.guard("command", () => this.onSms(i));
      } else if (i.isButton() && parseFormId(i.customId)) {
        void this.guard("form", () => this.onFormButton(i));
      } else if (i.isButton() || i.isUserSelectMenu()) {
        void this.guard("button", () => this.onButton(i));
      } else if (i.isModalSubmit()) {
        void this.guard("form submit", () => this.onFormSubmit(i));
      }
    });
    c.on(Events.Error, (err) => o.log.warn({ err: errorMessage(err) }, "discord client error"));
    c.on(Events.ShardDisconnect, ({ code }) => {
      if (!(code in FATAL_CLOSES)) return;
      const err = closedError(code);
      if (this.connecting) this.connecting(err);
      else if (this.connected) o.onClosed?.(err);
    });
  }

  async connect(): Promise<void> {
    let open = () => {};
    this.gate = new Promise((resolve) => {
      open = resolve;
    });
    const closed = new Promise<never>((_, reject) => {
      this.connecting = reject;
    });
    closed.catch(() => {});
    try {
      const ready = once(this.client, Events.ClientReady);
      await Promise.race([this.client.login(this.o.botToken), closed]);
      await Promise.race([ready, closed]);
    } catch (err) {
      // A 401 while logging in (GET /gateway/bot) is the token refused, as a close 4004 is.
      const status = (err as { status?: unknown }).status;
      const invalid = (err as { code?: unknown }).code === "TokenInvalid";
      throw status === 401 || invalid ? tokenRefused(err) : err;
    } finally {
      this.connecting = undefined;
    }
    this.connected = true;
    this.o.log.info("discord gateway connected");
    void this.guard("catch-up", () => this.catchUp()).finally(open);
  }

  async destroy(): Promise<void> {
    this.connected = false;
    await this.client.destroy();
  }

  private get ownId(): string {
    return this.client.user?.id ?? this.o.applicationId;
  }

  /**
   * Messages of one channel are handed to the bridge one after another, in gateway order, so
   * replies become SMS in the order they were written.
   */
  private inOrder(channelId: string, what: string, fn: () => Promise<void>): void {
    const previous = this.chains.get(channelId) ?? this.gate;
    const next = previous.then(() => this.guard(what, fn));
    this.chains.set(channelId, next);
    void next.then(() => {
      if (this.chains.get(channelId) === next) this.chains.delete(channelId);
    });
  }

  private async guard(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.o.log.error({ err: errorMessage(err) }, `discord ${what} not handled`);
    }
  }

  private names(m: Message): NameResolver {
    return {
      user: (id) =>
        m.mentions.members?.get(id)?.displayName ??
        m.mentions.users.get(id)?.displayName ??
        this.client.users.cache.get(id)?.displayName,
      role: (id) => m.guild?.roles.cache.get(id)?.name,
      channel: (id) => {
        const ch = this.client.channels.cache.get(id);
        return ch && "name" in ch && typeof ch.name === "string" ? ch.name : undefined;
      },
    };
  }

  private async handle(parsed: ParsedMessage): Promise<void> {
    if (parsed.kind === "reply") {
      await this.o.hooks.onReply(parsed.reply);
      await this.advanceCursor(parsed.reply.eventId);
    } else if (parsed.kind === "edit") {
      await this.o.hooks.onEdit("discord", parsed.message, parsed.edit);
    }
  }

  private async onCreate(m: Message): Promise<void> {
    await this.handle(parseMessage(rawOf(m), this.ownId, this.names(m)));
  }

  private async onUpdate(before: Message | PartialMessage, after: Message | PartialMessage) {
    if (after.partial) return;
    const changed = before.partial
      ? after.editedTimestamp !== null
      : before.content !== after.content;
    await this.handle(parseChange(rawOf(after), this.ownId, "edited", changed));
  }

  private async onDelete(m: Message | PartialMessage): Promise<void> {
    const known = m.partial ? { id: m.id, channelId: m.channelId } : rawOf(m);
    await this.handle(parseChange(known, this.ownId, "deleted"));
  }

  /** Deferred at once (Discord allows 3 s), answered when the bridge has recorded it. */
  private async onSms(i: ChatInputCommandInteraction): Promise<void> {
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    let answer: string;
    try {
      answer = await this.o.hooks.onCommand({
        platform: "discord",
        eventId: i.id,
        author: i.user.displayName,
        authorId: i.user.id,
        canManage: canManage(i, this.o.managerRole),
        place: await placeOf(i),
        args: commandArgs(i.options.data),
      });
    } catch (err) {
      this.o.log.error({ err: errorMessage(err) }, "discord /sms failed");
      answer = this.words.chat.somethingWrong;
    }
    await i.editReply({ content: answer.slice(0, 2000), allowedMentions: NO_MENTIONS });
  }

  private async onButton(i: ButtonInteraction | UserSelectMenuInteraction): Promise<void> {
    const action = parseActionId(i.customId);
    if (!action) return;
    await i.deferUpdate();
    const refused = await this.o.hooks.onAction({
      platform: "discord",
      ...action,
      ...(i.isUserSelectMenu() ? { value: i.values[0] } : {}),
      author: i.user.displayName,
      authorId: i.user.id,
      eventId: i.id,
      canManage: canManage(i, this.o.managerRole),
    });
    // Said to that person alone: an ephemeral follow-up of the press.
    if (refused)
      await i.followUp({
        content: refused.slice(0, 2000),
        flags: MessageFlags.Ephemeral,
        allowedMentions: NO_MENTIONS,
      });
  }

  /** A button that opens a form: the modal is the answer (within 3 s: nothing else first). */
  private async onFormButton(i: ButtonInteraction): Promise<void> {
    const target = parseFormId(i.customId);
    if (!target) return;
    const form = await this.o.hooks.formFor({
      platform: "discord",
      ...target,
      author: i.user.displayName,
      authorId: i.user.id,
    });
    if (!form) {
      await i.reply({
        content: this.words.chat.conversationGone,
        flags: MessageFlags.Ephemeral,
      });
      return;
    }
    await i.showModal(renderModal(form, i.customId));
  }

  /**
   * A submitted modal: acknowledged at once (type 6: the card it came from changes when the
   * bridge updates it), then saved; a problem is told to the person alone.
   */
  private async onFormSubmit(i: ModalSubmitInteraction): Promise<void> {
    const target = parseFormId(i.customId);
    if (!target) return;
    await i.deferUpdate();
    const values: Record<string, string> = {};
    for (const [id, field] of i.fields.fields) {
      if ("value" in field && typeof field.value === "string") values[id] = field.value;
    }
    let problem: string | undefined;
    try {
      const answer = await this.o.hooks.onFormSubmit({
        platform: "discord",
        ...target,
        values,
        author: i.user.displayName,
        authorId: i.user.id,
        eventId: i.id,
      });
      const errors = Object.entries(answer.errors ?? {});
      if (errors.length > 0)
        problem = fill(this.words.chat.notSaved, {
          problems: errors.map(([field, why]) => `${field}: ${why}`).join("; "),
        });
    } catch (err) {
      this.o.log.error({ err: errorMessage(err) }, "discord form not saved");
      problem = this.words.chat.notSavedNow;
    }
    if (problem)
      await i.followUp({
        content: problem,
        flags: MessageFlags.Ephemeral,
        allowedMentions: NO_MENTIONS,
      });
  }

  // ── catching up after a gap ────────────────────────────────────────────────────────────

  private async readCursor(): Promise<string | undefined> {
    return this.o.state.get(this.cursorKey);
  }

  /** Remembers the newest message handled (snowflakes grow with time). */
  private async advanceCursor(id: string): Promise<void> {
    await this.o.state.raise(this.cursorKey, id);
  }

  // ── scale: catch-up bounded by what happened while away ──────────────────────────────────
  /**
   * Messages posted in the bridge's active threads after the newest one handled. What it costs
   * is bounded by what happened while away: one request for each guild's active threads
   * (GET /guilds/{guild.id}/threads/active), then only the threads whose last_message_id is
   * past the cursor, read page after page of 100, oldest first.
   */
  private async catchUp(): Promise<void> {
    const after = await this.readCursor();
    if (!after) return;
    const cursor = BigInt(after);
    for (const guild of this.client.guilds.cache.values()) {
      const { threads } = await guild.channels.fetchActiveThreads();
      for (const thread of threads.values()) {
        if (thread.ownerId !== this.ownId || thread.archived) continue;
        if (!thread.lastMessageId || BigInt(thread.lastMessageId) <= cursor) continue;
        let count = 0;
        for (let from = after; ; ) {
          // With `after`, Discord answers the (up to) 100 messages right after it, newest first.
          const page = await thread.messages.fetch({ after: from, limit: 100, cache: false });
          const ordered = [...page.values()].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
          for (const m of ordered) await this.guard("missed message", () => this.onCreate(m));
          count += ordered.length;
          const last = ordered.at(-1);
          if (!last || ordered.length < 100) break;
          from = last.id;
        }
        if (count > 0) this.o.log.info({ thread: thread.id, count }, "discord: caught up");
      }
    }
  }
  // ── end of scale ──────────────────────────────────────────────────────────────────────────
}
