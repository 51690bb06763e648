// Poison callbacks: each class that once was answered 503 forever is now stored (its text kept
// as faithfully as Postgres allows) or refused with the right 4xx, and never a 503; the error
// map's classes, one test each. Logs are captured: no secret, even from a bad %-escape.
import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { toHttp } from "../../src/app.ts";
import { rowsOf } from "../../src/db.ts";
import { DatabaseUnavailableError } from "../../src/health.ts";
import { type Harness, SECRET, startHarness } from "../support/harness.ts";

const inbound = (body: string, date = "2026-11-27 10:00:00") => ({
  title: "incoming sms",
  from: "+33612345678",
  body,
  date,
});

describe("poison callbacks", () => {
  let h: Harness;
  const lines: string[] = [];
  beforeEach(async () => {
    lines.length = 0;
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    h = await startHarness({ log: pino({ level: "trace" }, sink) });
  });
  afterEach(async () => {
    await h.close();
  });

  const bodies = async () =>
    rowsOf<{ body: string; received_at: Date | string }>(
      await h.bridge.database.db.execute(sql`select body, received_at from messages order by id`),
    );

  it("stores a NUL in the text, replaced by a visible U+FFFD", async () => {
    const res = await h.callback("message", inbound("a\u0000b"));
    expect(res.status).toBe(200);
    expect((await bodies()).map((r) => r.body)).toEqual(["a\uFFFDb"]);
    expect((await h.callback("message", inbound("a\u0000b"))).status).toBe(200);
    expect(await bodies()).toHaveLength(1);
  });

  it("stores lone surrogates, each replaced by a visible U+FFFD", async () => {
    const res = await h.callback("message", inbound("x\ud800y\udc00z 👍"));
    expect(res.status).toBe(200);
    expect((await bodies()).map((r) => r.body)).toEqual(["x\uFFFDy\uFFFDz 👍"]);
  });

  it("stores a date Postgres cannot hold with the receipt time, noted, once across retries", async () => {
    const before = Date.now();
    for (const date of ["0000-01-01 00:00:00", "0000-01-01 00:00:00"]) {
      expect((await h.callback("message", inbound("very old", date))).status).toBe(200);
    }
    expect(
      (await h.callback("call", { phonenumber: "+33612345678", call_date: "0000-06-30T12:00:00Z" }))
        .status,
    ).toBe(200);
    const rows = await bodies();
    expect(rows.map((r) => r.body)).toEqual(["very old"]);
    const at = new Date(rows[0]?.received_at ?? 0).getTime();
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);
    expect(lines.filter((l) => l.includes("receipt time used"))).toHaveLength(3);
  });

  it("answers 415 to an unsupported charset, and stores nothing", async () => {
    const form = `message=${encodeURIComponent(JSON.stringify(inbound("koi8")))}`;
    for (const [type, body] of [
      ["application/x-www-form-urlencoded; charset=koi8-r", form],
      ["application/json; charset=latin1", JSON.stringify({ message: inbound("latin1") })],
    ] as const) {
      const res = await fetch(`${h.bridge.url}/ardary/callback/${SECRET}`, {
        method: "POST",
        headers: { "content-type": type },
        body,
      });
      expect(res.status, type).toBe(415);
    }
    expect(await bodies()).toEqual([]);
  });

  it("answers 415 to an unsupported Content-Encoding, and stores nothing", async () => {
    const res = await fetch(`${h.bridge.url}/ardary/callback/${SECRET}`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "x-unknown" },
      body: JSON.stringify({ message: inbound("encoded") }),
    });
    expect(res.status).toBe(415);
    expect(await bodies()).toEqual([]);
  });

  it("answers 400 to a bad %-escape in the path, and never logs the secret", async () => {
    for (const bad of ["%zz", "%E0%A4%A", "%"]) {
      const res = await fetch(`${h.bridge.url}/ardary/callback/${bad}${SECRET}?message=x`);
      expect(res.status, bad).toBe(400);
      expect(await res.text()).not.toContain(SECRET.slice(0, 8));
    }
    expect(lines.filter((l) => l.includes("request refused"))).toHaveLength(3);
    for (const line of lines) expect(line).not.toContain(SECRET.slice(0, 4));
  });

  it("answers 400 to a non-JSON value without logging it (it may be a phone number)", async () => {
    const res = await h.callback("message", "+33612345678");
    expect(res.status).toBe(400);
    expect(lines.some((l) => l.includes("malformed callback"))).toBe(true);
    for (const line of lines) expect(line).not.toContain("612345678");
  });

  it("answers 503 only when the database is unavailable", async () => {
    await h.bridge.database.close();
    const res = await h.callback("message", inbound("while down"));
    expect(res.status).toBe(503);
    expect((await fetch(`${h.bridge.url}/healthz`)).status).toBe(503);
  });
});

describe("the error map", () => {
  it("gives each class its status", () => {
    const httpError = (status: number, type: string) =>
      Object.assign(new Error("x"), { status, type });
    expect(toHttp(httpError(415, "charset.unsupported")).status).toBe(415);
    expect(toHttp(httpError(415, "encoding.unsupported")).status).toBe(415);
    expect(toHttp(httpError(413, "entity.too.large")).status).toBe(413);
    expect(
      toHttp(Object.assign(new URIError("Failed to decode param '%zzsecret'"), { status: 400 })),
    ).toEqual({
      status: 400,
      message: "bad request",
    });
    expect(toHttp(new DatabaseUnavailableError()).status).toBe(503);
    expect(toHttp(Object.assign(new Error("reset"), { code: "ECONNRESET" })).status).toBe(503);
    expect(toHttp(Object.assign(new Error("x"), { code: "CONNECTION_CLOSED" })).status).toBe(503);
    expect(
      toHttp(new Error("Failed query", { cause: Object.assign(new Error("y"), { code: "57P01" }) }))
        .status,
    ).toBe(503);
    expect(toHttp(new Error("PGlite is closed")).status).toBe(503);
    expect(toHttp(Object.assign(new Error("bad value"), { code: "22008" })).status).toBe(422);
    expect(toHttp(new TypeError("a bug")).status).toBe(500);
  });
});
