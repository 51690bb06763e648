// Group commit for callbacks: what arrives while earlier batches are committing is handled
// together in the next one, so concurrent callbacks share one transaction (and its fsync)
// rather than queueing one behind another. Nothing is answered before its batch commits.
// A batch is formed once the event loop has read what its sockets hold (setImmediate, no timer):
// callbacks that arrive together are one batch, not a lone first one and the rest behind it.
import { RetryableError } from "../kernel/errors.ts";

export interface BatcherOptions {
  /** Most items in one batch. */
  maxBatch?: number;
  /** Most batches running at once (each holds a database connection). */
  maxInFlight?: number;
  /**
   * A further batch starts beside those in flight only once the oldest has run this long (a
   * slow or stuck commit); until then what arrives gathers into the next batch. Default 0: as
   * soon as a slot is free.
   */
  spreadAfterMs?: number;
  /** Most items waiting; past it `submit` refuses at once with a RetryableError (503). */
  maxQueue?: number;
  /**
   * Whether a batch that failed with `err` is tried again item by item (one bad item must not
   * fail the others); false fails them all at once (the database is gone: no point). Default:
   * always.
   */
  oneByOne?: (err: unknown) => boolean;
}

interface Waiting<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
}

export class Batcher<T, R> {
  private readonly queue: Waiting<T, R>[] = [];
  private inFlight = 0;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly maxQueue: number;
  private readonly oneByOne: (err: unknown) => boolean;
  private readonly spreadAfterMs: number;
  /** When each batch in flight started (performance.now()), oldest first. */
  private readonly started: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** A batch is to be formed once this turn of the event loop has read its sockets. */
  private gathering: NodeJS.Immediate | undefined;

  /** `run` handles a batch in one transaction and returns one result per item, in order. */
  constructor(
    private readonly run: (items: T[]) => Promise<R[]>,
    o: BatcherOptions = {},
  ) {
    this.maxBatch = o.maxBatch ?? 100;
    this.maxInFlight = o.maxInFlight ?? 4;
    this.maxQueue = o.maxQueue ?? 1000;
    this.oneByOne = o.oneByOne ?? (() => true);
    this.spreadAfterMs = o.spreadAfterMs ?? 0;
  }

  /** Items waiting for a batch. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Resolves once the item's batch has committed. A lone item goes at once (in this turn of the
   * event loop, with whatever else arrived in it).
   */
  submit(item: T): Promise<R> {
    if (this.queue.length >= this.maxQueue)
      return Promise.reject(new RetryableError("busy", "too many items waiting: try again"));
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.gather();
    });
  }

  /**
   * Forms the next batches once the event loop has read what is ready: under a closed loop of
   * 16 callers, two batches in three held a lone callback (bench figure 1), each a statement.
   */
  private gather(): void {
    this.gathering ??= setImmediate(() => {
      this.gathering = undefined;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const now = performance.now();
      const oldest = this.started[0];
      if (oldest !== undefined && now - oldest < this.spreadAfterMs) {
        // Beside a batch that is still quick: wait for it, or for it to turn slow.
        this.timer ??= setTimeout(
          () => {
            this.timer = undefined;
            this.pump();
          },
          this.spreadAfterMs - (now - oldest),
        );
        this.timer.unref();
        return;
      }
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      this.started.push(now);
      void this.settle(batch).finally(() => {
        this.inFlight--;
        this.started.splice(this.started.indexOf(now), 1);
        this.gather();
      });
    }
  }

  private async settle(batch: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((w) => w.item));
      for (const [i, w] of batch.entries()) w.resolve(results[i] as R);
    } catch (err) {
      if (batch.length === 1 || !this.oneByOne(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      // One bad item must not fail the others: each goes again on its own.
      await Promise.all(batch.map((w) => this.settle([w])));
    }
  }
}
