// Poison callbacks: each class that once was answered 503 forever is now stored (its text kept
// as faithfully as Postgres allows) or refused with the right 4xx, and never a 503; the error
// map's classes, one test each. Logs are captured: no secret, even from a bad %-escape.
import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/database.ts";
import { events } from "../../src/db/schema.ts";
import { type Harness, processed, SECRET, startHarness } from "../support/harness.ts";

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

  // The SMS of each callback answered so far, once the worker has acted on them.
  const bodies = async () => {
    await processed(h.bridge.database);
    return rowsOf<{ body: string; received_at: Date | string }>(
      await h.bridge.database.db.execute(sql`select body, received_at from messages order by id`),
    );
  };

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

  it("acts on the rest of a batch when one stored callback cannot be acted on", async () => {
    // Three stored callbacks that the worker sees at once (one transaction): the first cannot
    // be read (stored by a faulty version, say). It fails alone and is given up, its error
    // kept; the same number's next SMS waits behind it, then goes; another number's too.
    const db = h.bridge.database.db;
    const sms = (from: string, text: string) => ({
      kind: "inbound-sms",
      from,
      text,
      at: new Date().toISOString(),
    });
    await db.insert(events).values([
      {
        dedupeKey: "bad",
        kind: "inbound-sms",
        payload: { kind: "inbound-sms", from: "+33612345678" },
        processedAt: null,
      },
      {
        dedupeKey: "x2",
        kind: "inbound-sms",
        payload: sms("+33612345678", "after the bad"),
        processedAt: null,
      },
      {
        dedupeKey: "y1",
        kind: "inbound-sms",
        payload: sms("+33698765432", "other number"),
        processedAt: null,
      },
    ]);
    h.bridge.worker?.wake();
    await processed(h.bridge.database);
    const acted = rowsOf<{ body: string }>(
      await db.execute(sql`select body from messages order by body`),
    );
    expect(acted.map((r) => r.body)).toEqual(["after the bad", "other number"]);
    const [bad] = rowsOf<{ error: string | null; attempts: number }>(
      await db.execute(sql`select error, attempts from events where dedupe_key = 'bad'`),
    );
    expect(bad?.error).toMatch(/cannot be read/);
    expect(bad?.attempts).toBe(1);
    expect(lines.some((l) => l.includes("acting on each alone"))).toBe(true);
    expect(lines.some((l) => l.includes("callback given up"))).toBe(true);
    for (const line of lines) expect(line).not.toContain("612345678");
  });

  it("answers 503 only when the database is unavailable", async () => {
    await h.bridge.database.close();
    const res = await h.callback("message", inbound("while down"));
    expect(res.status).toBe(503);
    expect((await fetch(`${h.bridge.url}/healthz`)).status).toBe(503);
  });
});
