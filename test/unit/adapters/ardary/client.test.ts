// The Ardary client against the simulator over real HTTP: request shape, every answer form,
// per-message failures, and the transport failures that must become (non-)retryable errors.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type ArdaryClientOptions,
  createArdaryClient,
} from "../../../../adapters/ardary/client.ts";
import { describeContactCodes, describeSendCodes } from "../../../../adapters/ardary/codes.ts";
import { parseRetryAfter } from "../../../../adapters/ardary/http.ts";
import {
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from "../../../../adapters/ardary/simulator/index.ts";
import type { OutboundSms } from "../../../../src/contracts/index.ts";
import { AppError, RefusedError, RetryableError } from "../../../../src/kernel/errors.ts";

const KEY = "test-key";
const LOGIN = "ops@example.com";
const A = "+33612345678";
const B = "+33698765432";
const C = "+12025550123";

let sim: Simulator;

async function startSim(options: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  await sim?.close();
  sim = await startSimulator({ accessKey: KEY, login: LOGIN, ...options });
  return sim;
}

function client(options: Partial<ArdaryClientOptions> = {}) {
  return createArdaryClient({
    apiUrl: sim.apiUrl,
    accessKey: KEY,
    login: LOGIN,
    mode: "test",
    timezone: "Europe/Paris",
    ...options,
  });
}

const sms = (idSmsApi: string, to: string, text = "Hello", extra: Partial<OutboundSms> = {}) => ({
  idSmsApi,
  to,
  text,
  ...extra,
});

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

beforeEach(async () => {
  await startSim();
});
afterEach(async () => {
  await sim.close();
});

describe("codes", () => {
  it("puts sendSms and addContact codes into words", () => {
    expect(describeSendCodes(["#007"])).toBe("#007 invalid phone number");
    expect(describeSendCodes(["#004", "6"])).toBe(
      "#004 forbidden words in the text; #006 empty message body",
    );
    expect(describeSendCodes(["#005"])).toBe("#005 unknown error code");
    expect(describeContactCodes(["#001"])).toBe("#001 invalid phone number");
    expect(describeContactCodes(["#042"])).toBe("#042 unknown error code");
  });

  it("says sendSms codes in French for a French bridge", () => {
    expect(describeSendCodes(["#007"], "fr")).toBe("#007 numéro de téléphone invalide");
    expect(describeSendCodes(["#003", "#042"], "fr")).toBe(
      "#003 destinataire désinscrit (STOP); #042 code d'erreur inconnu",
    );
    expect(describeSendCodes([], "fr")).toBe("aucun code d'erreur donné");
  });
});

describe("send: request", () => {
  it("posts the current form: header array, priority, mode, url and date_to_send only when set", async () => {
    const results = await client({ senderName: "ACME" }).send([
      sms("m1", A, "Hi there"),
      sms("m2", B, "Offer: [Link]", {
        link: "https://example.com/offer",
        sendAt: new Date("2030-01-15T09:30:00Z"),
      }),
      sms("m3", C, "Summer", { sendAt: new Date("2030-07-15T09:30:00Z") }),
    ]);
    expect(sim.requests).toHaveLength(1);
    expect(sim.requests[0]?.endpoint).toBe("sendSms");
    expect(sim.requests[0]?.body).toEqual({
      header: [
        {
          accesskey: KEY,
          login: LOGIN,
          sender_name: "ACME",
          sender_mode: "1",
          priority: 1,
          mode: "test",
        },
      ],
      messages: [
        { phonenumber: A, message: "Hi there", id_sms_api: "m1", addReply: 1 },
        {
          phonenumber: B,
          message: "Offer: [Link]",
          id_sms_api: "m2",
          url: "https://example.com/offer",
          date_to_send: "2030-01-15 10:30:00",
          addReply: 1,
        },
        {
          phonenumber: C,
          message: "Summer",
          id_sms_api: "m3",
          date_to_send: "2030-07-15 11:30:00",
          addReply: 1,
        },
      ],
    });
    expect(results.map((r) => [r.idSmsApi, r.ok])).toEqual([
      ["m1", true],
      ["m2", true],
      ["m3", true],
    ]);
    const first = results[0];
    expect(first?.ok && first.segments).toBe(1);
    expect(first?.ok && first.sentAt).toBeInstanceOf(Date);
  });

  it("leaves sender_name out when unset and formats date_to_send in the configured zone", async () => {
    await client({ timezone: "America/New_York" }).send([
      sms("m1", A, "x", { sendAt: new Date("2030-01-15T15:00:00Z") }),
    ]);
    expect(sim.requests[0]?.body).toEqual({
      header: [{ accesskey: KEY, login: LOGIN, priority: 1, mode: "test" }],
      messages: [
        { phonenumber: A, message: "x", id_sms_api: "m1", date_to_send: "2030-01-15 10:00:00" },
      ],
    });
  });

  it("splits priorities into one request each (high first) and keeps the input order", async () => {
    const results = await client().send([
      sms("n1", A),
      sms("h1", B, "urgent", { priority: "high" }),
      sms("l1", C, "later", { priority: "low" }),
      sms("n2", C, "normal", { priority: "normal" }),
    ]);
    const bodies = sim.requests.map(
      (r) => r.body as { header: { priority: number }[]; messages: { id_sms_api: string }[] },
    );
    expect(bodies.map((b) => [b.header[0]?.priority, b.messages.map((m) => m.id_sms_api)])).toEqual(
      [
        [2, ["h1"]],
        [1, ["n1", "n2"]],
        [0, ["l1"]],
      ],
    );
    expect(results.map((r) => r.idSmsApi)).toEqual(["n1", "h1", "l1", "n2"]);
  });

  it("sends nothing for an empty list", async () => {
    expect(await client().send([])).toEqual([]);
    expect(sim.requests).toHaveLength(0);
  });
});

describe("send: sender names and marketing (issue 21)", () => {
  const bodyOf = (i: number) =>
    sim.requests[i]?.body as {
      header: Record<string, unknown>[];
      messages: Record<string, unknown>[];
    };

  it("a pro sender: sender_name and sender_mode in the header, addReply: 1 on each SMS", async () => {
    await client({ senderName: "Acme", senderMode: "2" }).send([
      sms("m1", A, "Your order shipped"),
      sms("m2", B, "Summer sale", { marketing: true }),
    ]);
    expect(bodyOf(0)).toEqual({
      header: [
        {
          accesskey: KEY,
          login: LOGIN,
          sender_name: "Acme",
          sender_mode: "2",
          priority: 1,
          mode: "test",
        },
      ],
      messages: [
        { phonenumber: A, message: "Your order shipped", id_sms_api: "m1", addReply: 1 },
        { phonenumber: B, message: "Summer sale", id_sms_api: "m2", addReply: 1, addStop: 1 },
      ],
    });
    // The simulator read them as Ardary does, and found nothing wrong.
    expect(sim.requests[0]?.problems).toBeUndefined();
    expect(sim.sent.map((s) => [s.senderName, s.senderMode, s.addReply, s.addStop])).toEqual([
      ["Acme", "2", true, false],
      ["Acme", "2", true, true],
    ]);
  });

  it("without a sender name no addReply; ARDARY_ADD_REPLY=false leaves it out under a name", async () => {
    await client().send([sms("m1", A, "Promo", { marketing: true })]);
    expect(bodyOf(0).messages).toEqual([
      { phonenumber: A, message: "Promo", id_sms_api: "m1", addStop: 1 },
    ]);
    expect(bodyOf(0).header[0]).not.toHaveProperty("sender_name");
    await client({ senderName: "Acme", addReply: false }).send([sms("m2", A)]);
    expect(bodyOf(1).header[0]).toMatchObject({ sender_name: "Acme", sender_mode: "1" });
    expect(bodyOf(1).messages).toEqual([{ phonenumber: A, message: "Hello", id_sms_api: "m2" }]);
  });

  it("SMS of different sender names never share a request, nor SMS of different priorities", async () => {
    const results = await client({ senderName: "Acme" }).send([
      sms("d1", A),
      sms("uk1", B, "hi", { sender: "AcmeUK" }),
      sms("uk2", C, "urgent", { sender: "AcmeUK", priority: "high" }),
      sms("d2", C),
      sms("uk3", A, "hello", { sender: "AcmeUK" }),
    ]);
    const requests = sim.requests.map((_, i) => [
      bodyOf(i).header[0]?.priority,
      bodyOf(i).header[0]?.sender_name,
      bodyOf(i).messages.map((m) => m.id_sms_api),
    ]);
    expect(requests).toEqual([
      [2, "AcmeUK", ["uk2"]],
      [1, "Acme", ["d1", "d2"]],
      [1, "AcmeUK", ["uk1", "uk3"]],
    ]);
    expect(results.map((r) => r.idSmsApi)).toEqual(["d1", "uk1", "uk2", "d2", "uk3"]);
    expect(sim.sent.every((s) => s.addReply)).toBe(true);
  });

  it("the simulator refuses a sender name Ardary would refuse, and says why", async () => {
    const results = await client({ senderName: "Acme Shop!" }).send([sms("m1", A)]);
    expect(results).toEqual([
      expect.objectContaining({ idSmsApi: "m1", ok: false, codes: ["#009"] }),
    ]);
    expect(sim.requests[0]?.problems).toEqual([
      expect.stringMatching(/^sender_name: "Acme Shop!" cannot be .* 3 to 11 characters/),
    ]);
  });
});

describe("send: answers", () => {
  it("reads a partial failure: failing messages get codes in words, the others were sent", async () => {
    await startSim({ optedOut: [B], forbiddenWords: ["casino"] });
    const long = "ы".repeat(100); // UCS-2: 70 per single SMS, 67 per part → 2 SMS
    const results = await client().send([
      sms("a", A, long),
      sms("b", B, "Hello"),
      sms("c", C, "Win at the CASINO"),
      sms("d", "+12", ""),
    ]);
    expect(results).toEqual([
      { idSmsApi: "a", ok: true, segments: 2 },
      { idSmsApi: "b", ok: false, codes: ["#003"], reason: "#003 recipient opted out (STOP)" },
      { idSmsApi: "c", ok: false, codes: ["#004"], reason: "#004 forbidden words in the text" },
      {
        idSmsApi: "d",
        ok: false,
        codes: ["#006", "#007"],
        reason: "#006 empty message body; #007 invalid phone number",
      },
    ]);
  });

  it("reads the legacy answers (count_sms/send_time, and {data:{data,envoi}})", async () => {
    await startSim({ legacyAnswers: true, optedOut: [B] });
    const ok = await client().send([sms("a", A, "x".repeat(200))]);
    expect(ok[0]).toMatchObject({ idSmsApi: "a", ok: true, segments: 2 });
    expect(ok[0]?.ok && ok[0].sentAt).toBeInstanceOf(Date);
    const partial = await client().send([sms("b", B), sms("c", C)]);
    expect(partial.map((r) => r.ok)).toEqual([false, true]);
  });

  it("reads the provider's own figures: count_sms, a zone-less send_time, a single string code", async () => {
    sim.fault({
      answer: {
        data: [
          {
            id_sms_api: "a",
            count_sms: "3",
            send_time: "2020-01-02 14:34:37",
            phone: A,
            sms: "…",
            user: LOGIN,
          },
          { id_sms_api: "b", error: "#007" },
          { id_sms_api: "c", sms_per_message: 4, sent_time: "2020-01-02T13:34:37.096Z" },
        ],
        count_sent: 2,
      },
    });
    expect(await client().send([sms("a", A), sms("b", B), sms("c", C)])).toEqual([
      { idSmsApi: "a", ok: true, segments: 3, sentAt: new Date("2020-01-02T13:34:37Z") },
      { idSmsApi: "b", ok: false, codes: ["#007"], reason: "#007 invalid phone number" },
      { idSmsApi: "c", ok: true, segments: 4, sentAt: new Date("2020-01-02T13:34:37.096Z") },
    ]);
  });

  it("matches entries without id_sms_api by phone number, then by position", async () => {
    sim.fault({
      answer: { data: { data: [{ phone: "0033 6 98 76 54 32", error: ["#004"] }], envoi: 1 } },
    });
    expect((await client().send([sms("a", A), sms("b", B)])).map((r) => r.ok)).toEqual([
      true,
      false,
    ]);
    sim.fault({ answer: { data: [{ sms_per_message: 1 }, { error: ["#007"] }] } });
    expect((await client().send([sms("a", A), sms("b", B)])).map((r) => r.ok)).toEqual([
      true,
      false,
    ]);
  });

  it("applies an error that names no message to all when nothing was sent", async () => {
    sim.fault({ answer: { data: [{ error: ["#009"] }], count_sent: 0 } });
    const results = await client().send([sms("a", A), sms("b", B)]);
    expect(results.map((r) => !r.ok && r.reason)).toEqual([
      "#009 unknown error",
      "#009 unknown error",
    ]);
  });

  it("throws the account refused on #001 (bad credentials), #002 and HTTP 401/403", async () => {
    const err = await rejection(client({ accessKey: "wrong" }).send([sms("a", A)]));
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as RefusedError).scope).toBe("account");
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("#001 authentication failed");
    expect((err as RefusedError).fix).toContain("ARDARY_ACCESS_KEY");
    expect(`${err.message} ${(err as RefusedError).fix}`).not.toContain("wrong");
    sim.setAccount({ active: false });
    const inactive = await rejection(client().send([sms("b", B)]));
    expect(inactive.message).toContain("#002 account not activated yet");
    sim.setAccount({ active: true });
    for (const status of [401, 403] as const) {
      sim.fault({ status });
      const http = await rejection(client().send([sms("c", A)]));
      expect(http).toBeInstanceOf(RefusedError);
      expect(http.message).toContain(`HTTP ${status}`);
    }
  });

  it("throws ardary_not_configured without credentials, before any request", async () => {
    const err = await rejection(client({ accessKey: undefined }).send([sms("a", A)]));
    expect(err.code).toBe("ardary_not_configured");
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/ARDARY_ACCESS_KEY and ARDARY_LOGIN.*Parameters > API/);
    expect(sim.requests).toHaveLength(0);
  });

  it("throws RetryableError on an unreadable 2xx body", async () => {
    sim.fault({ answer: "<html>maintenance</html>" });
    const err = await rejection(client().send([sms("a", A, "secret text")]));
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.code).toBe("ardary_bad_answer");
    expect(err.message).not.toContain("maintenance");
    sim.fault({ answer: { ok: true } });
    expect((await rejection(client().send([sms("a", A)]))).retryable).toBe(true);
  });
});

