// The fake Discord against discord.js (1/2): the gateway and intents.
import { once } from "node:events";
import { ChannelType, Client, Events, type ForumChannel, GatewayIntentBits } from "discord.js";

import { beforeEach, describe, expect, it } from "vitest";
import { startFakeDiscord } from "../../fakes/discord.ts";
import { channelOf, INTENTS, next, open, start, world } from "../../support/fake-discord-client.ts";

describe("fake discord: gateway", () => {
  beforeEach(() => start());

  it("logs the client in: READY then GUILD_CREATE with both channels", () => {
    expect(world.client.user?.id).toBe(world.fake.botUserId);
    expect(world.client.application?.id).toBe(world.fake.applicationId);
    const guild = world.client.guilds.cache.get(world.fake.guildId);
    expect(guild?.available).toBe(true);
    expect(guild?.channels.cache.get(world.fake.textChannelId ?? "")?.type).toBe(
      ChannelType.GuildText,
    );
    const forum = channelOf<ForumChannel>(world.fake.forumChannelId);
    expect(forum.type).toBe(ChannelType.GuildForum);
    expect(forum.availableTags.map((t) => t.name)).toEqual(["open", "closed", "opted-out"]);
    expect(world.fake.connections).toBe(1);
    expect(world.fake.connectionHistory.map((e) => e.kind)).toEqual(["identify"]);
    expect(world.fake.intents).toBe(
      GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages | GatewayIntentBits.MessageContent,
    );
    const routes = world.fake.requests.map((r) => `${r.method} ${r.route}`);
    expect(routes).toContain("GET /gateway/bot");
  });

  it("delivers MESSAGE_CREATE, MESSAGE_UPDATE and MESSAGE_DELETE", async () => {
    const channelId = world.fake.textChannelId ?? "";
    const created = next(Events.MessageCreate);
    const sent = world.fake.messageCreate(channelId, {
      content: "hello <@100000000000000001>",
      attachments: [{ filename: "photo.jpg", contentType: "image/jpeg" }],
    });
    const [message] = await created;
    expect(message.id).toBe(sent.id);
    expect(message.content).toBe("hello <@100000000000000001>");
    expect(message.author.id).toBe(world.fake.defaultUserId);
    expect(message.author.bot).toBe(false);
    expect(message.member).not.toBeNull();
    expect(message.mentions.users.has(world.fake.botUserId)).toBe(true);
    expect(message.attachments.first()?.name).toBe("photo.jpg");

    const updated = next(Events.MessageUpdate);
    world.fake.messageUpdate(channelId, sent.id, { content: "hello again" });
    const [, after] = await updated;
    expect(after.content).toBe("hello again");

    const deleted = next(Events.MessageDelete);
    world.fake.messageDelete(channelId, sent.id);
    const [gone] = await deleted;
    expect(gone.id).toBe(sent.id);
    expect(world.fake.messages(channelId)).toEqual([]);
  });

  it("marks webhook and bot messages as such", async () => {
    const channelId = world.fake.textChannelId ?? "";
    const created = next(Events.MessageCreate, (m) => m.webhookId !== null);
    world.fake.messageCreate(channelId, {
      content: "from a hook",
      webhookId: "300000000000000001",
    });
    const [hooked] = await created;
    expect(hooked.author.bot).toBe(true);
    const byBot = next(Events.MessageCreate, (m) => m.content === "beep");
    world.fake.messageCreate(channelId, {
      content: "beep",
      authorId: "300000000000000002",
      bot: true,
    });
    expect((await byBot)[0].author.bot).toBe(true);
  });

  it("resumes after a forced disconnect and replays what was missed", async () => {
    const channelId = world.fake.textChannelId ?? "";
    const resumed = next(Events.ShardResume);
    const replayed = next(Events.MessageCreate, (m) => m.content === "while you were away");
    world.fake.disconnectAll();
    await world.fake.waitFor(() => world.fake.connections === 0);
    world.fake.messageCreate(channelId, { content: "while you were away" });
    const [, replayedCount] = await resumed;
    expect(replayedCount).toBeGreaterThanOrEqual(1);
    expect((await replayed)[0].channelId).toBe(channelId);
    expect(world.fake.connectionHistory.map((e) => e.kind)).toEqual([
      "identify",
      "close",
      "resume",
    ]);
    expect(world.fake.connections).toBe(1);
  });

  it("answers a resume of a forgotten session with INVALID_SESSION, then the client identifies again", async () => {
    world.fake.invalidateSessions();
    world.fake.disconnectAll();
    await world.fake.waitFor(
      () => world.fake.connectionHistory.filter((e) => e.kind === "identify").length === 2,
      10_000,
    );
    expect(world.fake.connectionHistory.map((e) => e.kind)).toEqual([
      "identify",
      "close",
      "invalid-session",
      "identify",
    ]);
    await world.fake.waitFor(() => world.fake.connections === 1);
    const created = next(Events.MessageCreate);
    world.fake.messageCreate(world.fake.textChannelId ?? "", { content: "still here" });
    expect((await created)[0].content).toBe("still here");
  });
});

describe("fake discord: intents", () => {
  it("blanks message content for a client without the MessageContent intent", async () => {
    world.fake = await startFakeDiscord();
    open.fakes.push(world.fake);
    world.client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages],
      rest: { api: world.fake.apiUrl },
    });
    open.clients.push(world.client);
    const ready = once(world.client, Events.ClientReady);
    await world.client.login(world.fake.token);
    await ready;
    const created = next(Events.MessageCreate);
    world.fake.messageCreate(world.fake.textChannelId ?? "", { content: "secret" });
    expect((await created)[0].content).toBe("");
    expect(world.fake.messages(world.fake.textChannelId ?? "")[0]?.content).toBe("secret");
  });

  it("closes with 4014 when privileged intents are off in the portal, and login fails", async () => {
    world.fake = await startFakeDiscord({ privilegedIntents: false });
    open.fakes.push(world.fake);
    world.client = new Client({ intents: INTENTS, rest: { api: world.fake.apiUrl } });
    open.clients.push(world.client);
    await expect(world.client.login(world.fake.token)).rejects.toThrow(/disallowed intents/i);
  });

  it("refuses a wrong token on REST before the gateway is tried", async () => {
    world.fake = await startFakeDiscord();
    open.fakes.push(world.fake);
    world.client = new Client({ intents: INTENTS, rest: { api: world.fake.apiUrl } });
    open.clients.push(world.client);
    await expect(world.client.login("not-the-token")).rejects.toMatchObject({
      code: "TokenInvalid",
    });
    expect(world.fake.connectionHistory).toEqual([]);
  });
});
