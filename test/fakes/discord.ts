// A local fake Discord for tests: one guild with text and forum channels, served to the real,
// unmodified discord.js Client. REST lives in discord-rest.ts (Express, under /api/v10), the
// gateway in discord-gateway.ts (WebSocket at /gateway); this file holds the guild's state,
// the mutations both share (each one dispatches the gateway event Discord would send), and
// the helpers tests drive it with.
//
//   const fake = await startFakeDiscord();
//   const client = new Client({ intents, rest: { api: fake.apiUrl } });
//   await client.login(fake.token);
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type ConnectionEvent, FakeGateway, Intent } from "./discord-gateway.ts";
import { checkModal, submittedRows } from "./discord-modal.ts";
import {
  checkEmbeds,
  createRestApp,
  FakeApiError,
  invalidFormBody,
  RateLimiter,
  type RateLimitOptions,
  type RequestRecord,
} from "./discord-rest.ts";

export type { ConnectionEvent } from "./discord-gateway.ts";
export type { RequestRecord } from "./discord-rest.ts";

export type Json = Record<string, unknown>;

/** Discord channel types used here. */
export const ChannelKind = { Text: 0, PublicThread: 11, PrivateThread: 12, Forum: 15 } as const;

/** Message flags used here. */
const Flag = { HasThread: 1 << 5, Ephemeral: 1 << 6, Loading: 1 << 7 } as const;

export interface FakeChannelSpec {
  id: string;
  name: string;
  type: "text" | "forum";
  tags?: { id: string; name: string }[];
}

export interface FakeDiscordOptions {
  /** Bot token the fake accepts (REST `Authorization: Bot <token>` and gateway IDENTIFY). */
  token?: string;
  /** Also the bot user's id, as for every application created since 2019. */
  applicationId?: string;
  guildId?: string;
  /** Default: a text channel "sms" and a forum "sms-forum" with tags open, closed, opted-out. */
  channels?: FakeChannelSpec[];
  /** Per-bucket limit (bucket: route and major parameter, as Discord). Default 50 per second. */
  rateLimit?: RateLimitOptions | null;
  /** HELLO heartbeat_interval. Default 41250, as Discord. */
  heartbeatIntervalMs?: number;
  /** How long an interaction may wait for its callback (Discord: 3 s). */
  interactionTimeoutMs?: number;
  /** Whether privileged intents (MessageContent…) are on "in the developer portal"; if not, IDENTIFY asking for them is closed with 4014. Default true. */
  privilegedIntents?: boolean;
  botUsername?: string;
  /** Extra server roles (in GUILD_CREATE's roles), no permissions of their own; none by default. */
  roles?: { id: string; name: string }[];
  /** REST paths (under /api/v10) the fake receives and never answers: a Discord gone silent. */
  silentPaths?: string[];
}

export interface FakeUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: string | null;
  bot?: boolean;
  [key: string]: unknown;
}

export interface FakeTag {
  id: string;
  name: string;
  moderated: boolean;
  emoji_id: string | null;
  emoji_name: string | null;
}

export interface FakeChannel {
  id: string;
  type: number;
  guild_id: string;
  name: string;
  parent_id: string | null;
  last_message_id: string | null;
  flags: number;
  available_tags?: FakeTag[];
  applied_tags?: string[];
  owner_id?: string;
  message_count?: number;
  thread_metadata?: {
    archived: boolean;
    locked: boolean;
    auto_archive_duration: number;
    archive_timestamp: string;
    create_timestamp: string;
    invitable?: boolean;
  };
  [key: string]: unknown;
}

export interface FakeReaction {
  emoji: { id: string | null; name: string };
  count: number;
  me: boolean;
  users: string[];
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  type: number;
  content: string;
  author: FakeUser;
  timestamp: string;
  edited_timestamp: string | null;
  embeds: unknown[];
  components: unknown[];
  attachments: unknown[];
  mentions: FakeUser[];
  flags: number;
  reactions?: FakeReaction[];
  webhook_id?: string;
  message_reference?: Json;
  thread?: FakeChannel;
  [key: string]: unknown;
}

/** One answer the bot gave to an interaction, in order. */
export interface InteractionResponse {
  interactionId: string;
  token: string;
  /** callback: POST /interactions/:id/:token/callback; edit: PATCH …/messages/@original (or an id); followup: POST /webhooks/:app/:token; delete: DELETE …/@original. */
  kind: "callback" | "edit" | "followup" | "delete";
  /** Callback type (4 reply, 5 deferred reply, 6 deferred update, 7 update, 9 modal). */
  type?: number;
  content?: string;
  ephemeral: boolean;
  data: Json;
  at: number;
  /** The message this created or edited. */
  messageId?: string;
}

export interface MessageCreateOptions {
  content: string;
  /** Default: the fake's default user ("agent"). */
  authorId?: string;
  username?: string;
  bot?: boolean;
  /** Posted by a webhook: author is the webhook, webhook_id set, no member. */
  webhookId?: string;
  attachments?: { filename: string; url?: string; contentType?: string; size?: number }[];
  embeds?: Json[];
  /** Id of a message in the same channel this one replies to. */
  replyTo?: string;
}

export type CommandOptionValue = string | number | boolean;

export interface InteractionOptions {
  name: string;
  channelId: string;
  userId?: string;
  username?: string;
  /** Raw options, or name → value (type inferred: string 3, integer 4, boolean 5, number 10). */
  options?: Json[] | Record<string, CommandOptionValue>;
  /** "number text…": split onto the registered command's options in order, the last takes the rest. */
  args?: string;
  subcommand?: string;
  /** The member's role ids (member.roles); none by default. */
  roles?: string[];
  /** The member's permissions in the channel (member.permissions); @everyone's by default. */
  permissions?: bigint;
}

export interface ButtonClickOptions {
  customId: string;
  channelId: string;
  messageId: string;
  userId?: string;
  username?: string;
  /** The member's role ids (member.roles); none by default. */
  roles?: string[];
  /** The member's permissions in the channel (member.permissions); @everyone's by default. */
  permissions?: bigint;
}

export interface UserSelectOptions extends ButtonClickOptions {
  /** The picked users' ids. */
  values: string[];
}

export interface ModalSubmitOptions {
  /** The interaction the bot answered with the modal (type 9). */
  interactionId: string;
  /** Values typed, by input custom_id; an input left out keeps the value it was filled with. */
  values?: Record<string, string>;
}

export interface FakeInteraction {
  id: string;
  token: string;
  payload: Json;
}

export interface FakeDiscord {
  /** REST base to give discord.js: `rest: { api: fake.apiUrl }` (it appends /v10). */
  readonly apiUrl: string;
  /** Gateway address, as GET /gateway/bot gives it. */
  readonly url: string;
  readonly token: string;
  readonly applicationId: string;
  /** The bot user's id (the application id). */
  readonly botUserId: string;
  readonly guildId: string;
  /** First text and forum channel (undefined if none was configured). */
  readonly textChannelId: string | undefined;
  readonly forumChannelId: string | undefined;
  /** A human member messages and interactions come from by default. */
  readonly defaultUserId: string;

