// The fake Discord against the real, unmodified discord.js Client: what works here is what the
// adapter can rely on in flow tests.
import { once } from "node:events";
import {
  ButtonStyle,
  ChannelType,
  Client,
  ComponentType,
  DiscordAPIError,
  Events,
  type ForumChannel,
  GatewayIntentBits,
  type Interaction,
  type Message,
  MessageFlags,
  RateLimitError,
  REST,
  Routes,
  type TextChannel,
} from "discord.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeDiscord, type FakeDiscordOptions, startFakeDiscord } from "../fakes/discord.ts";

const INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
];

let fake: FakeDiscord;
let client: Client;
const open: { clients: Client[]; fakes: FakeDiscord[] } = { clients: [], fakes: [] };

async function start(options: FakeDiscordOptions = {}): Promise<void> {
  fake = await startFakeDiscord(options);
  open.fakes.push(fake);
  client = new Client({
    intents: INTENTS,
    rest: { api: fake.apiUrl },
    // Re-identifying within 5 s of the last IDENTIFY otherwise waits up to 6.5 s.
    ws: { buildIdentifyThrottler: async () => ({ waitForIdentify: async () => {} }) },
  });
  open.clients.push(client);
  const ready = once(client, Events.ClientReady);
  await client.login(fake.token);
  await ready;
}

function channelOf<T>(id: string | undefined): T {
  const channel = client.channels.cache.get(id ?? "");
  if (!channel) throw new Error(`channel ${id} not cached`);
  return channel as T;
}

function next<K extends keyof import("discord.js").ClientEvents>(
  event: K,
  filter: (...args: import("discord.js").ClientEvents[K]) => boolean = () => true,
): Promise<import("discord.js").ClientEvents[K]> {
  return new Promise((resolve) => {
    const listener = (...args: import("discord.js").ClientEvents[K]) => {
      if (!filter(...args)) return;
      client.off(event, listener);
      resolve(args);
    };
    client.on(event, listener);
  });
}

afterEach(async () => {
  for (const c of open.clients.splice(0)) await c.destroy();
  for (const f of open.fakes.splice(0)) await f.close();
});

describe("fake discord: gateway", () => {
  beforeEach(() => start());

  it("logs the client in: READY then GUILD_CREATE with both channels", () => {
    expect(client.user?.id).toBe(fake.botUserId);
    expect(client.application?.id).toBe(fake.applicationId);
    const guild = client.guilds.cache.get(fake.guildId);
    expect(guild?.available).toBe(true);
    expect(guild?.channels.cache.get(fake.textChannelId ?? "")?.type).toBe(ChannelType.GuildText);
    const forum = channelOf<ForumChannel>(fake.forumChannelId);
    expect(forum.type).toBe(ChannelType.GuildForum);
    expect(forum.availableTags.map((t) => t.name)).toEqual(["open", "closed", "opted-out"]);
    expect(fake.connections).toBe(1);
    expect(fake.connectionHistory.map((e) => e.kind)).toEqual(["identify"]);
    expect(fake.intents).toBe(
      GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages | GatewayIntentBits.MessageContent,
    );
    const routes = fake.requests.map((r) => `${r.method} ${r.route}`);
    expect(routes).toContain("GET /gateway/bot");
  });

  it("delivers MESSAGE_CREATE, MESSAGE_UPDATE and MESSAGE_DELETE", async () => {
    const channelId = fake.textChannelId ?? "";
    const created = next(Events.MessageCreate);
    const sent = fake.messageCreate(channelId, {
      content: "hello <@100000000000000001>",
      attachments: [{ filename: "photo.jpg", contentType: "image/jpeg" }],
    });
    const [message] = await created;
    expect(message.id).toBe(sent.id);
    expect(message.content).toBe("hello <@100000000000000001>");
    expect(message.author.id).toBe(fake.defaultUserId);
    expect(message.author.bot).toBe(false);
    expect(message.member).not.toBeNull();
    expect(message.mentions.users.has(fake.botUserId)).toBe(true);
    expect(message.attachments.first()?.name).toBe("photo.jpg");

    const updated = next(Events.MessageUpdate);
    fake.messageUpdate(channelId, sent.id, { content: "hello again" });
    const [, after] = await updated;
    expect(after.content).toBe("hello again");

    const deleted = next(Events.MessageDelete);
    fake.messageDelete(channelId, sent.id);
    const [gone] = await deleted;
    expect(gone.id).toBe(sent.id);
    expect(fake.messages(channelId)).toEqual([]);
  });

  it("marks webhook and bot messages as such", async () => {
    const channelId = fake.textChannelId ?? "";
    const created = next(Events.MessageCreate, (m) => m.webhookId !== null);
    fake.messageCreate(channelId, { content: "from a hook", webhookId: "300000000000000001" });
    const [hooked] = await created;
    expect(hooked.author.bot).toBe(true);
    const byBot = next(Events.MessageCreate, (m) => m.content === "beep");
    fake.messageCreate(channelId, { content: "beep", authorId: "300000000000000002", bot: true });
    expect((await byBot)[0].author.bot).toBe(true);
  });

  it("resumes after a forced disconnect and replays what was missed", async () => {
    const channelId = fake.textChannelId ?? "";
    const resumed = next(Events.ShardResume);
    const replayed = next(Events.MessageCreate, (m) => m.content === "while you were away");
    fake.disconnectAll();
    await fake.waitFor(() => fake.connections === 0);
    fake.messageCreate(channelId, { content: "while you were away" });
    const [, replayedCount] = await resumed;
    expect(replayedCount).toBeGreaterThanOrEqual(1);
    expect((await replayed)[0].channelId).toBe(channelId);
    expect(fake.connectionHistory.map((e) => e.kind)).toEqual(["identify", "close", "resume"]);
    expect(fake.connections).toBe(1);
  });

  it("answers a resume of a forgotten session with INVALID_SESSION, then the client identifies again", async () => {
    fake.invalidateSessions();
    fake.disconnectAll();
    await fake.waitFor(
      () => fake.connectionHistory.filter((e) => e.kind === "identify").length === 2,
      10_000,
    );
    expect(fake.connectionHistory.map((e) => e.kind)).toEqual([
      "identify",
      "close",
      "invalid-session",
      "identify",
    ]);
    await fake.waitFor(() => fake.connections === 1);
    const created = next(Events.MessageCreate);
    fake.messageCreate(fake.textChannelId ?? "", { content: "still here" });
    expect((await created)[0].content).toBe("still here");
  });
});

