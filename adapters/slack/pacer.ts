// Per-channel pacing of chat.postMessage, in this process. Slack allows about one message per
// second per channel, with short bursts (https://docs.slack.dev/apis/web-api/rate-limits,
// "chat.postMessage ... 1 per second per channel"). A channel told to wait by a 429 takes no
// call at all until its Retry-After has passed. Nothing here sleeps: a caller that must wait
// is told how long, so the job goes back to the queue and other channels keep flowing.

export interface PacerOptions {
  /** Posts a channel may take at once. */
  burst: number;
  /** Posts per second a channel gets back. */
  perSecond: number;
  now?: () => number;
}

export class ChannelPacer {
  private readonly buckets = new Map<string, { tokens: number; last: number }>();
  private readonly blocked = new Map<string, number>();
  private readonly nextSlot = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly o: PacerOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Milliseconds before any call may name this channel (0: now). */
  blockedFor(channel: string): number {
    const until = this.blocked.get(channel);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left <= 0) this.blocked.delete(channel);
    return Math.max(0, left);
  }

  /** After a 429: no call names the channel for `ms`. */
  block(channel: string, ms: number): void {
    this.blocked.set(channel, Math.max(this.blocked.get(channel) ?? 0, this.now() + ms));
  }

  /** Takes a post's token: 0 when taken, else milliseconds until one is free (none taken). */
  takePost(channel: string): number {
    const now = this.now();
    const b = this.buckets.get(channel) ?? { tokens: this.o.burst, last: now };
    b.tokens = Math.min(this.o.burst, b.tokens + ((now - b.last) / 1000) * this.o.perSecond);
    b.last = now;
    this.buckets.set(channel, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    // Callers told to wait are spread one interval apart, so that they do not all come back
    // for the same token (each coming back costs the queue a claim).
    const interval = 1000 / this.o.perSecond;
    const free = now + ((1 - b.tokens) / this.o.perSecond) * 1000;
    const slot = Math.max(free, this.nextSlot.get(channel) ?? 0);
    this.nextSlot.set(channel, slot + interval);
    return Math.ceil(slot - now);
  }
}