  // gateway helpers
  messageCreate(channelId: string, options: MessageCreateOptions): FakeMessage;
  messageUpdate(
    channelId: string,
    messageId: string,
    patch: { content?: string; embeds?: Json[] },
  ): FakeMessage;
  messageDelete(channelId: string, messageId: string): void;
  interaction(options: InteractionOptions): FakeInteraction;
  buttonClick(options: ButtonClickOptions): FakeInteraction;
  /** A person picks users in a user select (component type 5) of a message. */
  userSelect(options: UserSelectOptions): FakeInteraction;
  /** The person submits the modal the bot showed them (a MODAL_SUBMIT interaction, type 5). */
  modalSubmit(options: ModalSubmitOptions): FakeInteraction;
  /** The modal (type 9 `data`) the bot answered an interaction with, if it did. */
  modalOf(interactionId: string): Json | undefined;
  threadDelete(id: string): void;
  /** Closes every gateway socket (4000 by default: discord.js resumes; 1000 makes it re-identify). */
  disconnectAll(code?: number): void;
  /** The bot token stops working (REST 401, gateway 4004) until `restoreToken`. */
  revokeToken(): void;
  restoreToken(): void;
  /** Sends op 7 RECONNECT to every socket. */
  requestReconnect(): void;
  /** Makes every session unresumable: the next RESUME gets INVALID_SESSION. */
  invalidateSessions(): void;
  /** Open, identified gateway sessions right now. */
  readonly connections: number;
  /** Every IDENTIFY, RESUME, refused resume and close, in order. */
  readonly connectionHistory: readonly ConnectionEvent[];
  /** Intents of the latest IDENTIFY (undefined before any). */
  readonly intents: number | undefined;

  // state
  messages(channelId: string): FakeMessage[];
  message(channelId: string, messageId: string): FakeMessage | undefined;
  readonly threads: FakeChannel[];
  channel(id: string): FakeChannel | undefined;
  /** Emoji on a message ("✅", or "name:id" for custom ones), in the order first added. */
  reactions(channelId: string, messageId: string): string[];
  readonly interactionResponses: readonly InteractionResponse[];
  responsesTo(interactionId: string): InteractionResponse[];
  /** Registered commands: global, and per guild. */
  readonly commands: { global: Json[]; guild: Record<string, Json[]> };
  readonly requests: readonly RequestRecord[];

  // state changes tests make
  deleteChannel(id: string): void;
  archiveThread(id: string, options?: { locked?: boolean }): void;
  removeAccess(channelId: string): void;
  restoreAccess(channelId: string): void;
  /** The bot loses (or regains) the Attach Files permission in a channel. */
  denyAttachments(channelId: string, denied?: boolean): void;
  /** The bytes of an attachment the bot uploaded, by its URL. */
  attachmentData(url: string): Buffer | undefined;
  /**
   * Answers 429 to requests on this channel id (or route, "POST /channels/:id/messages") for
   * `ms`, with X-RateLimit-Scope `scope` (default "user"; "shared": the resource's limit).
   */
  rateLimit(routeOrChannelId: string, ms: number, scope?: "user" | "shared"): void;
  /** Answers 429 to every request but interaction callbacks for `ms`: the bot's global limit. */
  rateLimitGlobal(ms: number): void;
  addUser(user: { id: string; username: string; globalName?: string; bot?: boolean }): FakeUser;

  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/**
 * What Discord's client enforces before an interaction exists: a command with subcommands is
 * used through one of them, and every required option has a value.
 */
function requireOptions(command: string, declared: Json, path: string[], given: Json[]): void {
  let at: Json | undefined = declared;
  for (const name of path) {
    at = (at?.options as Json[] | undefined)?.find((o) => o.name === name && Number(o.type) <= 2);
    if (!at) throw new Error(`fake discord: /${command} has no subcommand ${path.join(" ")}`);
  }
  const options = (at?.options ?? []) as Json[];
  if (options.some((o) => Number(o.type) <= 2)) {
    throw new Error(`fake discord: /${command} ${path.join(" ")} needs a subcommand`.trim());
  }
  for (const o of options) {
    if (o.required === true && !given.some((g) => g.name === o.name)) {
      throw new Error(`fake discord: /${command} ${path.join(" ")}: ${o.name} is required`);
    }
  }
}

const EPOCH = 1420070400000n;
let lastSnowflake = 0n;

/** Increasing Discord snowflakes (timestamp in the high bits, as discord.js decodes them). */
export function snowflake(): string {
  let id = (BigInt(Date.now()) - EPOCH) << 22n;
  if (id <= lastSnowflake) id = lastSnowflake + 1n;
  lastSnowflake = id;
  return id.toString();
}

function isoNow(): string {
  return new Date().toISOString().replace("Z", "+00:00");
}

const P = {
  AddReactions: 1n << 6n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  ManageMessages: 1n << 13n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  UseApplicationCommands: 1n << 31n,
  ManageThreads: 1n << 34n,
  CreatePublicThreads: 1n << 35n,
  SendMessagesInThreads: 1n << 38n,
};
const EVERYONE_PERMISSIONS =
  P.ViewChannel |
  P.SendMessages |
  P.ReadMessageHistory |
  P.AddReactions |
  P.UseApplicationCommands |
  P.SendMessagesInThreads |
  P.CreatePublicThreads |
  P.EmbedLinks |
  P.AttachFiles;
const BOT_PERMISSIONS = EVERYONE_PERMISSIONS | P.ManageMessages | P.ManageThreads;

interface ChannelState {
  data: FakeChannel;
  deleted: boolean;
  noAccess: boolean;
  /** The bot lacks Attach Files here: a message with attachments is 403, 50013. */
  noAttach?: boolean;
  messages: FakeMessage[];
}

interface InteractionState {
  id: string;
  token: string;
  type: number;
  channelId: string;
  userId: string;
  messageId?: string;
  createdAt: number;
  acknowledged: boolean;
  original?: FakeMessage;
  ephemeral: boolean;
  /** The modal the bot answered with (type 9). */
  modal?: Json;
}

/** How long Discord remembers an enforced nonce ("the past few minutes"). */
const NONCE_WINDOW_MS = 5 * 60_000;

/** The guild, its channels and messages; mutations dispatch what Discord would dispatch. */
export class DiscordWorld implements FakeDiscord {
  apiUrl = "";
  url = "";
  readonly token: string;
  readonly applicationId: string;
  readonly botUserId: string;
  readonly guildId: string;
  readonly defaultUserId: string;
  readonly interactionTimeoutMs: number;
  readonly botUser: FakeUser;
  readonly gateway: FakeGateway;
  readonly limiter: RateLimiter;
  readonly requests: RequestRecord[] = [];
  readonly interactionResponses: InteractionResponse[] = [];
  readonly commands: { global: Json[]; guild: Record<string, Json[]> } = { global: [], guild: {} };
  private readonly channels = new Map<string, ChannelState>();
  private readonly attachments = new Map<string, Buffer>();
  private readonly users = new Map<string, FakeUser>();
  private readonly interactionsByToken = new Map<string, InteractionState>();
  private readonly roleIds = { everyone: "", bot: "" };
  /** Messages sent with enforce_nonce, by author and nonce (Discord checks a few minutes back). */
  private readonly nonces = new Map<string, { channelId: string; messageId: string; at: number }>();
  private readonly extraRoles: { id: string; name: string }[];
  private readonly joinedAt = isoNow();
  /** The Message Content intent "in the developer portal" (the application's flags show it). */
  private readonly messageContent: boolean;
  /** REST paths never answered (FakeDiscordOptions.silentPaths). */
  readonly silentPaths: ReadonlySet<string>;
  server: Server | undefined;

