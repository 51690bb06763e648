// The contract's four example callbacks, sent as the provider sends them (GET, JSON URL-encoded),
// and the secret the bridge makes (URL-safe; any secret: test/e2e/callback-url.test.ts).
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/database.ts";
import { type Harness, processed, startHarness, until } from "../support/harness.ts";

const examples = {
  status: {
    user: "SENDER_LOGIN",
    phonenumber: "+15550001111",
    status: "sent",
    date_status: "2019-08-09T12:50:54.211Z",
    id_sms_api: "09403292039020",
  },
  message: {
    title: "incoming sms",
    from: "+15550001111",
    body: "Hello world !",
    date: "2020-01-21 10:01:38",
  },
  click: {
    title: "clicked link",
    phonenumber: "+15550001111",
    link: "https://example.com/x",
    date: "2019-07-08 15:07:03",
    id_sms_api: "09403292039020",
  },
  call: { title: "incoming call", phonenumber: "+15550001111", call_date: "2019-07-05 15:11:04" },
};

async function count(
  h: Harness,
  table: "events" | "messages" | "jobs" | "conversations" | "opt_outs",
): Promise<number> {
  const [row] = rowsOf<{ n: string | number }>(
    await h.bridge.database.db.execute(sql.raw(`select count(*) as n from ${table}`)),
  );
  return Number(row?.n);
}

