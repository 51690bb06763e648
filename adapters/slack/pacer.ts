// Per-channel pacing of chat.postMessage, shared by every process of the database (the core's
// budget, `services.budget`). Slack allows about one message per second per channel, with short
// bursts (https://docs.slack.dev/apis/web-api/rate-limits, "chat.postMessage ... 1 per second
// per channel"). A channel told to wait by a 429 takes no call at all until its Retry-After has
// passed: in this process at once, in the others through the budget's hold. A method of Slack's
// tiers (limited per method and workspace) told to wait is not called on any channel meanwhile,
// in this process (api.ts). Nothing here
// sleeps: a caller that must wait is told how long, so the job goes back to the queue and other
// channels keep flowing.
import type { Budget } from "../../src/contracts/index.ts";

export interface PacerOptions {
  /** Posts a channel may take at once. */
  burst: number;
  /** Posts per second a channel gets back. */
  perSecond: number;
  now?: () => number;
}

export class ChannelPacer {
  private readonly blocked = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly budget: Budget,
    private readonly o: PacerOptions,
  ) {
    this.now = o.now ?? Date.now;
  }

  /** Milliseconds before any call may name this channel, or method (0: now), as this process knows. */
  blockedFor(key: string): number {
    const until = this.blocked.get(key);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left <= 0) this.blocked.delete(key);
    return Math.max(0, left);
  }

  /** After a 429: no call names the channel for `ms`, in any process. */
  async block(channel: string, ms: number): Promise<void> {
    this.blockHere(channel, ms);
    await this.budget.hold(channel, ms);
  }

  /** After a 429: no call under `key` (a channel, or a method) for `ms`, in this process. */
  blockHere(key: string, ms: number): void {
    this.blocked.set(key, Math.max(this.blocked.get(key) ?? 0, this.now() + ms));
  }

  /** Takes a post's token: 0 when taken, else milliseconds until one is free (none taken). */
  takePost(channel: string): Promise<number> {
    return this.budget.take(channel, this.o.perSecond, this.o.burst);
  }
}
