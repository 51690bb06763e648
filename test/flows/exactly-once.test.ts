// Posts exactly once across crashes: a worker killed after the chat platform made a post but
// before the job was marked done (the message's chat_ref and the job's completion never
// written) leaves a job whose lease runs out; the worker that takes it again finds the post
// (Slack: message metadata read back from the thread; Discord: enforce_nonce) instead of
// making a second one.
import { and, eq } from "drizzle-orm";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createDiscordAdapter } from "../../adapters/discord/index.ts";
import { createSlackAdapter } from "../../adapters/slack/index.ts";
import { sharedBudget } from "../../src/budget.ts";
import type { ChatAdapter } from "../../src/contracts.ts";
import { createChatDelivery } from "../../src/delivery.ts";
import { createInbox } from "../../src/inbox.ts";
import { claim, complete, type Job } from "../../src/jobs.ts";
import { CHAT_JOB, type ChatPayload } from "../../src/kinds.ts";
import { conversations, messages } from "../../src/schema.ts";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slack.ts";
import { type Harness, startHarness, unprocessed, until } from "../support/harness.ts";
import { discordEnv } from "./discord-setup.ts";

const log = pino({ level: "silent" });
let h: Harness | undefined;
let slack: FakeSlack | undefined;
let discord: FakeDiscord | undefined;
afterEach(async () => {
  await h?.close();
  await slack?.close();
  await discord?.close();
  h = slack = discord = undefined;
});

interface World {
  adapter: ChatAdapter;
  /** The bridge's posts in the conversation's thread whose text has `text`. */
  postsWith(thread: string, text: string): number;
}

async function slackWorld(): Promise<World> {
  slack = await startFakeSlack({ channels: ["C0GENERAL"] });
  const fake = slack;
  h = await startHarness({
    worker: false,
    env: {
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_SIGNING_SECRET: fake.signingSecret,
      SLACK_CHANNEL: "C0GENERAL",
      SLACK_API_URL: fake.apiUrl,
    },
  });
  const adapter = createSlackAdapter({
    botToken: fake.botToken,
    channel: "C0GENERAL",
    apiUrl: fake.apiUrl,
    log,
    pacing: { burst: 100, perSecond: 100 },
    budget: sharedBudget(h.bridge.database.db, "slack"),
  });
  return {
    adapter,
    postsWith: (thread, text) => {
      const [, channel = "", ts = ""] = thread.split(":");
      return fake.thread(channel, ts).filter((m) => m.ts !== ts && m.text.includes(text)).length;
    },
  };
}

async function discordWorld(): Promise<World> {
  discord = await startFakeDiscord();
  const fake = discord;
  const channel = fake.textChannelId ?? "";
  h = await startHarness({ worker: false, env: discordEnv(fake, channel) });
  const adapter = createDiscordAdapter({
    botToken: fake.token,
    applicationId: fake.applicationId,
    channel,
    apiUrl: fake.apiUrl,
    log,
    // Posting needs neither the gateway nor its lock.
    services: {
      state: { get: async () => undefined, set: async () => {}, raise: async () => {} },
      lock: () => ({
        tryAcquire: async () => false,
        stillHeld: async () => false,
        release: async () => {},
      }),
      worker: true,
    },
  });
  return {
    adapter,
    postsWith: (thread, text) => {
      const id = thread.split(":").at(-1) ?? "";
      return fake.messages(id).filter((m) => m.content.includes(text)).length;
    },
  };
}

async function takeChatJob(harness: Harness, workerId: string): Promise<Job<ChatPayload>> {
  const db = harness.bridge.database.db;
  const job = await until(
    async () => (await claim(db, { kinds: [CHAT_JOB.kind], limit: 1, leaseMs: 200, workerId }))[0],
    10_000,
    `a chat job for ${workerId}`,
  );
  return job as Job<ChatPayload>;
}

/** No worker runs here: the test acts on the stored callbacks itself, as the worker would. */
async function actOnCallbacks(harness: Harness): Promise<void> {
  const database = harness.bridge.database;
  const inbox = createInbox({
    database,
    bridge: harness.bridge.bridge,
    log,
    maxAttempts: 1,
    backoffMs: 50,
  });
  await inbox.run();
  expect(await unprocessed(database)).toBe(0);
}

describe.each([
  ["Slack", slackWorld],
  ["Discord", discordWorld],
])("posts exactly once across a crash (%s)", (_name, start) => {
  it("finds the post of a worker killed before it marked the job done, and posts no second one", async () => {
    const w = await start();
    const harness = h as Harness;
    const db = harness.bridge.database.db;
    const deliver = createChatDelivery({
      db,
      adapters: new Map([[w.adapter.platform, w.adapter]]),
      log,
    });
    // The conversation has its thread already (on Slack, its card carries the first SMS).
    await harness.sim.inbound("+15550600001", "Hello");
    await actOnCallbacks(harness);
    const opening = await takeChatJob(harness, "opening");
    await deliver(opening);
    await complete(db, [opening.id], "opening");
    await harness.sim.inbound("+15550600001", "Is my parcel lost?");
    await actOnCallbacks(harness);
    const parcel = and(eq(messages.direction, "in"), eq(messages.body, "Is my parcel lost?"));

    // The first worker posts, then dies: neither chat_ref nor the job's completion is written.
    const first = await takeChatJob(harness, "killed");
    expect(first.resumed).toBe(false);
    await deliver(first);
    const [posted] = await db.select().from(messages).where(parcel);
    expect(posted?.chatRef).toBeTruthy();
    await db.update(messages).set({ chatRef: null, ownPost: false }).where(parcel);

    // Its lease runs out; another worker takes the job again and runs it to the end.
    const again = await takeChatJob(harness, "restarted");
    expect(again.id).toBe(first.id);
    expect(again.resumed).toBe(true);
    await deliver(again);
    await complete(db, [again.id], "restarted");

    const [after] = await db.select().from(messages).where(parcel);
    expect(after?.chatRef).toBe(posted?.chatRef);
    const [conv] = await db.select().from(conversations);
    expect(w.postsWith(conv?.threadRef ?? "", "Is my parcel lost?")).toBe(1);
  });
});