describe("callbacks", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it("accepts and stores the four example callbacks, once each", async () => {
    for (const [param, payload] of Object.entries(examples)) {
      const res = await h.callback(param, payload);
      expect(res.status, param).toBe(200);
    }
    // Answered once stored: the four are there at once; the worker then acts on them.
    expect(await count(h, "events")).toBe(4);
    await processed(h.bridge.database);
    await until(async () => (await count(h, "jobs")) === 0, 10_000, "jobs done");
    const inbound = rowsOf<{ body: string; direction: string }>(
      await h.bridge.database.db.execute(sql`select body, direction from messages`),
    );
    expect(inbound).toEqual([{ body: "Hello world !", direction: "in" }]);
    const before = await Promise.all(
      (["events", "messages", "jobs", "conversations"] as const).map((t) => count(h, t)),
    );
    for (const [param, payload] of Object.entries(examples)) {
      const res = await h.callback(param, payload);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ duplicate: true });
    }
    await processed(h.bridge.database);
    const after = await Promise.all(
      (["events", "messages", "jobs", "conversations"] as const).map((t) => count(h, t)),
    );
    expect(after).toEqual(before);
  });

  it("answers 404 to a wrong secret and stores nothing", async () => {
    for (const [param, payload] of Object.entries(examples)) {
      expect((await h.callback(param, payload, "wrong-secret-wrong-secret")).status).toBe(404);
    }
    expect(await count(h, "events")).toBe(0);
  });

  it("answers 400 with a reason to broken JSON and stores nothing", async () => {
    for (const param of Object.keys(examples)) {
      const res = await h.callback(param, '{"from": "+1555000', undefined);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatch(new RegExp(param));
    }
    const missing = await h.callback("message", { title: "incoming sms", body: "no sender" });
    expect(missing.status).toBe(400);
    expect(await count(h, "events")).toBe(0);
  });

  it("answers 200 to an unknown parameter and ignores it", async () => {
    const res = await h.callback("survey", { a: 1 });
    expect(res.status).toBe(200);
    expect(await count(h, "events")).toBe(0);
  });

  it("accepts the same callback by POST, as a form and as JSON", async () => {
    const url = `${h.bridge.url}/ardary/callback/${"test-callback-secret-0123456789"}`;
    const form = await fetch(url, {
      method: "POST",
      body: new URLSearchParams({ message: JSON.stringify(examples.message) }),
    });
    expect(form.status).toBe(200);
    const json = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ call: examples.call }),
    });
    expect(json.status).toBe(200);
    expect(await count(h, "events")).toBe(2);
  });

  it("makes one effect of the same callback sent 3 times at once", async () => {
    const payload = { ...examples.message, body: "three at once" };
    const answers = await Promise.all([1, 2, 3].map(() => h.callback("message", payload)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await count(h, "events")).toBe(1);
    await processed(h.bridge.database);
    expect(await count(h, "messages")).toBe(1);
  });

  it("stores a burst of concurrent callbacks, repeats included, each exactly once", async () => {
    const sms = (n: number) => ({
      ...examples.message,
      from: `+1555000${1000 + (n % 4)}`,
      body: `burst ${n}`,
    });
    const answers = await Promise.all(
      [...Array(40).keys()].map((i) => h.callback("message", sms(i % 20)).then((r) => r.json())),
    );
    expect(answers.filter((a) => a.duplicate === false)).toHaveLength(20);
    expect(answers.filter((a) => a.duplicate === true)).toHaveLength(20);
    await processed(h.bridge.database);
    const rows = rowsOf<{ body: string; phone: string }>(
      await h.bridge.database.db.execute(sql`select m.body, c.phone from messages m
        join conversations c on c.id = m.conversation_id order by m.id`),
    );
    expect(rows.map((r) => r.body).sort()).toEqual(
      [...Array(20).keys()].map((n) => `burst ${n}`).sort(),
    );
    expect(await count(h, "conversations")).toBe(4);
    expect(await count(h, "events")).toBe(20);
  });

  it("records a STOP as an opt-out in the transaction that records the SMS, and START lifts it", async () => {
    await h.callback("message", { ...examples.message, body: "Stop please" });
    await processed(h.bridge.database);
    expect(await count(h, "opt_outs")).toBe(1);
    expect(await count(h, "messages")).toBe(1);
    await h.callback("message", {
      ...examples.message,
      body: "START",
      date: "2020-01-21 10:05:00",
    });
    await until(async () => (await count(h, "opt_outs")) === 0, 5000, "opt-in");
  });

  it("keeps a status moving forward: received before sent stays received, both times kept", async () => {
    await h.close();
    h = await startHarness({ env: { ARDARY_MODE: "test" } }); // the simulator sends no callbacks
    const queued = await h.bridge.database.db.transaction((tx) =>
      h.bridge.bridge.queueSms(tx, { phone: "+15550001111", text: "hello", author: "test" }),
    );
    if (!("message" in queued)) throw new Error("not queued");
    const id = queued.message.clientRef;
    await until(() => h.sim.sent.find((s) => s.id_sms_api === id), 5000, "sent");
    await until(
      async () =>
        rowsOf<{ status: string }>(
          await h.bridge.database.db.execute(
            sql`select status from messages where status = 'submitted'`,
          ),
        ).length === 1,
      5000,
      "submitted",
    );
    const base = { user: "x", phonenumber: "+15550001111", id_sms_api: id };
    const r1 = await h.callback("status", {
      ...base,
      status: "received",
      date_status: "2030-01-01T10:00:02Z",
    });
    const r2 = await h.callback("status", {
      ...base,
      status: "sent",
      date_status: "2030-01-01T10:00:01Z",
    });
    expect([await r1.json(), await r2.json()]).toEqual([
      { ok: true, duplicate: false },
      { ok: true, duplicate: false },
    ]);
    await processed(h.bridge.database);
    const [row] = rowsOf<{ status: string; sent_at: Date | null; received_at: Date | null }>(
      await h.bridge.database.db.execute(
        sql`select status, sent_at, received_at from messages where client_ref = ${id}`,
      ),
    );
    expect(row?.status).toBe("received");
    expect(row?.sent_at).not.toBeNull();
    expect(row?.received_at).not.toBeNull();
  });
});

describe("the callback URL, whatever the secret", () => {
  it("the secret the bridge makes is URL-safe", async () => {
    const h = await startHarness({ env: { ARDARY_CALLBACK_SECRET: "" } });
    try {
      expect(h.bridge.callbackSecret).toMatch(/^[A-Za-z0-9_-]{24}$/);
      const res = await h.callback("message", examples.message, h.bridge.callbackSecret);
      expect(res.status).toBe(200);
    } finally {
      await h.close();
    }
  });
});
