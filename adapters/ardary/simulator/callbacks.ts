// The simulator's calls to the bridge (docs/ardary-api.md §3): one GET per callback, the JSON payload
// URL-encoded in the query parameter named for the event. Like a provider might, it retries a
// callback the bridge did not answer with 2xx, and records every attempt.
import { Agent, request } from "undici";
import { errorMessage } from "../../../src/kernel/errors.ts";
import type { CallbackKind, SimCallback } from "./state.ts";

export interface CallbackSenderOptions {
  /** Attempts per callback, the first included. */
  attempts: number;
  /** Wait before the second attempt, in ms; doubled for each later one. */
  backoffMs: number;
  /** Where every attempt is recorded. */
  record: (attempt: SimCallback) => void;
}

/** `${base}?kind=<encoded JSON>` (or `&kind=` when the base already has a query). */
export function callbackUrl(base: string, kind: CallbackKind, payload: object): string {
  const sep = base.includes("?") ? "&" : "?";
  return `${base}${sep}${kind}=${encodeURIComponent(JSON.stringify(payload))}`;
}

export class CallbackSender {
  /** Where callbacks go; undefined means nowhere (scheduled ones are recorded as failed). */
  target: string | undefined;
  private readonly agent = new Agent({ keepAliveTimeout: 1_000 });
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly options: CallbackSenderOptions) {}

  /** Resolves after `ms` (at most ~24.8 days, setTimeout's limit), or at once on close. */
  wait(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          resolve();
        },
        Math.min(ms, 2_147_483_647),
      );
      this.timers.set(timer, resolve);
    });
  }

  /** Runs `task` in the background; `idle()` waits for it. */
  track(task: Promise<unknown>): void {
    const p = task.catch(() => undefined).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /**
   * Sends one callback, retrying on a non-2xx answer or a network error. Resolves with the
   * last HTTP status, or null when the bridge was never reached (or there is no target).
   */
  async deliver(kind: CallbackKind, payload: Record<string, unknown>): Promise<number | null> {
    if (this.closed) return null;
    const base = this.target;
    if (!base) {
      const url = "";
      this.options.record({
        kind,
        payload,
        url,
        attempt: 1,
        httpStatus: null,
        error: "no callback URL set",
        at: new Date(),
      });
      return null;
    }
    const url = callbackUrl(base, kind, payload);
    let last: number | null = null;
    for (let attempt = 1; attempt <= this.options.attempts && !this.closed; attempt++) {
      if (attempt > 1) await this.wait(this.options.backoffMs * 2 ** (attempt - 2));
      const at = new Date();
      try {
        const res = await request(url, {
          method: "GET",
          dispatcher: this.agent,
          headersTimeout: 5_000,
          bodyTimeout: 5_000,
        });
        await res.body.dump();
        last = res.statusCode;
        this.options.record({ kind, payload, url, attempt, httpStatus: last, at });
        if (last >= 200 && last < 300) return last;
      } catch (err) {
        if (this.closed) return null;
        this.options.record({
          kind,
          payload,
          url,
          attempt,
          httpStatus: null,
          error: errorMessage(err),
          at,
        });
      }
    }
    return last;
  }

  /** Resolves once nothing is scheduled or in flight (scheduled sends are waited for). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Cancels what is scheduled and aborts callbacks in flight (not recorded), then resolves. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve();
    }
    this.timers.clear();
    await this.agent.destroy();
    await this.idle();
  }
}
