// Exactly one gateway connection however many processes share the database: the process that
// holds the core's session lock (src/contracts/index.ts SessionLock) connects; the others retry every
// `retryMs`, and one of them takes over once the holder's session ends (process stopped or
// killed: the database frees the lock).
import type { Logger } from "pino";
import type { SessionLock } from "../../src/contracts/index.ts";
import { errorMessage, RefusedError } from "../../src/kernel/errors.ts";

export interface LeaderOptions {
  lock: SessionLock;
  /** How often a standby tries the lock and the holder checks it still has it, in ms. */
  retryMs: number;
  /**
   * How long to wait after Discord refused the token (onLead threw RefusedError, or the
   * connection was closed with 4004) before connecting again, in ms: a minute, not `retryMs`.
   */
  refusedRetryMs?: number;
  log: Logger;
  /** Becomes leader: connect. A throw gives the lock back and tries again later. */
  onLead(): Promise<void>;
  /** Lost or gave up the lead: disconnect. */
  onLose(): Promise<void>;
}

export class Leader {
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly o: LeaderOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** Makes the first attempt (connecting when it wins), then keeps trying in the background. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.tick();
  }

  /** Until when the next attempt waits: Discord refused the token. */
  private refusedUntil = 0;

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const wait = Math.max(this.o.retryMs, this.refusedUntil - Date.now());
    this.timer = setTimeout(() => void this.tick(), wait);
    this.timer.unref();
  }

  /**
   * The connection ended for good while leading (a close 4004): let go of it and of the lock, and
   * connect again later (after `refusedRetryMs` when the token was refused).
   */
  async drop(err: Error): Promise<void> {
    if (!this.leading) return;
    this.refused(err);
    await this.lose();
    await this.o.lock.release();
    this.schedule();
  }

  /** A refusal is said once (the core says what to fix): the next attempt waits a minute. */
  private refused(err: unknown): boolean {
    if (!(err instanceof RefusedError)) return false;
    if (this.refusedUntil === 0)
      this.o.log.warn(
        { err: errorMessage(err) },
        "discord: the gateway refuses the token; trying again every minute",
      );
    this.refusedUntil = Date.now() + (this.o.refusedRetryMs ?? 60_000);
    return true;
  }

  private tick(): Promise<void> {
    this.ticking = this.attempt().finally(() => this.schedule());
    return this.ticking;
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.leading) {
        if (!(await this.o.lock.stillHeld()))
          throw new Error("the session holding the gateway lock ended");
        return;
      }
      if (await this.o.lock.tryAcquire()) await this.lead();
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err) }, "discord gateway lock: lost or unreachable");
      await this.lose();
      await this.o.lock.release();
    }
  }

  private async lead(): Promise<void> {
    this.leading = true;
    this.o.log.info("discord: this process holds the gateway connection");
    try {
      await this.o.onLead();
      if (this.refusedUntil !== 0) this.o.log.info("discord: the gateway accepts the token again");
      this.refusedUntil = 0;
    } catch (err) {
      if (!this.refused(err))
        this.o.log.error(
          { err: errorMessage(err) },
          "discord: gateway connection failed; retrying",
        );
      await this.lose();
      await this.o.lock.release();
    }
  }

  private async lose(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    await this.o.onLose().catch(() => {});
  }

  /** Disconnects and gives the lock back. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking?.catch(() => {});
    await this.lose();
    await this.o.lock.release();
  }
}
