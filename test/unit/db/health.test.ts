// The database health breaker (src/db/health.ts): down from the first unavailability, up at
// the first probe answered; a slow database is waited for, a silent one fails every waiting
// request at once.
import { describe, expect, it } from "vitest";
import {
  DatabaseHealth,
  DatabaseUnavailableError,
  NotAnsweringError,
} from "../../../src/db/health.ts";

describe("database health", () => {
  it("is down from the first unavailability, and up again at the first probe answered", async () => {
    let reachable = false;
    const changes: boolean[] = [];
    const health = new DatabaseHealth({
      probe: async () => {
        if (!reachable) throw Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
      },
      retryMs: 10,
      onChange: (up) => changes.push(up),
    });
    health.report(new TypeError("not the database"));
    expect(health.up).toBe(true);
    health.report(Object.assign(new Error("x"), { code: "CONNECTION_CLOSED" }));
    expect(health.up).toBe(false);
    expect(() => health.assertUp()).toThrow(DatabaseUnavailableError);
    expect(await health.check()).toBe(false);
    reachable = true;
    expect(await health.check()).toBe(true);
    expect(health.up).toBe(true);
    expect(changes).toEqual([false, true]);
    health.close();
  });
});

describe("waiting on a database that stops answering", () => {
  it("a slow database that answers its probe is waited for", async () => {
    const health = new DatabaseHealth({ probe: async () => 1, probeTimeoutMs: 50 });
    const slow = new Promise((r) => setTimeout(() => r("done"), 200));
    expect(await health.await(slow, 20)).toBe("done");
    expect(health.up).toBe(true);
    health.close();
  });

  it("a silent one fails every waiting request at once, whatever its own patience", async () => {
    const never = new Promise(() => {});
    const health = new DatabaseHealth({ probe: () => never, probeTimeoutMs: 50 });
    // One waits long (its own probe would come in 11 days); another finds the database silent.
    const patient = health.await(never, 1e9);
    const impatient = health.await(never, 20);
    await expect(impatient).rejects.toThrow(DatabaseUnavailableError);
    await expect(patient).rejects.toThrow(DatabaseUnavailableError);
    expect(health.up).toBe(false);
    expect(() => health.assertUp()).toThrow(DatabaseUnavailableError);
    health.close();
  });

  it("a request past its budget with no probe answered gets its 503 alone; with one answered, it waits", async () => {
    const never = new Promise(() => {});
    const health = new DatabaseHealth({ probe: () => never, probeTimeoutMs: 10_000 });
    await expect(health.await(never, 20, 100)).rejects.toThrow(NotAnsweringError);
    // Only the probe decides that the database is down: it has not answered yet.
    expect(health.up).toBe(true);
    health.close();
    const alive = new DatabaseHealth({ probe: async () => 1, probeTimeoutMs: 50 });
    const slow = new Promise((r) => setTimeout(() => r("done"), 300));
    expect(await alive.await(slow, 20, 100)).toBe("done");
    alive.close();
  });
});