describe("fake discord: intents", () => {
  it("blanks message content for a client without the MessageContent intent", async () => {
    fake = await startFakeDiscord();
    open.fakes.push(fake);
    client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages],
      rest: { api: fake.apiUrl },
    });
    open.clients.push(client);
    const ready = once(client, Events.ClientReady);
    await client.login(fake.token);
    await ready;
    const created = next(Events.MessageCreate);
    fake.messageCreate(fake.textChannelId ?? "", { content: "secret" });
    expect((await created)[0].content).toBe("");
    expect(fake.messages(fake.textChannelId ?? "")[0]?.content).toBe("secret");
  });

  it("closes with 4014 when privileged intents are off in the portal, and login fails", async () => {
    fake = await startFakeDiscord({ privilegedIntents: false });
    open.fakes.push(fake);
    client = new Client({ intents: INTENTS, rest: { api: fake.apiUrl } });
    open.clients.push(client);
    await expect(client.login(fake.token)).rejects.toThrow(/disallowed intents/i);
  });

  it("refuses a wrong token on REST before the gateway is tried", async () => {
    fake = await startFakeDiscord();
    open.fakes.push(fake);
    client = new Client({ intents: INTENTS, rest: { api: fake.apiUrl } });
    open.clients.push(client);
    await expect(client.login("not-the-token")).rejects.toMatchObject({ code: "TokenInvalid" });
    expect(fake.connectionHistory).toEqual([]);
  });
});

