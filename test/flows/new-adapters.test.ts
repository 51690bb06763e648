// docs/architecture.md says a new chat platform, or a new SMS provider, is one folder and one
// line in adapters/index.ts. Checked here with nothing of the core changed, with a chat platform
// ("teams") and a provider ("smsfake", its callbacks under /smsfake/callback/<secret>) the core
// has never heard of: their variables are validated, the environment chooses them, they are
// created and started; a customer's SMS comes in through the provider's callback and reaches
// its thread, the team's reply in that thread leaves through the provider once, and its
// delivery report comes back to the thread.
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { ADAPTERS } from "../../adapters/index.ts";
import { EnvError, loadEnv } from "../../src/boot/env.ts";
import {
  type ChatAdapter,
  type ChatAdapterDescriptor,
  type ChatHooks,
  type ChatPost,
  type OutboundSms,
  optionalVar,
  type SmsEvent,
  type SmsProviderDescriptor,
} from "../../src/contracts/index.ts";
import { BadRequestError } from "../../src/kernel/errors.ts";
import { type RunningBridge, startBridge } from "../../src/main.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { baseEnv, SECRET as HARNESS_SECRET, until } from "../support/harness.ts";

const SECRET = "fake-provider-secret-0123456789";

/** What the fake provider was asked to send, in order. */
const sent: OutboundSms[] = [];

const smsEnv = { SMSFAKE_TOKEN: optionalVar, SMSFAKE_TIMEZONE: optionalVar };
const smsfake: SmsProviderDescriptor<typeof smsEnv, { token: string }> = {
  kind: "sms",
  name: "smsfake",
  env: smsEnv,
  hints: { SMSFAKE_TOKEN: "the account's token" },
  requires: () => ["SMSFAKE_TOKEN"],
  configure: (v) => ({ token: v.SMSFAKE_TOKEN ?? "" }),
  howToEnable: "set SMSFAKE_TOKEN",
  callbackPath: "smsfake",
  timezoneVar: "SMSFAKE_TIMEZONE",
  settings: () => ({ batchSize: 10, callbackSecret: SECRET, timezone: "Europe/Paris" }),
  async create() {
    return {
      async send(list) {
        sent.push(...list);
        return list.map((m) => ({ ref: m.ref, outcome: "accepted" as const, segments: 1 }));
      },
      async addContacts(list) {
        return list.map((c) => ({ phone: c.phone, ok: true as const }));
      },
      // Its own callback format: ?kind=in&from=…&body=…, ?kind=dlr&ref=…&to=…
      parseCallback(p): SmsEvent {
        const at = new Date();
        if (p.kind === "in" && typeof p.from === "string" && typeof p.body === "string")
          return { kind: "inbound-sms", from: p.from, text: p.body, at };
        if (p.kind === "dlr" && typeof p.ref === "string" && typeof p.to === "string")
          return { kind: "status", ref: p.ref, phone: p.to, status: "received", at };
        throw new BadRequestError("unknown callback");
      },
      countSegments: () => ({ segments: 1, encoding: "GSM-7" }),
      parseLocalDate: (v) => (Number.isNaN(Date.parse(v)) ? null : new Date(v)),
      linkPlaceholder: "{link}",
    };
  },
};

/** What the fake chat platform was asked to do. */
const chat: {
  threads: string[];
  posts: ChatPost[];
  reactions: { ref: string; status: string }[];
  started: number;
  hooks?: ChatHooks;
} = { threads: [], posts: [], reactions: [], started: 0 };

const chatEnv = { TEAMS_TOKEN: optionalVar, TEAMS_CHANNEL: optionalVar };
const teams: ChatAdapterDescriptor<typeof chatEnv, { channel: string }> = {
  kind: "chat",
  name: "teams",
  env: chatEnv,
  hints: { TEAMS_TOKEN: "the bot's token", TEAMS_CHANNEL: "the channel id" },
  requires: () => ["TEAMS_TOKEN", "TEAMS_CHANNEL"],
  configure: (v) => ({ channel: v.TEAMS_CHANNEL ?? "" }),
  howToEnable: "set TEAMS_TOKEN and TEAMS_CHANNEL",
  defaultChannel: (c) => c.channel,
  async create(): Promise<ChatAdapter> {
    return {
      platform: "teams",
      async openThread(channel) {
        chat.threads.push(channel);
        return `teams:${channel}:${chat.threads.length}`;
      },
      async post(_thread, post) {
        chat.posts.push(post);
        return `teams:m${chat.posts.length}`;
      },
      async update() {},
      async react(ref, status) {
        chat.reactions.push({ ref, status: status.status });
      },
      async updateCard() {},
      async start(hooks) {
        chat.started++;
        chat.hooks = hooks;
      },
      async stop() {},
    };
  },
};

