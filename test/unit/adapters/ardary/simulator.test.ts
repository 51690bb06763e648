// The simulator as the fake Ardary of the test suite: callbacks reach a local server in order
// and exactly in the contract's form, short links report clicks, test mode stays silent,
// callbacks are retried, faults are injected, and the control API drives it.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createArdaryClient } from "../../../../adapters/ardary/client.ts";
import { parseArdaryDate } from "../../../../adapters/ardary/dates.ts";
import { parseCallback } from "../../../../adapters/ardary/parse.ts";
import {
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from "../../../../adapters/ardary/simulator/index.ts";
import type { SmsEvent } from "../../../../src/contracts/index.ts";

const KEY = "test-key";
const LOGIN = "ops@example.com";
const A = "+33612345678";
const B = "+33698765432";

interface Received {
  url: string;
  event: SmsEvent;
  at: number;
}

/** A stand-in for the bridge's callback route; `answers` are the HTTP statuses to reply in turn (then 200). */
async function startBridge() {
  const received: Received[] = [];
  const answers: number[] = [];
  const app = express();
  app.get("/ardary/callback/s3cret", (req, res) => {
    received.push({
      url: req.originalUrl,
      event: parseCallback(req.query as Record<string, unknown>),
      at: Date.now(),
    });
    res.status(answers.shift() ?? 200).end();
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ardary/callback/s3cret`,
    received,
    answers,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let bridge: Awaited<ReturnType<typeof startBridge>>;
let sim: Simulator;

async function startSim(options: Partial<SimulatorOptions> = {}) {
  await sim?.close();
  sim = await startSimulator({
    accessKey: KEY,
    login: LOGIN,
    callbackUrl: bridge.url,
    sentDelayMs: 10,
    receivedDelayMs: 30,
    callbackBackoffMs: 10,
    ...options,
  });
}

const client = (mode: "test" | "prod" = "prod") =>
  createArdaryClient({ apiUrl: sim.apiUrl, accessKey: KEY, login: LOGIN, mode });

async function post(path: string, body: unknown, method = "POST") {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as unknown) : null,
  };
}

beforeEach(async () => {
  bridge = await startBridge();
  await startSim();
});
afterEach(async () => {
  await sim.close();
  await bridge.close();
});

describe("status callbacks", () => {
  it("sends sent then received for each SMS, as GET ?status=<URL-encoded JSON>", async () => {
    const results = await client().send([
      { idSmsApi: "m1", to: A, text: "one" },
      { idSmsApi: "m2", to: B, text: "two" },
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    await sim.idle();
    const events = bridge.received.map((r) => r.event);
    for (const id of ["m1", "m2"]) {
      const mine = events.filter((e) => e.kind === "status" && e.ref === id);
      expect(mine.map((e) => e.kind === "status" && e.status)).toEqual(["sent", "received"]);
    }
    const first = sim.callbacks[0];
    expect(first?.httpStatus).toBe(200);
    expect(first?.payload).toEqual({
      user: LOGIN,
      phonenumber: first?.payload.phonenumber,
      status: "sent",
      date_status: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      id_sms_api: first?.payload.id_sms_api,
    });
    const path = `/ardary/callback/s3cret?status=${encodeURIComponent(JSON.stringify(first?.payload))}`;
    expect(bridge.received[0]?.url).toBe(path);
    expect(sim.sent.map((s) => [s.id_sms_api, s.phonenumber, s.message, s.mode])).toEqual([
      ["m1", A, "one", "prod"],
      ["m2", B, "two", "prod"],
    ]);
  });

  it("test mode answers but sends no callback", async () => {
    expect((await client("test").send([{ idSmsApi: "t1", to: A, text: "x" }]))[0]?.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 80));
    await sim.idle();
    expect(bridge.received).toHaveLength(0);
    expect(sim.callbacks).toHaveLength(0);
    expect(sim.sent[0]?.mode).toBe("test");
  });

  it("holds the callbacks until date_to_send", async () => {
    const start = Date.now();
    const sendAt = new Date(start + 1500);
    await client().send([{ idSmsApi: "later", to: A, text: "x", sendAt }]);
    await new Promise((r) => setTimeout(r, 200));
    expect(bridge.received).toHaveLength(0);
    await sim.idle();
    // date_to_send has whole seconds: the send time is sendAt rounded down to the second.
    const due = Math.floor(sendAt.getTime() / 1000) * 1000;
    expect(bridge.received[0]?.at).toBeGreaterThanOrEqual(due);
    expect(sim.sent[0]?.sendAt?.getTime()).toBe(due);
  });

  it("retries a callback the bridge does not accept, recording every attempt", async () => {
    bridge.answers.push(500, 503);
    await client().send([{ idSmsApi: "r1", to: A, text: "x" }]);
    await sim.idle();
    const attempts = sim.callbacks.filter((c) => c.payload.status === "sent");
    expect(attempts.map((c) => [c.attempt, c.httpStatus])).toEqual([
      [1, 500],
      [2, 503],
      [3, 200],
    ]);
    expect(sim.callbacks.at(-1)?.payload.status).toBe("received");
  });

  it("records a network failure of every attempt when the bridge is down", async () => {
    await startSim({ callbackUrl: "http://127.0.0.1:9/nowhere", callbackAttempts: 2 });
    await expect(sim.inbound(A, "hi")).rejects.toThrow(/did not answer/);
    expect(sim.callbacks.map((c) => [c.attempt, c.httpStatus])).toEqual([
      [1, null],
      [2, null],
    ]);
  });
});

describe("short links, inbound SMS and calls", () => {
  it("replaces [Link] with a short link that redirects and reports the click", async () => {
    await client().send([
      { idSmsApi: "l1", to: A, text: "Offer: [Link] !", link: "https://example.com/o?x=1" },
    ]);
    const sent = sim.sent[0];
    expect(sent?.message).toMatch(new RegExp(`^Offer: ${sim.url}/l/[\\w-]+ !$`));
    const res = await fetch(sent?.shortLink ?? "", { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("https://example.com/o?x=1");
    await sim.idle();
    const click = bridge.received.find((r) => r.event.kind === "click");
    expect(click?.event).toMatchObject({
      kind: "click",
      ref: "l1",
      phone: A,
      link: "https://example.com/o?x=1",
    });
    expect((await fetch(`${sim.url}/l/unknown`)).status).toBe(404);
  });

  it("inbound() and call() send message and call callbacks and return the bridge's status", async () => {
    const date = new Date("2024-07-01T08:00:00Z");
    expect(await sim.inbound(A, "Hello world !", date)).toBe(200);
    expect(await sim.call(B)).toBe(200);
    expect(bridge.received.map((r) => r.event)).toEqual([
      { kind: "inbound-sms", from: A, text: "Hello world !", at: date },
      { kind: "call", phone: B, at: expect.any(Date) },
    ]);
    expect(sim.callbacks[0]?.payload).toEqual({
      title: "incoming sms",
      from: A,
      body: "Hello world !",
      date: "2024-07-01 10:00:00",
    });
  });

  it("inbound() needs a callback URL", async () => {
    sim.setCallbackUrl(undefined);
    await expect(sim.inbound(A, "x")).rejects.toThrow(/setCallbackUrl/);
    sim.setCallbackUrl(`${bridge.url}?extra=1`);
    expect(await sim.inbound(A, "x")).toBe(200);
    expect(bridge.received[0]?.url).toMatch(/\?extra=1&message=/);
  });
});

describe("API answers", () => {
  const header = { accesskey: KEY, login: LOGIN, mode: "test" };

  it("answers a partial failure with count_sent, exactly as the contract shows", async () => {
    sim.optOut("0033 6 98 76 54 32");
    const res = await post("/api/sendSms", {
      header: [header],
      messages: [
        { phonenumber: A, message: "ok", id_sms_api: "a" },
        { phonenumber: B, message: "stop", id_sms_api: "b" },
      ],
    });
    expect(res.body).toEqual({ data: [{ id_sms_api: "b", error: ["#003"] }], count_sent: 1 });
  });

  it("answers in the legacy forms when asked", async () => {
    await startSim({ legacyAnswers: true, forbiddenWords: ["casino"] });
    const ok = await post("/api/sendSms", {
      header,
      messages: [{ phonenumber: A, message: "hi", id_sms_api: "a" }],
    });
    expect(ok.body).toEqual({
      data: [
        {
          id_sms_api: "a",
          count_sms: 1,
          send_time: expect.any(String),
          phone: A,
          sms: "hi",
          user: LOGIN,
        },
      ],
    });
    const bad = await post("/api/sendSms", {
      header,
      messages: [{ phonenumber: A, message: "Casino!", id_sms_api: "a" }],
    });
    expect(bad.body).toEqual({ data: { data: [{ id_sms_api: "a", error: ["#004"] }], envoi: 0 } });
  });

  it("accepts the accessKey spelling and a bare header; #001 otherwise; #006 for an empty list", async () => {
    const message = { phonenumber: A, message: "hi", id_sms_api: "a" };
    const bare = await post("/api/sendSms", {
      header: { accessKey: KEY, login: LOGIN, mode: "test" },
      messages: [message],
    });
    expect(bare.body).toMatchObject({
      data: [{ id_sms_api: "a", sms_per_message: 1, phonenumber: A }],
    });
    const wrong = await post("/api/sendSms", {
      header: [{ ...header, accesskey: "x" }],
      messages: [message],
    });
    expect(wrong.body).toEqual({ data: [{ id_sms_api: "a", error: ["#001"] }], count_sent: 0 });
    expect((await post("/api/sendSms", { header: [header], messages: [] })).body).toEqual({
      data: [{ error: ["#006"] }],
      count_sent: 0,
    });
    expect(sim.requests.map((r) => r.endpoint)).toEqual(["sendSms", "sendSms", "sendSms"]);
  });
});

describe("the fields sent (issue 21)", () => {
  const header = { accesskey: KEY, login: LOGIN, mode: "prod" };
  const one = (extra: Record<string, unknown> = {}) => ({
    phonenumber: A,
    message: "Hi",
    id_sms_api: "s1",
    ...extra,
  });

  it("records the sender name, its mode, addReply and addStop of each SMS", async () => {
    await startSim();
    const sent = await post("/api/sendSms", {
      header: [{ ...header, sender_name: "AcmeUK", sender_mode: "1" }],
      messages: [one({ addReply: 1, addStop: 1 }), one({ id_sms_api: "s2", addReply: "1" })],
    });
    expect(sent.body).toMatchObject({ data: [{ id_sms_api: "s1" }, { id_sms_api: "s2" }] });
    expect(sim.sent.map((s) => [s.senderName, s.senderMode, s.addReply, s.addStop])).toEqual([
      ["AcmeUK", "1", true, true],
      ["AcmeUK", "1", true, false],
    ]);
    expect(sim.requests[0]?.problems).toBeUndefined();
  });

  it("refuses what Ardary would refuse, each SMS with #009, and records why", async () => {
    await startSim();
    for (const [h, m, problem] of [
      [{ sender_name: "AcmeShopFrance" }, {}, /^sender_name: "AcmeShopFrance" cannot be/],
      [{ sender_name: "12345" }, {}, /at least one letter/],
      [{ sender_mode: "1" }, {}, /^sender_mode is given without sender_name$/],
      [{}, { addStop: "yes" }, /^addStop must be 0 or 1, not "yes"$/],
    ] as const) {
      const answer = await post("/api/sendSms", {
        header: [{ ...header, ...h }],
        messages: [one(m)],
      });
      expect(answer.body).toEqual({ data: [{ id_sms_api: "s1", error: ["#009"] }], count_sent: 0 });
      expect(sim.requests.at(-1)?.problems).toEqual([expect.stringMatching(problem)]);
    }
    expect(sim.sent).toEqual([]);
  });
});

describe("faults", () => {
  const body = {
    header: [{ accesskey: KEY, login: LOGIN, mode: "test" }],
    messages: [{ phonenumber: A, message: "x" }],
  };

  it("answers a status for the next `count` requests, with Retry-After, then recovers", async () => {
    sim.fault({ status: 429, count: 2, retryAfterSec: 3 });
    const first = await post("/api/sendSms", body);
    expect([first.status, first.headers.get("retry-after")]).toEqual([429, "3"]);
    expect((await post("/api/sendSms", body)).status).toBe(429);
    expect((await post("/api/sendSms", body)).status).toBe(200);
    expect(sim.requests.map((r) => r.fault)).toEqual(["status", "status", undefined]);
    expect(sim.sent).toHaveLength(1);
  });

  it("answers a status for `untilMs`", async () => {
    // A window wide enough for two requests on a busy machine.
    sim.fault({ status: 503, untilMs: 1500 });
    expect((await post("/api/sendSms", body)).status).toBe(503);
    expect((await post("/api/sendSms", body)).status).toBe(503);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await post("/api/sendSms", body)).status).toBe(200);
  });

  it("delays an answer, drops a connection, and clears faults", async () => {
    sim.fault({ delayMs: 150 });
    const started = Date.now();
    expect((await post("/api/sendSms", body)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    sim.fault({ drop: true });
    await expect(post("/api/sendSms", body)).rejects.toThrow();
    sim.fault({ status: 500, count: 5 });
    sim.clearFaults();
    expect((await post("/api/sendSms", body)).status).toBe(200);
  });
});

describe("control API", () => {
  it("drives inbound, call, faults and state over HTTP", async () => {
    expect((await post("/_sim/inbound", { from: A, text: "hey" })).body).toEqual({ status: 200 });
    expect((await post("/_sim/call", { phone: B, date: "2024-01-01T10:00:00Z" })).body).toEqual({
      status: 200,
    });
    expect(bridge.received.map((r) => r.event.kind)).toEqual(["inbound-sms", "call"]);
    expect(parseArdaryDate(String(sim.callbacks[1]?.payload.call_date))).toEqual(
      new Date("2024-01-01T10:00:00Z"),
    );

    expect((await post("/_sim/fault", { status: 429, retryAfterSec: 1 })).status).toBe(204);
    expect((await post("/api/sendSms", {})).status).toBe(429);
    expect((await post("/_sim/fault", { status: 418 })).status).toBe(400);
    expect((await post("/_sim/inbound", { text: "no from" })).status).toBe(400);

    const state = await fetch(`${sim.url}/_sim/state`).then((r) => r.json());
    expect(state).toMatchObject({
      callbackUrl: bridge.url,
      requests: [{ endpoint: "sendSms", fault: "status" }],
    });
    expect(state.callbacks).toHaveLength(2);
  });
});