describe("fake discord: REST through discord.js", () => {
  beforeEach(() => start());

  it("sends, edits, reacts and starts a thread from a message", async () => {
    const channel = channelOf<TextChannel>(fake.textChannelId);
    const card = await channel.send({ content: "📱 +33 6 12 34 56 78" });
    expect(fake.messages(channel.id).map((m) => m.content)).toEqual(["📱 +33 6 12 34 56 78"]);

    const thread = await card.startThread({ name: "+33 6 12 34 56 78" });
    expect(thread.id).toBe(card.id);
    expect(fake.threads.map((t) => t.id)).toEqual([card.id]);
    expect(fake.channel(thread.id)?.parent_id).toBe(channel.id);

    const reply = await thread.send("Bonjour !");
    await reply.react("✅");
    expect(fake.reactions(thread.id, reply.id)).toEqual(["✅"]);
    await reply.reactions.cache.get("✅")?.users.remove(fake.botUserId);
    expect(fake.reactions(thread.id, reply.id)).toEqual([]);

    await reply.edit("Bonjour ! (envoyé)");
    expect(fake.message(thread.id, reply.id)?.content).toBe("Bonjour ! (envoyé)");
    expect(fake.message(thread.id, reply.id)?.edited_timestamp).not.toBeNull();

    const fetched = await thread.messages.fetch(reply.id);
    expect(fetched.content).toBe("Bonjour ! (envoyé)");
    await reply.delete();
    expect(fake.messages(thread.id)).toEqual([]);
  });

  it("creates a forum post with tags, and retags it", async () => {
    const forum = channelOf<ForumChannel>(fake.forumChannelId);
    const [open, closed] = forum.availableTags;
    const post = await forum.threads.create({
      name: "+33 6 12 34 56 78",
      message: { content: "New conversation" },
      appliedTags: [open?.id ?? ""],
    });
    expect(post.parentId).toBe(forum.id);
    expect(post.appliedTags).toEqual([open?.id]);
    expect(fake.messages(post.id)).toMatchObject([{ id: post.id, content: "New conversation" }]);

    await post.setAppliedTags([closed?.id ?? ""]);
    expect(fake.channel(post.id)?.applied_tags).toEqual([closed?.id]);
    await expect(post.setAppliedTags(["1"])).rejects.toMatchObject({ status: 400, code: 50035 });
  });

  it("unarchives a thread on send, and says Unknown Channel for a deleted one", async () => {
    const channel = channelOf<TextChannel>(fake.textChannelId);
    const card = await channel.send("card");
    const thread = await card.startThread({ name: "thread" });
    fake.archiveThread(thread.id);
    await fake.waitFor(() => thread.archived);
    await expect(thread.messages.edit(card.id, "x")).rejects.toBeInstanceOf(DiscordAPIError);
    await thread.send("wake up");
    expect(fake.channel(thread.id)?.thread_metadata?.archived).toBe(false);
    await fake.waitFor(() => thread.archived === false);
    await thread.setArchived(true);
    expect(fake.channel(thread.id)?.thread_metadata?.archived).toBe(true);
    const fetched = await client.channels.fetch(thread.id, { force: true });
    expect(fetched?.isThread() && fetched.archived).toBe(true);

    const deleted = next(Events.ThreadDelete);
    fake.threadDelete(thread.id);
    await deleted;
    await expect(
      client.rest.post(Routes.channelMessages(thread.id), { body: { content: "x" } }),
    ).rejects.toMatchObject({ status: 404, code: 10003, message: "Unknown Channel" });
  });

  it("says Missing Access for a channel the bot cannot see", async () => {
    const channel = channelOf<TextChannel>(fake.textChannelId);
    fake.removeAccess(channel.id);
    await expect(channel.send("x")).rejects.toMatchObject({ status: 403, code: 50001 });
  });

  it("answers a /sms interaction with an ephemeral reply", async () => {
    await client.application?.commands.set(
      [
        {
          name: "sms",
          description: "Send an SMS",
          options: [
            { type: 3, name: "number", description: "Phone number", required: true },
            { type: 3, name: "text", description: "Message", required: true },
          ],
        },
      ],
      fake.guildId,
    );
    expect(fake.commands.guild[fake.guildId]?.map((c) => c.name)).toEqual(["sms"]);

    const received = next(Events.InteractionCreate);
    const sent = fake.interaction({
      name: "sms",
      args: "+33612345678 Hello there",
      channelId: fake.textChannelId ?? "",
    });
    const [interaction] = (await received) as [Interaction];
    if (!interaction.isChatInputCommand()) throw new Error("not a command");
    expect(interaction.id).toBe(sent.id);
    expect(interaction.commandName).toBe("sms");
    expect(interaction.options.getString("number")).toBe("+33612345678");
    expect(interaction.options.getString("text")).toBe("Hello there");
    expect(interaction.user.id).toBe(fake.defaultUserId);

    await interaction.reply({ content: "Queued.", flags: MessageFlags.Ephemeral });
    expect(fake.responsesTo(sent.id)).toMatchObject([
      { kind: "callback", type: 4, content: "Queued.", ephemeral: true },
    ]);
    await interaction.editReply("Sent.");
    await interaction.followUp({ content: "Delivered.", flags: MessageFlags.Ephemeral });
    expect(fake.responsesTo(sent.id).map((r) => [r.kind, r.content, r.ephemeral])).toEqual([
      ["callback", "Queued.", true],
      ["edit", "Sent.", true],
      ["followup", "Delivered.", true],
    ]);
    // Ephemeral answers never show in the channel.
    expect(fake.messages(fake.textChannelId ?? "")).toEqual([]);
    await expect(interaction.reply("again")).rejects.toThrow();
  });

  it("refuses an interaction answered after 3 seconds", async () => {
    await start({ interactionTimeoutMs: 50 });
    const received = next(Events.InteractionCreate);
    fake.interaction({
      name: "sms",
      options: { number: "+33612345678", text: "hi" },
      channelId: fake.textChannelId ?? "",
    });
    const [interaction] = (await received) as [Interaction];
    if (!interaction.isChatInputCommand()) throw new Error("not a command");
    expect(interaction.options.getString("text")).toBe("hi");
    await new Promise((resolve) => setTimeout(resolve, 80));
    await expect(interaction.deferReply()).rejects.toMatchObject({ code: 10062 });
  });

  it("delivers a button click and applies an update", async () => {
    const channel = channelOf<TextChannel>(fake.textChannelId);
    const card = await channel.send({
      content: "Conversation open",
      components: [
        {
          type: ComponentType.ActionRow,
          components: [
            {
              type: ComponentType.Button,
              style: ButtonStyle.Danger,
              customId: "close",
              label: "Close",
            },
          ],
        },
      ],
    });
    const received = next(Events.InteractionCreate);
    fake.buttonClick({ customId: "close", channelId: channel.id, messageId: card.id });
    const [interaction] = (await received) as [Interaction];
    if (!interaction.isButton()) throw new Error("not a button");
    expect(interaction.customId).toBe("close");
    expect(interaction.message.id).toBe(card.id);
    await interaction.update({ content: "Conversation closed", components: [] });
    expect(fake.message(channel.id, card.id)?.content).toBe("Conversation closed");
  });

  it("sees its own messages come back through the gateway", async () => {
    const channel = channelOf<TextChannel>(fake.textChannelId);
    const echoed = next(Events.MessageCreate, (m: Message) => m.author.id === fake.botUserId);
    const sent = await channel.send("mine");
    expect((await echoed)[0].id).toBe(sent.id);
  });
});