describe("send: transport failures", () => {
  it("HTTP 500 → RetryableError", async () => {
    sim.fault({ status: 500 });
    const err = await rejection(client().send([sms("a", A)]));
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.code).toBe("ardary_unavailable");
    expect(err.message).toContain("HTTP 500");
    expect(await client().send([sms("a", A)])).toHaveLength(1);
  });

  it("HTTP 429 with Retry-After → retryAfterMs", async () => {
    sim.fault({ status: 429, retryAfterSec: 7 });
    const err = await rejection(client().send([sms("a", A)]));
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.code).toBe("ardary_rate_limited");
    expect(err.retryAfterMs).toBe(7000);
  });

  it("reads Retry-After as seconds or as an HTTP-date", () => {
    const now = Date.parse("2030-01-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Tue, 01 Jan 2030 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Mon, 31 Dec 2029 23:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("other HTTP 4xx → non-retryable AppError naming the status", async () => {
    sim.fault({ answer: { error: "nope" }, httpStatus: 403 });
    const err = await rejection(client().send([sms("a", A)]));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("HTTP 403");
  });

  it("a dropped connection → RetryableError", async () => {
    sim.fault({ drop: true });
    const err = await rejection(client().send([sms("a", A)]));
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.code).toBe("ardary_unreachable");
  });

  it("an answer slower than timeoutMs → RetryableError", async () => {
    sim.fault({ delayMs: 500 });
    const started = Date.now();
    const err = await rejection(client({ timeoutMs: 100 }).send([sms("a", A)]));
    expect(err).toBeInstanceOf(RetryableError);
    expect(err.code).toBe("ardary_timeout");
    expect(Date.now() - started).toBeLessThan(450);
  });

  it("an unreachable server → RetryableError", async () => {
    const url = sim.apiUrl;
    await sim.close();
    const c = createArdaryClient({ apiUrl: url, accessKey: KEY, login: LOGIN, mode: "test" });
    expect(await rejection(c.send([sms("a", A)]))).toBeInstanceOf(RetryableError);
    await startSim();
  });
});