  constructor(options: FakeDiscordOptions = {}) {
    this.token = options.token ?? "test-discord-token";
    this.applicationId = options.applicationId ?? "100000000000000001";
    this.botUserId = this.applicationId;
    this.guildId = options.guildId ?? snowflake();
    this.interactionTimeoutMs = options.interactionTimeoutMs ?? 3000;
    this.roleIds.everyone = this.guildId;
    this.roleIds.bot = snowflake();
    this.extraRoles = options.roles ?? [];
    this.messageContent = options.privilegedIntents ?? true;
    this.silentPaths = new Set(options.silentPaths ?? []);
    this.botUser = {
      id: this.botUserId,
      username: options.botUsername ?? "ardary-bridge",
      global_name: null,
      discriminator: "0",
      avatar: null,
      bot: true,
      public_flags: 0,
    };
    this.users.set(this.botUserId, this.botUser);
    this.defaultUserId = snowflake();
    this.addUser({ id: this.defaultUserId, username: "agent", globalName: "Agent Smith" });
    this.limiter = new RateLimiter(
      options.rateLimit === undefined ? { perRoute: 50, windowMs: 1000 } : options.rateLimit,
    );
    const specs = options.channels ?? [
      { id: snowflake(), name: "sms", type: "text" },
      {
        id: snowflake(),
        name: "sms-forum",
        type: "forum",
        tags: [
          { id: snowflake(), name: "open" },
          { id: snowflake(), name: "closed" },
          { id: snowflake(), name: "opted-out" },
        ],
      },
    ];
    for (const [position, spec] of specs.entries()) this.addChannel(spec, position);
    const world = this;
    this.gateway = new FakeGateway({
      // A revoked token matches nothing: IDENTIFY and RESUME are closed with 4004.
      get token() {
        return world.revoked ? "" : world.token;
      },
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41250,
      privilegedIntents: options.privilegedIntents ?? true,
      gatewayUrl: () => this.url,
      readyPayload: (sessionId) => this.readyPayload(sessionId),
      guildCreatePayloads: () => [this.guildPayload()],
    });
  }

  // ── public state ─────────────────────────────────────────────────────────────────────────

  get textChannelId(): string | undefined {
    return this.liveChannels().find((c) => c.data.type === ChannelKind.Text)?.data.id;
  }

  get forumChannelId(): string | undefined {
    return this.liveChannels().find((c) => c.data.type === ChannelKind.Forum)?.data.id;
  }

  get connections(): number {
    return this.gateway.openSessions;
  }

  get connectionHistory(): readonly ConnectionEvent[] {
    return this.gateway.history;
  }

  get intents(): number | undefined {
    return this.gateway.intents.at(-1);
  }

  get threads(): FakeChannel[] {
    return this.liveChannels()
      .filter((c) => isThread(c.data))
      .map((c) => c.data);
  }

  channel(id: string): FakeChannel | undefined {
    const state = this.channels.get(id);
    return state && !state.deleted ? state.data : undefined;
  }

  messages(channelId: string): FakeMessage[] {
    return [...(this.channels.get(channelId)?.messages ?? [])];
  }

  message(channelId: string, messageId: string): FakeMessage | undefined {
    return this.channels.get(channelId)?.messages.find((m) => m.id === messageId);
  }

  reactions(channelId: string, messageId: string): string[] {
    const message = this.message(channelId, messageId);
    return (message?.reactions ?? []).map((r) =>
      r.emoji.id ? `${r.emoji.name}:${r.emoji.id}` : r.emoji.name,
    );
  }

  responsesTo(interactionId: string): InteractionResponse[] {
    return this.interactionResponses.filter((r) => r.interactionId === interactionId);
  }

  addUser(user: { id: string; username: string; globalName?: string; bot?: boolean }): FakeUser {
    const record: FakeUser = {
      id: user.id,
      username: user.username,
      global_name: user.globalName ?? null,
      discriminator: "0",
      avatar: null,
      public_flags: 0,
      ...(user.bot ? { bot: true } : {}),
    };
    this.users.set(user.id, record);
    return record;
  }

  user(id: string, username?: string, bot?: boolean): FakeUser {
    const known = this.users.get(id);
    if (known && (username === undefined || known.username === username)) return known;
    return this.addUser({ id, username: username ?? `user${id.slice(-4)}`, bot });
  }

  // ── gateway helpers ──────────────────────────────────────────────────────────────────────

  disconnectAll(code?: number): void {
    this.gateway.disconnectAll(code);
  }

  /** True while the bot's token is revoked (revokeToken). */
  revoked = false;

  /**
   * The bot's token is reset in the developer portal: REST answers 401 Unauthorized (code 0),
   * open gateway connections are closed with 4004 Authentication failed, and IDENTIFY and RESUME
   * with it are refused with 4004, until `restoreToken`.
   * https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes
   */
  revokeToken(): void {
    this.revoked = true;
    this.gateway.disconnectAll(4004);
  }

  /** The token works again. */
  restoreToken(): void {
    this.revoked = false;
  }

  requestReconnect(): void {
    this.gateway.requestReconnect();
  }

  invalidateSessions(): void {
    this.gateway.invalidateSessions();
  }

  messageCreate(channelId: string, options: MessageCreateOptions): FakeMessage {
    const state = this.requireChannel(channelId);
    let author: FakeUser;
    if (options.webhookId) {
      author = {
        id: options.webhookId,
        username: options.username ?? "Captain Hook",
        global_name: null,
        discriminator: "0000",
        avatar: null,
        bot: true,
      };
    } else {
      author = this.user(options.authorId ?? this.defaultUserId, options.username, options.bot);
    }
    if (isThread(state.data) && state.data.thread_metadata?.archived) {
      this.setArchived(state, false);
    }
    const message = this.newMessage(state, author, {
      content: options.content,
      mentions: this.mentionsIn(options.content),
      embeds: options.embeds ?? [],
      attachments: (options.attachments ?? []).map((a) => {
        const id = snowflake();
        const url =
          a.url ?? `https://cdn.discordapp.com/attachments/${channelId}/${id}/${a.filename}`;
        return {
          id,
          filename: a.filename,
          size: a.size ?? 1024,
          url,
          proxy_url: url.replace("cdn.discordapp.com", "media.discordapp.net"),
          content_type: a.contentType ?? "application/octet-stream",
        };
      }),
      ...(options.replyTo ? { message_reference: { message_id: options.replyTo } } : {}),
      ...(options.webhookId ? { webhook_id: options.webhookId } : {}),
    });
    return message;
  }

  messageUpdate(
    channelId: string,
    messageId: string,
    patch: { content?: string; embeds?: Json[] },
  ): FakeMessage {
    const state = this.requireChannel(channelId);
    const message = state.messages.find((m) => m.id === messageId);
    if (!message) throw new Error(`fake discord: no message ${messageId} in ${channelId}`);
    if (patch.content !== undefined) {
      message.content = patch.content;
      message.mentions = this.mentionsIn(patch.content);
    }
    if (patch.embeds !== undefined) message.embeds = patch.embeds;
    message.edited_timestamp = isoNow();
    this.dispatchMessage("MESSAGE_UPDATE", message);
    return message;
  }

  messageDelete(channelId: string, messageId: string): void {
    const state = this.requireChannel(channelId);
    if (!state.messages.some((m) => m.id === messageId)) {
      throw new Error(`fake discord: no message ${messageId} in ${channelId}`);
    }
    this.removeMessage(state, messageId);
  }

  interaction(options: InteractionOptions): FakeInteraction {
    const state = this.requireChannel(options.channelId);
    const command = this.findCommand(options.name);
    // A subcommand ("send") or a group and its subcommand ("route add"): its declared options.
    const path = options.subcommand?.split(/\s+/).filter(Boolean) ?? [];
    const declaredAt = path.reduce<Json | undefined>(
      (at, name) => (at?.options as Json[] | undefined)?.find((o) => o.name === name),
      command,
    );
    let commandOptions = this.commandOptions(options, declaredAt ?? command);
    if (command) requireOptions(options.name, command, path, commandOptions);
    // Nested as Discord sends them: group (type 2) > subcommand (type 1) > options.
    for (const [i, name] of [...path.entries()].reverse()) {
      const type = i === path.length - 1 ? 1 : 2;
      commandOptions = [{ type, name, options: commandOptions }];
    }
    return this.dispatchInteraction(
      state,
      options.userId,
      options.username,
      2,
      {
        id: typeof command?.id === "string" ? command.id : snowflake(),
        name: options.name,
        type: 1,
        options: commandOptions,
        guild_id: this.guildId,
      },
      undefined,
      { roles: options.roles, permissions: options.permissions },
    );
  }

  buttonClick(options: ButtonClickOptions): FakeInteraction {
    const state = this.requireChannel(options.channelId);
    const message = state.messages.find((m) => m.id === options.messageId);
    if (!message) throw new Error(`fake discord: no message ${options.messageId}`);
    return this.dispatchInteraction(
      state,
      options.userId,
      options.username,
      3,
      { custom_id: options.customId, component_type: 2 },
      message,
      { roles: options.roles, permissions: options.permissions },
    );
  }

