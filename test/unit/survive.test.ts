// The pieces that keep the server up and honest: the error map, the driver-fault guard, the
// bounded batcher, the database health breaker, storable text, http(s)-only links.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { storable } from "../../adapters/ardary/parse.ts";
import { isKnownDriverFault } from "../../src/db/driver-guard.ts";
import {
  DatabaseHealth,
  DatabaseUnavailableError,
  NotAnsweringError,
} from "../../src/db/health.ts";
import { isHttpLink } from "../../src/flows/command.ts";
import { toHttp } from "../../src/http/app.ts";
import { Batcher } from "../../src/ingest/batcher.ts";
import { PG_ADMIN_URL } from "../support/db.ts";

const withStack = <E extends Error>(e: E, stack: string): E => Object.assign(e, { stack });
const NEXT_WRITE = withStack(
  new TypeError("Cannot read properties of null (reading 'write')"),
  "TypeError: Cannot read properties of null (reading 'write')\n    at Immediate.nextWrite (file:///app/node_modules/postgres/src/connection.js:255:22)\n    at process.processImmediate (node:internal/timers:483:21)",
);

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

describe("the driver-fault guard", () => {
  it("knows postgres.js's closed-socket write and an unheard socket reset, nothing else", () => {
    expect(isKnownDriverFault(NEXT_WRITE)).toBe(true);
    const reset = withStack(
      Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET", syscall: "read" }),
      "Error: read ECONNRESET\n    at TCP.onStreamRead (node:internal/stream_base_commons:218:20)",
    );
    expect(isKnownDriverFault(reset)).toBe(true);
    expect(isKnownDriverFault(new TypeError("ours"))).toBe(false);
    expect(isKnownDriverFault(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe(false);
  });

  const child = (thrown: string) =>
    spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `import pino from "pino";
         import { installDriverFaultGuard } from "./src/db/driver-guard.ts";
         installDriverFaultGuard(pino({ level: "silent" }), () => console.log("pool replaced"));
         setImmediate(() => { throw ${thrown}; });
         setTimeout(() => console.log("still up"), 100);`,
      ],
      { encoding: "utf8", timeout: 20_000 },
    );

  it("keeps the process up on a driver fault, and replaces the pool", () => {
    const stack = JSON.stringify(NEXT_WRITE.stack);
    const r = child(`Object.assign(new TypeError("null write"), { stack: ${stack} })`);
    expect(r.stdout).toBe("pool replaced\nstill up\n");
    expect(r.status).toBe(0);
  });

  it("keeps the process up when postgres.js's own query of types fails unheard (porsager/postgres #1192)", () => {
    // A statement timeout of 1 ms cancels that query on a new connection, every time.
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `import pino from "pino";
         import postgres from "postgres";
         import { installDriverFaultGuard } from "./src/db/driver-guard.ts";
         installDriverFaultGuard(pino({ level: "silent" }), () => console.log("pool replaced"));
         const sql = postgres(${JSON.stringify(PG_ADMIN_URL)},
           { max: 1, connection: { statement_timeout: 1 }, onnotice() {} });
         await sql\`select 1\`.catch((e) => console.log("select: " + e.code));
         setTimeout(() => { console.log("still up"); void sql.end({ timeout: 0 }); }, 300);`,
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
    expect(r.stdout).toBe("select: 57014\nstill up\n");
    expect(r.status).toBe(0);
  });

  it("lets any other uncaught error end the process, as Node would", () => {
    const r = child(`new TypeError("a bug of ours")`);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("a bug of ours");
    expect(r.status).toBe(1);
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

  it("a request past its budget with no probe answered gets its 503 alone; with one answered, it waits", async () => {
    const never = new Promise(() => {});
    const health = new DatabaseHealth({ probe: () => never, probeTimeoutMs: 10_000 });
    const began = performance.now();
    await expect(health.await(never, 20, 100)).rejects.toThrow(NotAnsweringError);
    expect(performance.now() - began).toBeLessThan(1000);
    // Only the probe decides that the database is down: it has not answered yet.
    expect(health.up).toBe(true);
    health.close();
    const alive = new DatabaseHealth({ probe: async () => 1, probeTimeoutMs: 50 });
    const slow = new Promise((r) => setTimeout(() => r("done"), 300));
    expect(await alive.await(slow, 20, 100)).toBe("done");
    alive.close();
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