let db: TestDatabase | undefined;
let bridge: RunningBridge | undefined;
beforeEach(() => {
  Object.assign(chat, { threads: [], posts: [], reactions: [], started: 0, hooks: undefined });
  sent.length = 0;
});
afterEach(async () => {
  await bridge?.close();
  await db?.drop();
  bridge = undefined;
  db = undefined;
});

describe("adding a chat platform", () => {
  it("is one descriptor in the list: validated, created, started, and it gets the threads", async () => {
    const list = [...ADAPTERS, teams]; // the one line in adapters/index.ts
    expect(() => loadEnv({ TEAMS_TOKEN: "t" }, list)).toThrow(EnvError);
    expect(() => loadEnv({ TEAMS_TOKEN: "t" }, list)).toThrow(
      /TEAMS_CHANNEL: required to enable teams/,
    );
    db = await createTestDatabase();
    const sim = await startSimulator({ accessKey: "sim-key", login: "sim@example.com" });
    try {
      const e = loadEnv(baseEnv(db, sim, { TEAMS_TOKEN: "t", TEAMS_CHANNEL: "T1" }), list);
      expect(e.chat.map((c) => c.descriptor.name)).toEqual(["teams"]);
      bridge = await startBridge(e, pino({ level: "silent" }), await db.open?.());
      expect(chat.started).toBe(1);
      sim.setCallbackUrl(`${bridge.url}/ardary/callback/${HARNESS_SECRET}`);
      await sim.inbound("+15550500001", "Hello Teams");
      await until(() => chat.posts.some((p) => p.text === "Hello Teams"), 10_000, "the post");
      expect(chat.threads).toEqual(["T1"]);
    } finally {
      await sim.close();
    }
  });
});

describe("adding an SMS provider", () => {
  it("is chosen from the environment: two providers named is a boot error naming both", () => {
    const list = [...ADAPTERS, smsfake];
    expect(() => loadEnv({ SMSFAKE_TOKEN: "t", ARDARY_LOGIN: "me@example.com" }, list)).toThrow(
      /one SMS provider at a time: the variables of ardary \(ARDARY_LOGIN\) and smsfake \(SMSFAKE_TOKEN\) are set/,
    );
    expect(() => loadEnv({}, list)).toThrow(EnvError);
    expect(() => loadEnv({}, list)).toThrow(/no SMS provider is configured/);
    expect(loadEnv({ SMSFAKE_TOKEN: "t" }, list).sms.descriptor.name).toBe("smsfake");
    expect(loadEnv({ ARDARY_LOGIN: "me@example.com" }, list).sms.descriptor.name).toBe("ardary");
    // With one provider in the list, as today, it is the one: nothing to set for a first look.
    expect(loadEnv({}).sms.descriptor.name).toBe("ardary");
  });

  it("carries a callback in to its thread, and the thread's reply out, through the new provider", async () => {
    db = await createTestDatabase();
    const env = loadEnv(
      {
        PORT: "0",
        ...db.env,
        JOB_BACKOFF_MS: "50",
        LOG_LEVEL: "silent",
        SMSFAKE_TOKEN: "t",
        TEAMS_TOKEN: "t",
        TEAMS_CHANNEL: "T1",
      },
      [smsfake, teams],
    );
    bridge = await startBridge(env, pino({ level: "silent" }), await db.open?.());
    const callback = (q: string) => fetch(`${bridge?.url}/smsfake/callback/${SECRET}?${q}`);

    // In: the provider's callback path comes from its descriptor; another path is not it.
    expect((await callback("kind=in&from=%2B15550500001&body=Hello%20there")).status).toBe(200);
    expect((await fetch(`${bridge.url}/ardary/callback/${SECRET}?x=1`)).status).toBe(404);
    expect((await callback("kind=nonsense")).status).toBe(400);
    await until(() => chat.posts.some((p) => p.text === "Hello there"), 10_000, "the SMS posted");
    expect(chat.threads).toEqual(["T1"]);

    // Out: a person answers in the thread; the provider gets it once, with our reference.
    const hooks = chat.hooks as ChatHooks;
    await hooks.onReply({
      platform: "teams",
      eventId: "reply-1",
      thread: "teams:T1:1",
      message: "teams:reply-1",
      author: "Zoe Martin",
      text: "We are on it",
      hasAttachments: false,
    });
    await until(() => sent.length > 0, 10_000, "the send");
    expect(sent).toMatchObject([{ to: "+15550500001", text: "We are on it" }]);
    const ref = sent[0]?.ref as string;
    expect(ref).toMatch(/^ab-/);

    // Back: its delivery report reaches the thread (a person's message: its reactions).
    const report = `kind=dlr&ref=${encodeURIComponent(ref)}&to=%2B15550500001`;
    expect((await callback(report)).status).toBe(200);
    await until(
      () => chat.reactions.some((r) => r.ref === "teams:reply-1" && r.status === "received"),
      10_000,
      "the received status on the reply",
    );
    expect(sent).toHaveLength(1);
  });
});