  userSelect(options: UserSelectOptions): FakeInteraction {
    const state = this.requireChannel(options.channelId);
    const message = state.messages.find((m) => m.id === options.messageId);
    if (!message) throw new Error(`fake discord: no message ${options.messageId}`);
    const picked = options.values.map((id) => this.user(id));
    // https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-message-component-data-structure
    return this.dispatchInteraction(
      state,
      options.userId,
      options.username,
      3,
      {
        custom_id: options.customId,
        component_type: 5,
        values: options.values,
        resolved: {
          users: Object.fromEntries(picked.map((u) => [u.id, u])),
          members: Object.fromEntries(
            picked.map((u) => [u.id, { ...this.memberOf(u.id), permissions: "0" }]),
          ),
        },
      },
      message,
      { roles: options.roles, permissions: options.permissions },
    );
  }

  modalOf(interactionId: string): Json | undefined {
    return [...this.interactionsByToken.values()].find((i) => i.id === interactionId)?.modal;
  }

  modalSubmit(options: ModalSubmitOptions): FakeInteraction {
    const shown = [...this.interactionsByToken.values()].find(
      (i) => i.id === options.interactionId,
    );
    if (!shown?.modal) throw new Error(`fake discord: no modal shown for ${options.interactionId}`);
    const state = this.requireChannel(shown.channelId);
    const message = shown.messageId
      ? state.messages.find((m) => m.id === shown.messageId)
      : undefined;
    // https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-modal-submit-data-structure
    return this.dispatchInteraction(
      state,
      shown.userId,
      undefined,
      5,
      {
        custom_id: shown.modal.custom_id,
        components: submittedRows(shown.modal, options.values ?? {}),
      },
      message,
    );
  }

  threadDelete(id: string): void {
    const state = this.requireChannel(id);
    if (!isThread(state.data)) throw new Error(`fake discord: ${id} is not a thread`);
    this.deleteChannel(id);
  }

  // ── state changes tests make ─────────────────────────────────────────────────────────────

  deleteChannel(id: string): void {
    const state = this.requireChannel(id);
    state.deleted = true;
    const d = state.data;
    if (isThread(d)) {
      this.gateway.dispatch(
        "THREAD_DELETE",
        { id: d.id, guild_id: this.guildId, parent_id: d.parent_id, type: d.type },
        { intent: Intent.Guilds },
      );
      return;
    }
    for (const child of this.liveChannels()) if (child.data.parent_id === id) child.deleted = true;
    this.gateway.dispatch("CHANNEL_DELETE", { ...d }, { intent: Intent.Guilds });
  }

  archiveThread(id: string, options: { locked?: boolean } = {}): void {
    const state = this.requireChannel(id);
    if (!state.data.thread_metadata) throw new Error(`fake discord: ${id} is not a thread`);
    if (options.locked !== undefined) state.data.thread_metadata.locked = options.locked;
    this.setArchived(state, true);
  }

  removeAccess(channelId: string): void {
    this.setAccess(channelId, false);
  }

  restoreAccess(channelId: string): void {
    this.setAccess(channelId, true);
  }

  denyAttachments(channelId: string, denied = true): void {
    this.requireChannel(channelId).noAttach = denied;
  }

  attachmentData(url: string): Buffer | undefined {
    return this.attachments.get(url);
  }

  /** Called by REST (discord-rest.ts) with each uploaded file. */
  keepAttachment(url: string, data: Buffer): void {
    this.attachments.set(url, data);
  }

  /** Attach Files, checked where a message with attachments is made. */
  private checkAttach(state: ChannelState, body: Json): void {
    const parent = state.data.parent_id ? this.channels.get(state.data.parent_id) : undefined;
    const attaching = Array.isArray(body.attachments) && body.attachments.length > 0;
    if (attaching && (state.noAttach || parent?.noAttach))
      throw new FakeApiError(403, 50013, "Missing Permissions");
  }

  rateLimit(routeOrChannelId: string, ms: number, scope: "user" | "shared" = "user"): void {
    this.limiter.force(routeOrChannelId, ms, scope);
  }

  rateLimitGlobal(ms: number): void {
    this.limiter.force("*", ms, "global");
  }

