// The in-memory workspace behind the fake Slack: channels, messages, reactions, what was
// posted, and the per-channel rate limits. No HTTP here: slack-api.ts and slack-chat.ts
// answer the Web API from it, and slack.ts exposes it to tests.
import type { FakeUsergroup } from "./slack-admin.ts";
import type { FakeShare, FakeUpload } from "./slack-files.ts";
import type { FakeView, Trigger } from "./slack-views.ts";

export const BOT_USER_ID = "U0BOT";
export const BOT_ID = "B0BOT";
export const APP_ID = "A0FAKEAPP";
export const TEAM_ID = "T0TEAM";
export const TEAM_DOMAIN = "ardary-test";

/** Text and author Slack gives a parent that was deleted while it had replies. */
export const TOMBSTONE_TEXT = "This message was deleted.";

export interface FakeUser {
  name: string;
  real_name: string;
  /** Workspace admin / owner (users.info is_admin, is_owner, is_primary_owner). */
  is_admin?: boolean;
  is_owner?: boolean;
  is_primary_owner?: boolean;
  /** A guest: multi-channel (users.info is_restricted) or single-channel (is_ultra_restricted). */
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
}

export interface FakeChannel {
  id: string;
  name: string;
  archived: boolean;
  deleted: boolean;
  /** Whether the bot is a member (removeBot clears it, conversations.join sets it). */
  member: boolean;
}

export interface FakeReaction {
  name: string;
  users: string[];
}

/** A message as the fake stores it (close to Slack's message object). */
export interface FakeMessage {
  type: "message";
  channel: string;
  ts: string;
  /** Set on replies only: the parent's ts. Parents do not carry it here. */
  thread_ts?: string;
  user: string;
  bot_id?: string;
  /** "thread_broadcast" for a reply also sent to the channel, "tombstone" for a deleted parent. */
  subtype?: string;
  text: string;
  blocks?: unknown[];
  edited?: { user: string; ts: string };
  reactions: FakeReaction[];
  /** Message metadata posted with it (event_type, event_payload). */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  /** Files shared with it (files.completeUploadExternal). */
  files?: { id: string; name: string; title?: string }[];
}

/** The bot token's scopes: the manifest's (adapters/slack/manifest.yml). */
export const MANIFEST_SCOPES = [
  "chat:write",
  "chat:write.public",
  "reactions:write",
  "users:read",
  "channels:history",
  "groups:history",
  "channels:read",
  "groups:read",
  "commands",
  "usergroups:read",
  "files:write",
];

/** One accepted chat.postMessage, in arrival order. */
export interface FakePost {
  channel: string;
  ts: string;
  /** thread_ts as the caller sent it. */
  thread_ts?: string;
  /** True when thread_ts named a message that no longer exists and Slack posted top-level. */
  unthreaded?: boolean;
  text?: string;
  blocks?: unknown[];
  reply_broadcast: boolean;
  unfurl_links?: boolean;
  /** Date.now() when the fake accepted it. */
  at: number;
}

export interface FakeUpdate {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  at: number;
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  at: number;
}

export interface FakeResponse {
  /** The :id of /response/:id. */
  id: string;
  body: unknown;
  at: number;
}

/** Every Web API call, accepted or not. */
export interface FakeRequest {
  method: string;
  channel?: string;
  at: number;
  status: number;
  ok: boolean;
  error?: string;
  /** Seconds, on a 429. */
  retryAfter?: number;
}

export interface RateLimitOptions {
  /** Posts a channel may take at once. */
  burst: number;
  /** Tokens added back per second. */
  perSecond: number;
}

interface Bucket {
  tokens: number;
  last: number;
}

export class SlackState {
  readonly channels = new Map<string, FakeChannel>();
  readonly users = new Map<string, FakeUser>();
  readonly usergroups: FakeUsergroup[] = [];
  readonly posts: FakePost[] = [];
  readonly updates: FakeUpdate[] = [];
  readonly ephemerals: FakeEphemeral[] = [];
  readonly responses: FakeResponse[] = [];
  readonly requests: FakeRequest[] = [];
  /** trigger_ids handed out with interactions (views.open exchanges one, once, within 3 s). */
  readonly triggers = new Map<string, Trigger>();
  /** Modals opened with views.open, in order. */
  readonly views: FakeView[] = [];
  /** The bot token's scopes (sent as X-OAuth-Scopes; files.* need files:write). */
  readonly scopes = new Set(MANIFEST_SCOPES);
  /** Files asked for with files.getUploadURLExternal, by id. */
  readonly uploads = new Map<string, FakeUpload>();
  /** Files shared with files.completeUploadExternal, in order. */
  readonly shares: FakeShare[] = [];
  /** The fake's own address (upload URLs point at it). */
  baseUrl = "";
  private readonly store = new Map<string, Map<string, FakeMessage>>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly forced = new Map<string, { until: number; methods?: Set<string> }>();
  private lastMicros = 0;