describe("fake discord: rate limits", () => {
  it("answers 429 with Discord's body and headers, and refuses a bad token", async () => {
    fake = await startFakeDiscord();
    open.fakes.push(fake);
    const channelId = fake.textChannelId ?? "";
    const url = `${fake.apiUrl}/v10/channels/${channelId}/messages`;
    const headers = { authorization: `Bot ${fake.token}`, "content-type": "application/json" };
    const ok = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({ content: "a" }),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-ratelimit-limit")).toBe("50");
    expect(ok.headers.get("x-ratelimit-remaining")).toBe("49");
    expect(Number(ok.headers.get("x-ratelimit-reset-after"))).toBeGreaterThan(0);
    expect(ok.headers.get("x-ratelimit-bucket")).toMatch(/^[0-9a-f]{32}$/);

    fake.rateLimit(channelId, 500);
    const limited = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({ content: "b" }),
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("x-ratelimit-scope")).toBe("user");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0.4);
    expect(await limited.json()).toMatchObject({
      message: "You are being rate limited.",
      global: false,
      retry_after: expect.any(Number),
    });

    const denied = await fetch(url, {
      method: "POST",
      headers: { ...headers, authorization: "Bot wrong" },
      body: JSON.stringify({ content: "c" }),
    });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ message: "401: Unauthorized", code: 0 });
    expect(fake.requests.map((r) => r.status)).toEqual([200, 429, 401]);
  });

  it("surfaces a forced 429 as a RateLimitError with retryAfter when rejectOnRateLimit is set", async () => {
    fake = await startFakeDiscord();
    open.fakes.push(fake);
    const rest = new REST({ api: fake.apiUrl, rejectOnRateLimit: () => true }).setToken(fake.token);
    const channelId = fake.textChannelId ?? "";
    fake.rateLimit(channelId, 400);
    const error = await rest
      .post(Routes.channelMessages(channelId), { body: { content: "x" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfter).toBeGreaterThan(300);
    expect((error as RateLimitError).route).toBe("/channels/:id/messages");
    expect(fake.messages(channelId)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 450));
    await rest.post(Routes.channelMessages(channelId), { body: { content: "x" } });
    expect(fake.messages(channelId).map((m) => m.content)).toEqual(["x"]);
  });

  it("exhausts a bucket per channel and resets it after the window", async () => {
    fake = await startFakeDiscord({ rateLimit: { perRoute: 2, windowMs: 300 } });
    open.fakes.push(fake);
    const rest = new REST({ api: fake.apiUrl, rejectOnRateLimit: () => true }).setToken(fake.token);
    const channelId = fake.textChannelId ?? "";
    await rest.post(Routes.channelMessages(channelId), { body: { content: "1" } });
    await rest.post(Routes.channelMessages(channelId), { body: { content: "2" } });
    // @discordjs/rest saw Remaining: 0 and refuses before sending a third request.
    await expect(
      rest.post(Routes.channelMessages(channelId), { body: { content: "3" } }),
    ).rejects.toBeInstanceOf(RateLimitError);
    // A client that ignores the headers gets a real 429.
    const raw = await fetch(`${fake.apiUrl}/v10/channels/${channelId}/messages`, {
      method: "POST",
      headers: { authorization: `Bot ${fake.token}`, "content-type": "application/json" },
      body: JSON.stringify({ content: "3" }),
    });
    expect(raw.status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await rest.post(Routes.channelMessages(channelId), { body: { content: "3" } });
    expect(fake.messages(channelId).map((m) => m.content)).toEqual(["1", "2", "3"]);
  });
});
