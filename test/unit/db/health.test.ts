// The pieces that keep the server up and honest: the error map, the driver-fault guard, the
// bounded batcher, the database health breaker, storable text, http(s)-only links.
import { describe, expect, it } from "vitest";
import { storable } from "../../../adapters/ardary/parse.ts";
import { DatabaseHealth, DatabaseUnavailableError } from "../../../src/db/health.ts";
import { isHttpLink } from "../../../src/flows/command.ts";
import { toHttp } from "../../../src/http/app.ts";
import { Batcher } from "../../../src/ingest/batcher.ts";

describe("the error map", () => {
  it("gives each class its status, and only an unavailable database a 503", () => {
    const httpError = (status: number, type: string) =>
      Object.assign(new Error("x"), { status, type });
    expect(toHttp(httpError(415, "charset.unsupported")).status).toBe(415);
    expect(toHttp(httpError(415, "encoding.unsupported")).status).toBe(415);
    expect(toHttp(httpError(413, "entity.too.large")).status).toBe(413);
    const uriError = Object.assign(new URIError("Failed to decode param '%zzsecret'"), {
      status: 400,
    });
    expect(toHttp(uriError)).toEqual({ status: 400, message: "bad request" });
    expect(toHttp(new DatabaseUnavailableError()).status).toBe(503);
    expect(toHttp(Object.assign(new Error("reset"), { code: "ECONNRESET" })).status).toBe(503);
    expect(toHttp(Object.assign(new Error("x"), { code: "CONNECTION_CLOSED" })).status).toBe(503);
    const shutdown = Object.assign(new Error("terminating"), { code: "57P01" });
    expect(toHttp(new Error("Failed query", { cause: shutdown })).status).toBe(503);
    expect(toHttp(new Error("PGlite is closed")).status).toBe(503);
    expect(toHttp(Object.assign(new Error("bad value"), { code: "22008" })).status).toBe(422);
    expect(toHttp(new TypeError("a bug")).status).toBe(500);
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
    const queued = [b.submit(2), b.submit(3)];
    await expect(b.submit(4)).rejects.toMatchObject({ status: 503, retryable: true });
    release();
    expect(await Promise.all([first, ...queued])).toEqual([1, 2, 3]);
  });
});

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
});

describe("input hygiene", () => {
  it("makes text storable: NUL and lone surrogates become U+FFFD, pairs stay", () => {
    expect(storable("a\u0000b\ud800c\udc00d😀")).toBe("a\uFFFDb\uFFFDc\uFFFDd😀");
  });

  it("accepts links only as http(s) URLs", () => {
    expect(isHttpLink("https://example.com/x?y=1")).toBe(true);
    expect(isHttpLink("HTTP://example.com")).toBe(true);
    for (const bad of ["javascript:alert(1)", "data:text/html,x", "https://", "ftp://x", "//x"])
      expect(isHttpLink(bad), bad).toBe(false);
  });
});
