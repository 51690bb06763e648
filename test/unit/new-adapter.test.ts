// docs/architecture.md says a new chat platform is a descriptor, its adapter, and one line in
// adapters/index.ts. Checked here: a platform the core has never heard of ("teams") is added to
// the list and nothing else; its variables are validated, it is created, started, and an
// inbound SMS reaches its thread.
import pino from "pino";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { ADAPTERS } from "../../adapters/index.ts";
import { EnvError, loadEnv } from "../../src/boot/env.ts";
import {
  type ChatAdapter,
  type ChatAdapterDescriptor,
  type ChatHooks,
  type ChatPost,
  optionalVar,
} from "../../src/contracts/index.ts";
import { startBridge } from "../../src/main.ts";
import { createTestDatabase } from "../support/db.ts";
import { baseEnv, SECRET, until } from "../support/harness.ts";

const calls: { openThread: string[]; posts: ChatPost[]; started: ChatHooks[] } = {
  openThread: [],
  posts: [],
  started: [],
};

const env = { TEAMS_TOKEN: optionalVar, TEAMS_CHANNEL: optionalVar };
const teams: ChatAdapterDescriptor<typeof env, { token: string; channel: string }> = {
  kind: "chat",
  name: "teams",
  env,
  hints: { TEAMS_TOKEN: "the bot's token", TEAMS_CHANNEL: "the channel id" },
  requires: () => ["TEAMS_TOKEN", "TEAMS_CHANNEL"],
  configure: (v) => ({ token: v.TEAMS_TOKEN ?? "", channel: v.TEAMS_CHANNEL ?? "" }),
  howToEnable: "set TEAMS_TOKEN and TEAMS_CHANNEL",
  defaultChannel: (c) => c.channel,
  async create(): Promise<ChatAdapter> {
    return {
      platform: "teams",
      async openThread(channel) {
        calls.openThread.push(channel);
        return `teams:${channel}:1`;
      },
      async post(_thread, post) {
        calls.posts.push(post);
        return `teams:m${calls.posts.length}`;
      },
      async update() {},
      async react() {},
      async updateCard() {},
      async start(hooks) {
        calls.started.push(hooks);
      },
      async stop() {},
    };
  },
};

describe("adding a chat platform", () => {
  it("is one descriptor in the list: validated, created, started, and it gets the threads", async () => {
    const list = [...ADAPTERS, teams]; // the one line in adapters/index.ts
    expect(() => loadEnv({ TEAMS_TOKEN: "t" }, list)).toThrow(EnvError);
    expect(() => loadEnv({ TEAMS_TOKEN: "t" }, list)).toThrow(
      /TEAMS_CHANNEL: required to enable teams/,
    );
    const db = await createTestDatabase();
    const sim = await startSimulator({ accessKey: "sim-key", login: "sim@example.com" });
    const e = loadEnv(baseEnv(db, sim, { TEAMS_TOKEN: "t", TEAMS_CHANNEL: "T1" }), list);
    expect(e.chat.map((c) => c.descriptor.name)).toEqual(["teams"]);
    const bridge = await startBridge(e, pino({ level: "silent" }), await db.open?.());
    try {
      expect(calls.started).toHaveLength(1);
      sim.setCallbackUrl(`${bridge.url}/ardary/callback/${SECRET}`);
      await sim.inbound("+15550500001", "Hello Teams");
      await until(() => calls.posts.some((p) => p.text === "Hello Teams"), 10_000, "the post");
      expect(calls.openThread).toEqual(["T1"]);
    } finally {
      await bridge.close();
      await sim.close();
      await db.drop();
    }
  });
});