  async waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value !== undefined && value !== null && value !== false) return value;
      if (Date.now() > deadline) {
        throw new Error(`fake discord: waitFor timed out after ${timeoutMs} ms: ${predicate}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async close(): Promise<void> {
    await this.gateway.close();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ── used by REST (discord-rest.ts) ───────────────────────────────────────────────────────

  /** A channel the bot may use: 404 Unknown Channel if gone, 403 Missing Access if hidden. */
  channelFor(id: string): ChannelState {
    const state = this.channels.get(id);
    if (!state || state.deleted) throw new FakeApiError(404, 10003, "Unknown Channel");
    const parent = state.data.parent_id ? this.channels.get(state.data.parent_id) : undefined;
    if (state.noAccess || parent?.noAccess) throw new FakeApiError(403, 50001, "Missing Access");
    return state;
  }

  messageFor(state: ChannelState, messageId: string): FakeMessage {
    const message = state.messages.find((m) => m.id === messageId);
    if (!message) throw new FakeApiError(404, 10008, "Unknown Message");
    return message;
  }

  /** POST /channels/:id/messages (and the bot's interaction replies). */
  postMessage(channelId: string, body: Json): FakeMessage {
    const state = this.channelFor(channelId);
    if (state.data.type === ChannelKind.Forum) {
      throw new FakeApiError(400, 50008, "Cannot send messages in a non-text channel");
    }
    const meta = state.data.thread_metadata;
    if (meta?.archived && meta.locked) throw new FakeApiError(400, 160005, "Thread is locked");
    this.checkAttach(state, body);
    const nonce = body.nonce;
    if (typeof nonce === "string" && nonce.length > 25) {
      throw invalidFormBody({
        nonce: { code: "BASE_TYPE_MAX_LENGTH", message: "Must be 25 or fewer in length." },
      });
    }
    // enforce_nonce: the same author's same nonce within a few minutes returns that message.
    const nonceKey =
      body.enforce_nonce === true && nonce !== undefined ? `${this.botUserId}:${nonce}` : undefined;
    const earlier = nonceKey ? this.nonces.get(nonceKey) : undefined;
    if (earlier && Date.now() - earlier.at < NONCE_WINDOW_MS) {
      const found = this.channels
        .get(earlier.channelId)
        ?.messages.find((m) => m.id === earlier.messageId);
      if (found) return found;
    }
    const fields = this.messageFields(body, true);
    if (typeof nonce === "string" || typeof nonce === "number") fields.nonce = nonce;
    const reference = body.message_reference as Json | undefined;
    if (reference && typeof reference.message_id === "string") {
      const exists = state.messages.some((m) => m.id === reference.message_id);
      if (!exists && reference.fail_if_not_exists !== false) {
        throw invalidFormBody({
          message_reference: {
            code: "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
            message: "Unknown message",
          },
        });
      }
      if (exists) fields.message_reference = { message_id: reference.message_id };
    }
    if (meta?.archived) this.setArchived(state, false);
    const message = this.newMessage(state, this.botUser, fields);
    if (nonceKey) this.nonces.set(nonceKey, { channelId, messageId: message.id, at: Date.now() });
    return message;
  }

  /** PATCH /channels/:id/messages/:mid */
  editMessage(channelId: string, messageId: string, body: Json): FakeMessage {
    const state = this.channelFor(channelId);
    const message = this.messageFor(state, messageId);
    this.assertNotArchived(state);
    if (message.author.id !== this.botUserId) {
      throw new FakeApiError(403, 50005, "Cannot edit a message authored by another user");
    }
    Object.assign(message, this.messageFields(body, false));
    message.edited_timestamp = isoNow();
    this.dispatchMessage("MESSAGE_UPDATE", message);
    return message;
  }

  /** DELETE /channels/:id/messages/:mid */
  deleteMessage(channelId: string, messageId: string): void {
    const state = this.channelFor(channelId);
    this.messageFor(state, messageId);
    this.assertNotArchived(state);
    this.removeMessage(state, messageId);
  }

  /** PUT / DELETE /channels/:id/messages/:mid/reactions/:emoji/@me */
  react(channelId: string, messageId: string, emoji: string, add: boolean): void {
    const state = this.channelFor(channelId);
    const message = this.messageFor(state, messageId);
    this.assertNotArchived(state);
    const custom = /^(?<name>[\w-]+):(?<id>\d{17,20})$/.exec(emoji)?.groups;
    if (!custom && (/^\w+$/.test(emoji) || emoji.length === 0)) {
      throw new FakeApiError(400, 10014, "Unknown Emoji");
    }
    const key = { id: custom?.id ?? null, name: custom?.name ?? emoji };
    message.reactions ??= [];
    let reaction = message.reactions.find(
      (r) => r.emoji.name === key.name && r.emoji.id === key.id,
    );
    if (add) {
      if (!reaction) {
        reaction = { emoji: key, count: 0, me: false, users: [] };
        message.reactions.push(reaction);
      }
      if (reaction.users.includes(this.botUserId)) return;
      reaction.users.push(this.botUserId);
    } else {
      if (!reaction?.users.includes(this.botUserId)) return;
      reaction.users = reaction.users.filter((u) => u !== this.botUserId);
    }
    reaction.count = reaction.users.length;
    reaction.me = reaction.users.includes(this.botUserId);
    message.reactions = message.reactions.filter((r) => r.count > 0);
    this.gateway.dispatch(
      add ? "MESSAGE_REACTION_ADD" : "MESSAGE_REACTION_REMOVE",
      {
        user_id: this.botUserId,
        channel_id: channelId,
        message_id: messageId,
        guild_id: this.guildId,
        emoji: key,
        burst: false,
        type: 0,
        ...(add ? { member: this.botMember(), message_author_id: message.author.id } : {}),
      },
      { intent: Intent.GuildMessageReactions },
    );
  }

  /** POST /channels/:id/messages/:mid/threads: a thread whose id is the message's. */
  startThread(channelId: string, messageId: string, body: Json): FakeChannel {
    const parent = this.channelFor(channelId);
    const message = this.messageFor(parent, messageId);
    if (parent.data.type !== ChannelKind.Text) {
      throw new FakeApiError(400, 50024, "Cannot execute action on this channel type");
    }
    if (message.thread) {
      throw new FakeApiError(400, 160004, "A thread has already been created for this message");
    }
    const thread = this.newThread(parent, message.id, ChannelKind.PublicThread, body);
    message.thread = thread.data;
    message.flags |= Flag.HasThread;
    this.gateway.dispatch(
      "THREAD_CREATE",
      { ...thread.data, newly_created: true },
      {
        intent: Intent.Guilds,
      },
    );
    this.dispatchMessage("MESSAGE_UPDATE", message);
    return thread.data;
  }

  /** POST /channels/:id/threads: a forum post (with its first message) or a bare thread. */
  createThread(channelId: string, body: Json): FakeChannel & { message?: FakeMessage } {
    const parent = this.channelFor(channelId);
    if (parent.data.type === ChannelKind.Forum) {
      const first = body.message as Json | undefined;
      if (!first || typeof first !== "object") {
        throw invalidFormBody({
          message: { code: "BASE_TYPE_REQUIRED", message: "This field is required" },
        });
      }
      this.checkAttach(parent, first);
      const fields = this.messageFields(first, true);
      const id = snowflake();
      const thread = this.newThread(parent, id, ChannelKind.PublicThread, body);
      const message = this.buildMessage(thread, this.botUser, fields, id);
      thread.messages.push(message);
      thread.data.last_message_id = id;
      this.gateway.dispatch(
        "THREAD_CREATE",
        { ...thread.data, newly_created: true },
        {
          intent: Intent.Guilds,
        },
      );
      this.dispatchMessage("MESSAGE_CREATE", message);
      return { ...thread.data, message };
    }
    if (parent.data.type !== ChannelKind.Text) {
      throw new FakeApiError(400, 50024, "Cannot execute action on this channel type");
    }
    const type =
      body.type === ChannelKind.PublicThread ? ChannelKind.PublicThread : ChannelKind.PrivateThread;
    const thread = this.newThread(parent, snowflake(), type, body);
    this.gateway.dispatch(
      "THREAD_CREATE",
      { ...thread.data, newly_created: true },
      {
        intent: Intent.Guilds,
      },
    );
    return thread.data;
  }

  /** PATCH /channels/:id: name, archived, locked, applied_tags, auto_archive_duration. */
  patchChannel(id: string, body: Json): FakeChannel {
    const state = this.channelFor(id);
    const d = state.data;
    if (body.name !== undefined) {
      if (typeof body.name !== "string" || body.name.length < 1 || body.name.length > 100) {
        throw invalidFormBody({
          name: { code: "BASE_TYPE_BAD_LENGTH", message: "Must be between 1 and 100 in length." },
        });
      }
      d.name = body.name;
    }
    if (d.thread_metadata) {
      if (body.applied_tags !== undefined)
        d.applied_tags = this.checkTags(state, body.applied_tags);
      if (typeof body.locked === "boolean") d.thread_metadata.locked = body.locked;
      if (typeof body.auto_archive_duration === "number") {
        d.thread_metadata.auto_archive_duration = body.auto_archive_duration;
      }
      if (typeof body.archived === "boolean" && body.archived !== d.thread_metadata.archived) {
        d.thread_metadata.archived = body.archived;
        d.thread_metadata.archive_timestamp = isoNow();
      }
    } else if (typeof body.topic === "string") {
      d.topic = body.topic;
    }
    this.gateway.dispatch(
      isThread(d) ? "THREAD_UPDATE" : "CHANNEL_UPDATE",
      { ...d },
      {
        intent: Intent.Guilds,
      },
    );
    return d;
  }

  /** PUT /applications/:app/commands and /applications/:app/guilds/:guild/commands */
  overwriteCommands(applicationId: string, guildId: string | null, body: unknown): Json[] {
    if (applicationId !== this.applicationId) throw new FakeApiError(403, 50001, "Missing Access");
    if (guildId !== null && guildId !== this.guildId) {
      throw new FakeApiError(403, 50001, "Missing Access");
    }
    if (!Array.isArray(body))
      throw invalidFormBody({
        _: { code: "LIST_TYPE_CONVERT", message: "Only iterables may be used in a ListType" },
      });
    const previous = guildId ? (this.commands.guild[guildId] ?? []) : this.commands.global;
    const commands = body.map((raw, index) => {
      const c = (raw ?? {}) as Json;
      const name = c.name;
      if (typeof name !== "string" || !/^[-_\p{Ll}\p{N}]{1,32}$/u.test(name)) {
        throw invalidFormBody({
          [`${index}.name`]: {
            code: "APPLICATION_COMMAND_INVALID_NAME",
            message: "Command name is invalid",
          },
        });
      }
      const type = typeof c.type === "number" ? c.type : 1;
      const description = typeof c.description === "string" ? c.description : "";
      if (type === 1 && (description.length < 1 || description.length > 100)) {
        throw invalidFormBody({
          [`${index}.description`]: {
            code: "BASE_TYPE_BAD_LENGTH",
            message: "Must be between 1 and 100 in length.",
          },
        });
      }
      const kept = previous.find((p) => p.name === name);
      return {
        options: [],
        default_member_permissions: null,
        nsfw: false,
        contexts: null,
        integration_types: [0],
        ...c,
        id: typeof kept?.id === "string" ? kept.id : snowflake(),
        application_id: this.applicationId,
        type,
        description,
        version: snowflake(),
        dm_permission: true,
        ...(guildId ? { guild_id: guildId } : {}),
      };
    });
    if (guildId) this.commands.guild[guildId] = commands;
    else this.commands.global = commands;
    return commands;
  }

  /** POST /interactions/:id/:token/callback */
  interactionCallback(
    id: string,
    token: string,
    body: Json,
  ): { interaction: InteractionState; message?: FakeMessage } {
    const interaction = this.interactionsByToken.get(token);
    if (!interaction || interaction.id !== id) {
      throw new FakeApiError(404, 10062, "Unknown interaction");
    }
    if (Date.now() - interaction.createdAt > this.interactionTimeoutMs) {
      throw new FakeApiError(404, 10062, "Unknown interaction");
    }
    if (interaction.acknowledged) {
      throw new FakeApiError(400, 40060, "Interaction has already been acknowledged.");
    }
    const type = body.type;
    const data = (body.data ?? {}) as Json;
    const ephemeral = ((Number(data.flags) || 0) & Flag.Ephemeral) !== 0;
    let message: FakeMessage | undefined;
    switch (type) {
      case 4:
      case 5: {
        const fields =
          type === 4
            ? this.messageFields(data, true)
            : { content: "", flags: Flag.Loading | (ephemeral ? Flag.Ephemeral : 0) };
        message = this.interactionMessage(interaction, fields, ephemeral);
        interaction.original = message;
        interaction.ephemeral = ephemeral;
        break;
      }
      case 6:
      case 7: {
        // For a component, or a modal submitted from one (it carries the message).
        if ((interaction.type !== 3 && interaction.type !== 5) || !interaction.messageId) {
          throw invalidFormBody({
            type: {
              code: "INTERACTION_RESPONSE_TYPE_INVALID",
              message: "Invalid interaction response type",
            },
          });
        }
        if (type === 7)
          message = this.editMessage(interaction.channelId, interaction.messageId, data);
        break;
      }
      case 9:
        if (interaction.type !== 2 && interaction.type !== 3) {
          throw invalidFormBody({
            type: {
              code: "INTERACTION_RESPONSE_TYPE_INVALID",
              message: "Invalid interaction response type",
            },
          });
        }
        checkModal(data);
        interaction.modal = data;
        break;
      default:
        throw invalidFormBody({
          type: {
            code: "BASE_TYPE_CHOICES",
            message: `Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}.`,
          },
        });
    }
    interaction.acknowledged = true;
    this.interactionResponses.push({
      interactionId: interaction.id,
      token,
      kind: "callback",
      type,
      content: typeof data.content === "string" ? data.content : undefined,
      ephemeral,
      data,
      at: Date.now(),
      messageId: message?.id,
    });
    return { interaction, message };
  }

  /** PATCH /webhooks/:app/:token/messages/:mid (@original or an id) */
  webhookEdit(applicationId: string, token: string, messageId: string, body: Json): FakeMessage {
    const interaction = this.interactionFor(applicationId, token);
    let message: FakeMessage | undefined;
    if (messageId === "@original") {
      message = interaction.original;
      if (!message && interaction.type === 3 && interaction.messageId) {
        message = this.message(interaction.channelId, interaction.messageId);
      }
    } else {
      message = this.messageFor(this.channelFor(interaction.channelId), messageId);
    }
    if (!message) throw new FakeApiError(404, 10008, "Unknown Message");
    const fields = this.messageFields(body, false);
    Object.assign(message, fields);
    message.flags &= ~Flag.Loading;
    message.edited_timestamp = isoNow();
    if (!(message.flags & Flag.Ephemeral)) this.dispatchMessage("MESSAGE_UPDATE", message);
    this.interactionResponses.push({
      interactionId: interaction.id,
      token,
      kind: "edit",
      content: message.content,
      ephemeral: (message.flags & Flag.Ephemeral) !== 0,
      data: body,
      at: Date.now(),
      messageId: message.id,
    });
    return message;
  }

  /** DELETE /webhooks/:app/:token/messages/@original */
  webhookDelete(applicationId: string, token: string): void {
    const interaction = this.interactionFor(applicationId, token);
    const message = interaction.original;
    if (!message) throw new FakeApiError(404, 10008, "Unknown Message");
    const state = this.channels.get(interaction.channelId);
    if (state?.messages.includes(message)) this.removeMessage(state, message.id);
    interaction.original = undefined;
    this.interactionResponses.push({
      interactionId: interaction.id,
      token,
      kind: "delete",
      ephemeral: interaction.ephemeral,
      data: {},
      at: Date.now(),
      messageId: message.id,
    });
  }

  /** POST /webhooks/:app/:token: a follow-up message. */
  webhookFollowup(applicationId: string, token: string, body: Json): FakeMessage {
    const interaction = this.interactionFor(applicationId, token);
    if (!interaction.acknowledged) throw new FakeApiError(404, 10015, "Unknown Webhook");
    const ephemeral = ((Number(body.flags) || 0) & Flag.Ephemeral) !== 0;
    const message = this.interactionMessage(interaction, this.messageFields(body, true), ephemeral);
    this.interactionResponses.push({
      interactionId: interaction.id,
      token,
      kind: "followup",
      content: message.content,
      ephemeral,
      data: body,
      at: Date.now(),
      messageId: message.id,
    });
    return message;
  }

  webhookMessage(applicationId: string, token: string, messageId: string): FakeMessage {
    const interaction = this.interactionFor(applicationId, token);
    const message =
      messageId === "@original"
        ? interaction.original
        : this.channels.get(interaction.channelId)?.messages.find((m) => m.id === messageId);
    if (!message) throw new FakeApiError(404, 10008, "Unknown Message");
    return message;
  }

  applicationPayload(): Json {
    return {
      id: this.applicationId,
      name: this.botUser.username,
      icon: null,
      description: "",
      summary: "",
      type: null,
      bot_public: false,
      bot_require_code_grant: false,
      verify_key: "0".repeat(64),
      // GATEWAY_MESSAGE_CONTENT_LIMITED (an unverified app with the intent on), APPLICATION_COMMAND_BADGE.
      flags: (this.messageContent ? 1 << 19 : 0) | (1 << 23),
      hook: true,
      is_monetized: false,
      team: null,
      owner: { ...this.user(this.defaultUserId) },
      bot: this.botUser,
      approximate_guild_count: 1,
    };
  }

  /** A message as REST returns it (no guild_id or member). */
  restMessage(message: FakeMessage): Json {
    const { guild_id: _g, member: _m, ...rest } = message;
    return rest;
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  private liveChannels(): ChannelState[] {
    return [...this.channels.values()].filter((c) => !c.deleted);
  }

  private requireChannel(id: string): ChannelState {
    const state = this.channels.get(id);
    if (!state || state.deleted) throw new Error(`fake discord: no channel ${id}`);
    return state;
  }

  private addChannel(spec: FakeChannelSpec, position: number): void {
    const base = {
      id: spec.id,
      guild_id: this.guildId,
      name: spec.name,
      position,
      parent_id: null,
      permission_overwrites: [],
      topic: null,
      nsfw: false,
      last_message_id: null,
      rate_limit_per_user: 0,
      default_auto_archive_duration: 1440,
      flags: 0,
    };
    const data: FakeChannel =
      spec.type === "text"
        ? { ...base, type: ChannelKind.Text }
        : {
            ...base,
            type: ChannelKind.Forum,
            available_tags: (spec.tags ?? []).map((t) => ({
              id: t.id,
              name: t.name,
              moderated: false,
              emoji_id: null,
              emoji_name: null,
            })),
            default_reaction_emoji: null,
            default_thread_rate_limit_per_user: 0,
            default_sort_order: null,
            default_forum_layout: 0,
          };
    this.channels.set(spec.id, { data, deleted: false, noAccess: false, messages: [] });
  }

  private newThread(parent: ChannelState, id: string, type: number, body: Json): ChannelState {
    const name = body.name;
    if (typeof name !== "string" || name.length < 1 || name.length > 100) {
      throw invalidFormBody({
        name: { code: "BASE_TYPE_BAD_LENGTH", message: "Must be between 1 and 100 in length." },
      });
    }
    const now = isoNow();
    const data: FakeChannel = {
      id,
      type,
      guild_id: this.guildId,
      parent_id: parent.data.id,
      owner_id: this.botUserId,
      name,
      last_message_id: null,
      message_count: 0,
      total_message_sent: 0,
      member_count: 1,
      rate_limit_per_user:
        typeof body.rate_limit_per_user === "number" ? body.rate_limit_per_user : 0,
      flags: 0,
      thread_metadata: {
        archived: false,
        locked: false,
        auto_archive_duration:
          typeof body.auto_archive_duration === "number" ? body.auto_archive_duration : 4320,
        archive_timestamp: now,
        create_timestamp: now,
        ...(type === ChannelKind.PrivateThread ? { invitable: body.invitable !== false } : {}),
      },
      ...(parent.data.type === ChannelKind.Forum
        ? { applied_tags: this.checkTags(parent, body.applied_tags ?? []) }
        : {}),
    };
    const state: ChannelState = { data, deleted: false, noAccess: false, messages: [] };
    this.channels.set(id, state);
    return state;
  }

  private checkTags(state: ChannelState, raw: unknown): string[] {
    const forum = state.data.available_tags ? state : this.channels.get(state.data.parent_id ?? "");
    const known = new Set((forum?.data.available_tags ?? []).map((t) => t.id));
    if (!Array.isArray(raw) || raw.length > 5 || raw.some((t) => !known.has(String(t)))) {
      throw invalidFormBody({
        applied_tags: { code: "INVALID_TAG", message: "Tags must be up to 5 of the forum's tags." },
      });
    }
    return raw.map(String);
  }

  private setArchived(state: ChannelState, archived: boolean): void {
    const meta = state.data.thread_metadata;
    if (!meta) return;
    meta.archived = archived;
    meta.archive_timestamp = isoNow();
    this.gateway.dispatch("THREAD_UPDATE", { ...state.data }, { intent: Intent.Guilds });
  }

  private setAccess(channelId: string, access: boolean): void {
    const state = this.requireChannel(channelId);
    state.noAccess = !access;
    state.data.permission_overwrites = access
      ? []
      : [{ id: this.botUserId, type: 1, allow: "0", deny: P.ViewChannel.toString() }];
    if (!isThread(state.data)) {
      this.gateway.dispatch("CHANNEL_UPDATE", { ...state.data }, { intent: Intent.Guilds });
    }
  }

  private assertNotArchived(state: ChannelState): void {
    if (state.data.thread_metadata?.archived) {
      throw new FakeApiError(400, 50083, "Thread is archived");
    }
  }

  /** The message fields a body sets; `create` requires some content. */
  private messageFields(body: Json, create: boolean): Partial<FakeMessage> {
    const fields: Partial<FakeMessage> = {};
    if (body.content !== undefined && body.content !== null) {
      const content = String(body.content);
      if (content.length > 2000) {
        throw invalidFormBody({
          content: { code: "BASE_TYPE_MAX_LENGTH", message: "Must be 2000 or fewer in length." },
        });
      }
      fields.content = content;
      fields.mentions = this.mentionsIn(content);
    }
    if (Array.isArray(body.embeds)) {
      if (body.embeds.length > 10) {
        throw invalidFormBody({
          embeds: { code: "BASE_TYPE_MAX_LENGTH", message: "Must be 10 or fewer in length." },
        });
      }
      checkEmbeds(body.embeds as Json[]);
      fields.embeds = body.embeds;
    }
    if (Array.isArray(body.components)) fields.components = body.components;
    if (Array.isArray(body.attachments)) fields.attachments = body.attachments;
    if (body.allowed_mentions !== undefined) fields.allowed_mentions = body.allowed_mentions;
    if (typeof body.flags === "number") fields.flags = body.flags;
    const empty =
      !fields.content &&
      !fields.embeds?.length &&
      !fields.components?.length &&
      !fields.attachments?.length &&
      !body.sticker_ids &&
      !body.poll;
    if (create && empty) throw new FakeApiError(400, 50006, "Cannot send an empty message");
    return fields;
  }

  private mentionsIn(content: string): FakeUser[] {
    const ids = [...content.matchAll(/<@!?(\d{17,20})>/g)].map((m) => m[1] ?? "");
    return [...new Set(ids)].map((id) => this.user(id));
  }

  private buildMessage(
    state: ChannelState,
    author: FakeUser,
    fields: Partial<FakeMessage>,
    id = snowflake(),
  ): FakeMessage {
    const reference = fields.message_reference as Json | undefined;
    const referenced = reference
      ? state.messages.find((m) => m.id === reference.message_id)
      : undefined;
    const message: FakeMessage = {
      id,
      channel_id: state.data.id,
      guild_id: this.guildId,
      type: referenced ? 19 : 0,
      content: "",
      author,
      timestamp: isoNow(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      embeds: [],
      components: [],
      attachments: [],
      pinned: false,
      flags: 0,
      ...fields,
    };
    if (referenced) {
      message.message_reference = {
        type: 0,
        message_id: referenced.id,
        channel_id: state.data.id,
        guild_id: this.guildId,
      };
      message.referenced_message = this.restMessage(referenced);
    }
    if (isThread(state.data)) message.position = state.messages.length;
    return message;
  }

  private newMessage(
    state: ChannelState,
    author: FakeUser,
    fields: Partial<FakeMessage>,
  ): FakeMessage {
    const message = this.buildMessage(state, author, fields);
    state.messages.push(message);
    state.data.last_message_id = message.id;
    if (isThread(state.data)) {
      state.data.message_count = (state.data.message_count ?? 0) + 1;
      state.data.total_message_sent = Number(state.data.total_message_sent ?? 0) + 1;
    }
    this.dispatchMessage("MESSAGE_CREATE", message);
    return message;
  }

  private removeMessage(state: ChannelState, messageId: string): void {
    state.messages = state.messages.filter((m) => m.id !== messageId);
    this.gateway.dispatch(
      "MESSAGE_DELETE",
      { id: messageId, channel_id: state.data.id, guild_id: this.guildId },
      { intent: Intent.GuildMessages },
    );
  }

  /** MESSAGE_CREATE / MESSAGE_UPDATE: member added, content blanked without MessageContent. */
  private dispatchMessage(t: "MESSAGE_CREATE" | "MESSAGE_UPDATE", message: FakeMessage): void {
    const channel = this.channels.get(message.channel_id)?.data;
    const data: Json = {
      ...message,
      guild_id: this.guildId,
      channel_type: channel?.type ?? ChannelKind.Text,
      ...(message.webhook_id ? {} : { member: this.memberOf(message.author.id) }),
    };
    this.gateway.dispatch(t, data, {
      intent: Intent.GuildMessages,
      shape: (d, intents) => {
        if (intents & Intent.MessageContent) return d;
        const exempt =
          message.author.id === this.botUserId ||
          message.mentions.some((u) => u.id === this.botUserId);
        return exempt ? d : { ...d, content: "", embeds: [], attachments: [], components: [] };
      },
    });
  }

  private memberOf(userId: string): Json {
    if (userId === this.botUserId) return { ...this.botMember(), user: undefined };
    return {
      roles: [],
      joined_at: this.joinedAt,
      deaf: false,
      mute: false,
      flags: 0,
      nick: null,
      avatar: null,
      premium_since: null,
      pending: false,
      communication_disabled_until: null,
    };
  }

  private botMember(): Json {
    return {
      user: this.botUser,
      roles: [this.roleIds.bot],
      joined_at: this.joinedAt,
      deaf: false,
      mute: false,
      flags: 0,
      nick: null,
      avatar: null,
      premium_since: null,
      pending: false,
      communication_disabled_until: null,
    };
  }

  private findCommand(name: string): Json | undefined {
    return (
      this.commands.guild[this.guildId]?.find((c) => c.name === name) ??
      this.commands.global.find((c) => c.name === name)
    );
  }

  private commandOptions(options: InteractionOptions, command: Json | undefined): Json[] {
    if (Array.isArray(options.options)) return options.options;
    if (options.options) {
      return Object.entries(options.options).map(([name, value]) => ({
        name,
        value,
        type:
          typeof value === "boolean"
            ? 5
            : typeof value === "number"
              ? Number.isInteger(value)
                ? 4
                : 10
              : 3,
      }));
    }
    if (options.args === undefined) return [];
    const declared = (Array.isArray(command?.options) ? command.options : []) as Json[];
    if (!command) {
      throw new Error(
        `fake discord: /${options.name} is not registered (PUT …/commands first), so args cannot be mapped; pass options instead`,
      );
    }
    const out: Json[] = [];
    let rest = options.args.trim();
    declared.forEach((option, index) => {
      if (!rest) return;
      const last = index === declared.length - 1;
      let raw = rest;
      if (!last) {
        const match = /^(\S+)\s*([\s\S]*)$/.exec(rest);
        raw = match?.[1] ?? "";
        rest = match?.[2] ?? "";
      } else {
        rest = "";
      }
      const type = Number(option.type ?? 3);
      const value = type === 4 || type === 10 ? Number(raw) : type === 5 ? raw === "true" : raw;
      out.push({ name: option.name, type, value });
    });
    return out;
  }

  private dispatchInteraction(
    state: ChannelState,
    userId: string | undefined,
    username: string | undefined,
    type: 2 | 3 | 5,
    data: Json,
    message?: FakeMessage,
    as: { roles?: string[]; permissions?: bigint } = {},
  ): FakeInteraction {
    const user = this.user(userId ?? this.defaultUserId, username);
    const id = snowflake();
    const token = `aW50ZXJhY3Rpb246${id}:${randomBytes(24).toString("base64url")}`;
    this.interactionsByToken.set(token, {
      id,
      token,
      type,
      channelId: state.data.id,
      userId: user.id,
      messageId: message?.id,
      createdAt: Date.now(),
      acknowledged: false,
      ephemeral: false,
    });
    const c = state.data;
    const payload: Json = {
      id,
      application_id: this.applicationId,
      type,
      data,
      guild_id: this.guildId,
      guild: { id: this.guildId, locale: "en-US", features: [] },
      channel_id: c.id,
      channel: {
        id: c.id,
        type: c.type,
        name: c.name,
        guild_id: this.guildId,
        parent_id: c.parent_id,
        flags: c.flags,
        last_message_id: c.last_message_id,
        permissions: EVERYONE_PERMISSIONS.toString(),
        ...(c.thread_metadata ? { thread_metadata: c.thread_metadata } : {}),
        ...(c.applied_tags ? { applied_tags: c.applied_tags } : {}),
      },
      member: {
        ...this.memberOf(user.id),
        ...(as.roles ? { roles: as.roles } : {}),
        user,
        permissions: (as.permissions ?? EVERYONE_PERMISSIONS).toString(),
      },
      token,
      version: 1,
      app_permissions: BOT_PERMISSIONS.toString(),
      locale: "en-US",
      guild_locale: "en-US",
      entitlements: [],
      authorizing_integration_owners: { "0": this.guildId },
      context: 0,
      attachment_size_limit: 10485760,
      ...(message ? { message: this.restMessage(message) } : {}),
    };
    this.gateway.dispatch("INTERACTION_CREATE", payload);
    return { id, token, payload };
  }

  private interactionFor(applicationId: string, token: string): InteractionState {
    const interaction = this.interactionsByToken.get(token);
    if (applicationId !== this.applicationId || !interaction) {
      throw new FakeApiError(404, 10015, "Unknown Webhook");
    }
    return interaction;
  }

  /** The bot's reply to an interaction: in the channel unless ephemeral. */
  private interactionMessage(
    interaction: InteractionState,
    fields: Partial<FakeMessage>,
    ephemeral: boolean,
  ): FakeMessage {
    const state = this.channelFor(interaction.channelId);
    const message = this.buildMessage(state, this.botUser, {
      ...fields,
      flags: (fields.flags ?? 0) | (ephemeral ? Flag.Ephemeral : 0),
    });
    message.webhook_id = this.applicationId;
    message.application_id = this.applicationId;
    message.type = interaction.type === 2 ? 20 : 0;
    message.interaction_metadata = {
      id: interaction.id,
      type: interaction.type,
      user: this.user(interaction.userId),
      authorizing_integration_owners: { "0": this.guildId },
    };
    if (!ephemeral) {
      state.messages.push(message);
      state.data.last_message_id = message.id;
      this.dispatchMessage("MESSAGE_CREATE", message);
    }
    return message;
  }

  private readyPayload(sessionId: string): Json {
    return {
      v: 10,
      user_settings: {},
      user: { ...this.botUser, verified: true, mfa_enabled: false, email: null, flags: 0 },
      guilds: [{ id: this.guildId, unavailable: true }],
      session_id: sessionId,
      session_type: "normal",
      resume_gateway_url: this.url,
      shard: [0, 1],
      application: { id: this.applicationId, flags: (1 << 19) | (1 << 23) },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: ["fake"],
      auth: {},
      _trace: ['["fake-gateway"]'],
    };
  }

  private guildPayload(): Json {
    const live = this.liveChannels().filter((c) => !c.noAccess);
    const channels = live.filter((c) => !isThread(c.data)).map((c) => ({ ...c.data }));
    const threads = live
      .filter((c) => isThread(c.data) && !c.data.thread_metadata?.archived)
      .filter((c) => !this.channels.get(c.data.parent_id ?? "")?.noAccess)
      .map((c) => ({ ...c.data }));
    const role = (
      id: string,
      name: string,
      permissions: bigint,
      position: number,
      managed: boolean,
    ) => ({
      id,
      name,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position,
      permissions: permissions.toString(),
      managed,
      mentionable: false,
      flags: 0,
      ...(managed ? { tags: { bot_id: this.botUserId } } : {}),
    });
    return {
      id: this.guildId,
      name: "Ardary test guild",
      icon: null,
      splash: null,
      discovery_splash: null,
      banner: null,
      description: null,
      owner_id: this.defaultUserId,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 1,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
      premium_tier: 0,
      premium_subscription_count: 0,
      premium_progress_bar_enabled: false,
      preferred_locale: "en-US",
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      vanity_url_code: null,
      application_id: null,
      features: [],
      roles: [
        role(this.roleIds.everyone, "@everyone", EVERYONE_PERMISSIONS, 0, false),
        role(this.roleIds.bot, this.botUser.username, BOT_PERMISSIONS, 1, true),
        ...this.extraRoles.map((r, i) => role(r.id, r.name, 0n, 2 + i, false)),
      ],
      emojis: [],
      stickers: [],
      joined_at: this.joinedAt,
      large: false,
      unavailable: false,
      lazy: true,
      member_count: this.users.size,
      max_members: 500000,
      max_video_channel_users: 25,
      voice_states: [],
      members: [this.botMember()],
      channels,
      threads,
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }
}

function isThread(channel: FakeChannel): boolean {
  return channel.type === ChannelKind.PublicThread || channel.type === ChannelKind.PrivateThread;
}

/** Starts the fake on a random port of 127.0.0.1. */
export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const world = new DiscordWorld(options);
  const server = createServer(createRestApp(world));
  world.gateway.attach(server, "/gateway");
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  world.server = server;
  world.apiUrl = `http://127.0.0.1:${port}/api`;
  world.url = `ws://127.0.0.1:${port}/gateway`;
  return world;
}