describe("addContacts", () => {
  it("posts contacts (adress, sic) and reads success and failed entries", async () => {
    const results = await client().addContacts([
      {
        phone: A,
        firstName: "Ada",
        lastName: "Lovelace",
        address: "1 rue X",
        email: "ada@example.com",
      },
      { phone: B, email: "not-an-email" },
    ]);
    expect(sim.requests[0]?.body).toEqual({
      header: [{ accesskey: KEY, login: LOGIN }],
      contacts: [
        {
          phonenumber: A,
          firstname: "Ada",
          lastname: "Lovelace",
          adress: "1 rue X",
          email: "ada@example.com",
        },
        { phonenumber: B, email: "not-an-email" },
      ],
    });
    expect(results).toEqual([
      { phone: A, ok: true },
      { phone: B, ok: false, codes: ["#004"], reason: "#004 invalid e-mail" },
    ]);
    expect(sim.contacts).toEqual([
      {
        phonenumber: A,
        firstname: "Ada",
        lastname: "Lovelace",
        adress: "1 rue X",
        email: "ada@example.com",
      },
    ]);
  });

  it("rejects bad credentials as a non-retryable error", async () => {
    const err = await rejection(client({ login: "other@example.com" }).addContacts([{ phone: A }]));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("HTTP 401");
  });
});
