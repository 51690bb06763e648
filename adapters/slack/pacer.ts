// Per-channel pacing of chat.postMessage, shared by every process of the database (the core's
// budget, `services.budget`). Slack allows about one message per second per channel, with short
// bursts (https://docs.slack.dev/apis/web-api/rate-limits, "chat.postMessage ... 1 per second
// per channel"). A channel told to wait by a 429 takes no call at all until its Retry-After has
// passed: in this process at once, in the others through the budget's hold. Slack's other
// limits are per method and workspace: its tiers (chat.update, reactions.add…), and "several
// hundred" posts a minute over the workspace; a 429 of a tiered method, or of chat.postMessage
// in a second channel while the first still waits, holds that method on every channel (in this
// process). Nothing here sleeps: a caller that must wait is told how long, so the job goes back
// to the queue and other channels keep flowing.
import type { Budget } from "../../src/contracts/index.ts";

export interface PacerOptions {
  /** Posts a channel may take at once. */
  burst: number;
  /** Posts per second a channel gets back. */
  perSecond: number;
  now?: () => number;
}

/** The one method Slack limits per channel; its workspace-wide limit shows in a second channel. */
const POST = "chat.postMessage";

/** The key under which a method waits (a channel id never has a colon). */
const methodKey = (method: string) => `method:${method}`;

export class ChannelPacer {
  private readonly blocked = new Map<string, number>();
  private readonly now: () => number;
  /** The channel whose post last met a 429, and until when. */
  private lastPostLimit: { channel: string; until: number } | undefined;

  constructor(
    private readonly budget: Budget,
    private readonly o: PacerOptions,
  ) {
    this.now = o.now ?? Date.now;
  }

  /** Milliseconds before `method` may be called on this channel (0: now), as this process knows. */
  blockedFor(channel: string, method = POST): number {
    return Math.max(this.left(channel), this.left(methodKey(method)));
  }

  private left(key: string): number {
    const until = this.blocked.get(key);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left <= 0) this.blocked.delete(key);
    return Math.max(0, left);
  }

  /**
   * After a 429 of `method` naming `channel`: no call names the channel for `ms`, in any process;
   * and the method waits on every channel, in this process, when Slack's limit is the workspace's.
   */
  async block(channel: string, ms: number, method = POST): Promise<void> {
    const until = this.now() + ms;
    this.hold(channel, until);
    const earlier = this.lastPostLimit;
    if (method === POST) this.lastPostLimit = { channel, until };
    const workspace =
      method !== POST ||
      (earlier !== undefined && earlier.channel !== channel && earlier.until > this.now());
    if (workspace) this.hold(methodKey(method), until);
    await this.budget.hold(channel, ms);
  }

  private hold(key: string, until: number): void {
    this.blocked.set(key, Math.max(this.blocked.get(key) ?? 0, until));
  }

  /** Takes a post's token: 0 when taken, else milliseconds until one is free (none taken). */
  takePost(channel: string): Promise<number> {
    return this.budget.take(channel, this.o.perSecond, this.o.burst);
  }
}
