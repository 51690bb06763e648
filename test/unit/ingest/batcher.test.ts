// Group commit (src/ingest/batcher.ts): what arrives in one turn of the event loop is one batch;
// what arrives while a batch runs goes together in the next; a bad item fails alone; past its
// queue bound it refuses at once.
import { describe, expect, it } from "vitest";
import { Batcher, type BatcherOptions } from "../../../src/ingest/batcher.ts";

/** A Batcher whose first batch waits until released; records each batch as it starts. */
function gated(o: BatcherOptions, result: (i: number) => number = (i) => i) {
  const batches: number[][] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const b = new Batcher<number, number>(async (items) => {
    batches.push(items);
    if (batches.length === 1) await gate;
    return items.map(result);
  }, o);
  return { b, batches, release };
}

/** The rest of this turn of the event loop: a batch is formed once it has read its sockets. */
const turn = () => new Promise((r) => setImmediate(r));

describe("Batcher", () => {
  it("runs a lone item at once and groups what arrives while batches are running", async () => {
    const { b, batches, release } = gated({ maxInFlight: 1, maxBatch: 3 }, (i) => i * 10);
    const first = b.submit(1);
    await turn();
    expect(batches).toEqual([[1]]);
    const rest = [2, 3, 4, 5, 6].map((i) => b.submit(i));
    await turn();
    expect(batches).toEqual([[1]]);
    release();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40, 50, 60]);
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it("makes one batch of what arrives in the same turn of the event loop, though a slot is free", async () => {
    const { b, batches, release } = gated({ maxInFlight: 1 });
    release();
    const all = [1, 2, 3].map((i) => b.submit(i));
    expect(batches).toEqual([]);
    expect(await Promise.all(all)).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it("fails only the bad item of a failed batch", async () => {
    const b = new Batcher<number, number>(
      async (items) => {
        if (items.includes(13)) throw new Error("bad item");
        return items;
      },
      { maxInFlight: 1 },
    );
    const hold = b.submit(0);
    const answers = await Promise.allSettled([hold, ...[12, 13, 14].map((i) => b.submit(i))]);
    expect(answers.map((a) => a.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
  });
});

describe("spreading batches (spreadAfterMs)", () => {
  it("gathers what arrives beside a quick batch into the next, though slots are free", async () => {
    const { b, batches, release } = gated({ maxInFlight: 4, spreadAfterMs: 60_000 });
    const all = [b.submit(1)];
    await turn();
    all.push(...[2, 3, 4].map((i) => b.submit(i)));
    await new Promise((r) => setTimeout(r, 50));
    expect(batches).toEqual([[1]]);
    release();
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it("starts the next beside a batch that has turned slow, without waiting for it", async () => {
    const { b, batches, release } = gated({ maxInFlight: 4, spreadAfterMs: 20 });
    const first = b.submit(1);
    await turn();
    const rest = [2, 3].map((i) => b.submit(i));
    // The first is still running: the others are answered all the same.
    expect(await Promise.all(rest)).toEqual([2, 3]);
    expect(batches).toEqual([[1], [2, 3]]);
    release();
    expect(await first).toBe(1);
  });
});

describe("bounded ingest", () => {
  it("refuses at once, retryable, past its queue bound", async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const b = new Batcher<number, number>(
      async (xs) => {
        await gate;
        return xs;
      },
      { maxInFlight: 1, maxQueue: 2 },
    );
    const first = b.submit(1); // in flight
    await turn();
    const queued = [b.submit(2), b.submit(3)];
    await expect(b.submit(4)).rejects.toMatchObject({ status: 503, retryable: true });
    release();
    expect(await Promise.all([first, ...queued])).toEqual([1, 2, 3]);
  });
});