  constructor(
    readonly rateLimitOptions: RateLimitOptions | null,
    private readonly now: () => number = Date.now,
  ) {}

  addChannel(id: string, options: { name?: string; member?: boolean } = {}): FakeChannel {
    const channel: FakeChannel = {
      id,
      name: options.name ?? id.replace(/^C0?/, "").toLowerCase(),
      archived: false,
      deleted: false,
      member: options.member ?? true,
    };
    this.channels.set(id, channel);
    if (!this.store.has(id)) this.store.set(id, new Map());
    return channel;
  }

  /**
   * A new message ts: "<unix seconds>.<6 digits>", from the clock, strictly increasing
   * across the whole workspace (Slack's are unique per channel; global is stricter).
   */
  nextTs(): string {
    const micros = Math.max(this.now() * 1000, this.lastMicros + 1);
    this.lastMicros = micros;
    const seconds = Math.floor(micros / 1_000_000);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, "0")}`;
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    return this.store.get(channel)?.get(ts);
  }

  /** Every live message in the channel (parents, replies, tombstones), in ts order. */
  messages(channel: string): FakeMessage[] {
    return [...(this.store.get(channel)?.values() ?? [])].sort((a, b) => compareTs(a.ts, b.ts));
  }

  /** The parent then its replies in order; [] when the parent and replies are all gone. */
  thread(channel: string, ts: string): FakeMessage[] {
    const all = this.messages(channel);
    const parent = all.find((m) => m.ts === ts);
    const replies = all.filter((m) => m.thread_ts === ts);
    return parent ? [parent, ...replies] : replies;
  }

  insert(message: FakeMessage): void {
    let messages = this.store.get(message.channel);
    if (!messages) {
      messages = new Map();
      this.store.set(message.channel, messages);
    }
    messages.set(message.ts, message);
  }

  /**
   * Deletes one message as Slack does: a parent with replies becomes a tombstone ("This
   * message was deleted.", replies kept, the thread still takes replies); anything else is
   * removed. Returns false when there was no such message.
   */
  deleteMessage(channel: string, ts: string): boolean {
    const messages = this.store.get(channel);
    const message = messages?.get(ts);
    if (!messages || !message) return false;
    const hasReplies = [...messages.values()].some((m) => m.thread_ts === ts);
    if (hasReplies && !message.thread_ts) {
      messages.set(ts, {
        type: "message",
        channel,
        ts,
        user: "USLACKBOT",
        subtype: "tombstone",
        text: TOMBSTONE_TEXT,
        reactions: [],
      });
    } else {
      messages.delete(ts);
    }
    return true;
  }

  /** Deletes a parent and all its replies, leaving no trace of the thread. */
  deleteThread(channel: string, ts: string): void {
    const messages = this.store.get(channel);
    if (!messages) return;
    for (const message of [...messages.values()]) {
      if (message.ts === ts || message.thread_ts === ts) messages.delete(message.ts);
    }
  }

  /** Forces 429s on a channel for `ms` (every method naming it, or only `methods`). */
  forceRateLimit(channel: string, ms: number, methods?: string[]): void {
    this.forced.set(channel, {
      until: this.now() + ms,
      methods: methods ? new Set(methods) : undefined,
    });
  }

  /**
   * Seconds to answer in Retry-After when this call must be refused, else undefined.
   * The token bucket (if configured) applies to chat.postMessage only, and a refused
   * call takes no token.
   */
  rateLimited(method: string, channel: string): number | undefined {
    const now = this.now();
    // A channel's own, then the workspace's (`*`: Slack's tiers limit a method per workspace).
    for (const forced of [this.forced.get(channel), this.forced.get("*")]) {
      if (forced && now < forced.until && (!forced.methods || forced.methods.has(method))) {
        return Math.max(1, Math.ceil((forced.until - now) / 1000));
      }
    }
    const limit = this.rateLimitOptions;
    if (!limit || method !== "chat.postMessage") return undefined;
    const bucket = this.buckets.get(channel) ?? { tokens: limit.burst, last: now };
    bucket.tokens = Math.min(
      limit.burst,
      bucket.tokens + ((now - bucket.last) / 1000) * limit.perSecond,
    );
    bucket.last = now;
    this.buckets.set(channel, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
  }
}

/** Orders two Slack ts strings ("1700000000.000100") numerically. */
export function compareTs(a: string, b: string): number {
  const [as = "0", af = "0"] = a.split(".");
  const [bs = "0", bf = "0"] = b.split(".");
  return Number(as) - Number(bs) || Number(af.padEnd(6, "0")) - Number(bf.padEnd(6, "0"));
}
