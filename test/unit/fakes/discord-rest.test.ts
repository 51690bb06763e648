// The fake Discord against discord.js (2/2): REST, interactions and rate limits.
import {
  ButtonStyle,
  ComponentType,
  DiscordAPIError,
  Events,
  type ForumChannel,
  type Interaction,
  type Message,
  MessageFlags,
  RateLimitError,
  REST,
  Routes,
  type TextChannel,
} from "discord.js";
import { beforeEach, describe, expect, it } from "vitest";
import { GLOBAL, holdOf } from "../../../adapters/discord/pace.ts";
import { startFakeDiscord } from "../../fakes/discord.ts";
import { channelOf, next, open, start, world } from "../../support/fake-discord-client.ts";

describe("fake discord: REST through discord.js", () => {
  beforeEach(() => start());

  it("sends, edits, reacts and starts a thread from a message", async () => {
    const channel = channelOf<TextChannel>(world.fake.textChannelId);
    const card = await channel.send({ content: "📱 +33 6 12 34 56 78" });
    expect(world.fake.messages(channel.id).map((m) => m.content)).toEqual(["📱 +33 6 12 34 56 78"]);

    const thread = await card.startThread({ name: "+33 6 12 34 56 78" });
    expect(thread.id).toBe(card.id);
    expect(world.fake.threads.map((t) => t.id)).toEqual([card.id]);
    expect(world.fake.channel(thread.id)?.parent_id).toBe(channel.id);

    const reply = await thread.send("Bonjour !");
    await reply.react("✅");
    expect(world.fake.reactions(thread.id, reply.id)).toEqual(["✅"]);
    await reply.reactions.cache.get("✅")?.users.remove(world.fake.botUserId);
    expect(world.fake.reactions(thread.id, reply.id)).toEqual([]);

    await reply.edit("Bonjour ! (envoyé)");
    expect(world.fake.message(thread.id, reply.id)?.content).toBe("Bonjour ! (envoyé)");
    expect(world.fake.message(thread.id, reply.id)?.edited_timestamp).not.toBeNull();

    const fetched = await thread.messages.fetch(reply.id);
    expect(fetched.content).toBe("Bonjour ! (envoyé)");
    await reply.delete();
    expect(world.fake.messages(thread.id)).toEqual([]);
  });

  it("creates a forum post with tags, and retags it", async () => {
    const forum = channelOf<ForumChannel>(world.fake.forumChannelId);
    const [open, closed] = forum.availableTags;
    const post = await forum.threads.create({
      name: "+33 6 12 34 56 78",
      message: { content: "New conversation" },
      appliedTags: [open?.id ?? ""],
    });
    expect(post.parentId).toBe(forum.id);
    expect(post.appliedTags).toEqual([open?.id]);
    expect(world.fake.messages(post.id)).toMatchObject([
      { id: post.id, content: "New conversation" },
    ]);

    await post.setAppliedTags([closed?.id ?? ""]);
    expect(world.fake.channel(post.id)?.applied_tags).toEqual([closed?.id]);
    await expect(post.setAppliedTags(["1"])).rejects.toMatchObject({ status: 400, code: 50035 });
  });

  it("unarchives a thread on send, and says Unknown Channel for a deleted one", async () => {
    const channel = channelOf<TextChannel>(world.fake.textChannelId);
    const card = await channel.send("card");
    const thread = await card.startThread({ name: "thread" });
    world.fake.archiveThread(thread.id);
    await world.fake.waitFor(() => thread.archived);
    await expect(thread.messages.edit(card.id, "x")).rejects.toBeInstanceOf(DiscordAPIError);
    await thread.send("wake up");
    expect(world.fake.channel(thread.id)?.thread_metadata?.archived).toBe(false);
    await world.fake.waitFor(() => thread.archived === false);
    await thread.setArchived(true);
    expect(world.fake.channel(thread.id)?.thread_metadata?.archived).toBe(true);
    const fetched = await world.client.channels.fetch(thread.id, { force: true });
    expect(fetched?.isThread() && fetched.archived).toBe(true);

    const deleted = next(Events.ThreadDelete);
    world.fake.threadDelete(thread.id);
    await deleted;
    await expect(
      world.client.rest.post(Routes.channelMessages(thread.id), { body: { content: "x" } }),
    ).rejects.toMatchObject({ status: 404, code: 10003, message: "Unknown Channel" });
  });

  it("says Missing Access for a channel the bot cannot see", async () => {
    const channel = channelOf<TextChannel>(world.fake.textChannelId);
    world.fake.removeAccess(channel.id);
    await expect(channel.send("x")).rejects.toMatchObject({ status: 403, code: 50001 });
  });

  it("answers a /sms interaction with an ephemeral reply", async () => {
    await world.client.application?.commands.set(
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
      world.fake.guildId,
    );
    expect(world.fake.commands.guild[world.fake.guildId]?.map((c) => c.name)).toEqual(["sms"]);

    const received = next(Events.InteractionCreate);
    const sent = world.fake.interaction({
      name: "sms",
      args: "+33612345678 Hello there",
      channelId: world.fake.textChannelId ?? "",
    });
    const [interaction] = (await received) as [Interaction];
    if (!interaction.isChatInputCommand()) throw new Error("not a command");
    expect(interaction.id).toBe(sent.id);
    expect(interaction.commandName).toBe("sms");
    expect(interaction.options.getString("number")).toBe("+33612345678");
    expect(interaction.options.getString("text")).toBe("Hello there");
    expect(interaction.user.id).toBe(world.fake.defaultUserId);

    await interaction.reply({ content: "Queued.", flags: MessageFlags.Ephemeral });
    expect(world.fake.responsesTo(sent.id)).toMatchObject([
      { kind: "callback", type: 4, content: "Queued.", ephemeral: true },
    ]);
    await interaction.editReply("Sent.");
    await interaction.followUp({ content: "Delivered.", flags: MessageFlags.Ephemeral });
    expect(world.fake.responsesTo(sent.id).map((r) => [r.kind, r.content, r.ephemeral])).toEqual([
      ["callback", "Queued.", true],
      ["edit", "Sent.", true],
      ["followup", "Delivered.", true],
    ]);
    // Ephemeral answers never show in the channel.
    expect(world.fake.messages(world.fake.textChannelId ?? "")).toEqual([]);
    await expect(interaction.reply("again")).rejects.toThrow();
  });

  it("refuses an interaction answered after 3 seconds", async () => {
    await start({ interactionTimeoutMs: 50 });
    const received = next(Events.InteractionCreate);
    world.fake.interaction({
      name: "sms",
      options: { number: "+33612345678", text: "hi" },
      channelId: world.fake.textChannelId ?? "",
    });
    const [interaction] = (await received) as [Interaction];
    if (!interaction.isChatInputCommand()) throw new Error("not a command");
    expect(interaction.options.getString("text")).toBe("hi");
    await new Promise((resolve) => setTimeout(resolve, 80));
    await expect(interaction.deferReply()).rejects.toMatchObject({ code: 10062 });
  });

  it("delivers a button click and applies an update", async () => {
    const channel = channelOf<TextChannel>(world.fake.textChannelId);
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
    world.fake.buttonClick({ customId: "close", channelId: channel.id, messageId: card.id });
    const [interaction] = (await received) as [Interaction];
    if (!interaction.isButton()) throw new Error("not a button");
    expect(interaction.customId).toBe("close");
    expect(interaction.message.id).toBe(card.id);
    await interaction.update({ content: "Conversation closed", components: [] });
    expect(world.fake.message(channel.id, card.id)?.content).toBe("Conversation closed");
  });

  it("sees its own messages come back through the gateway", async () => {
    const channel = channelOf<TextChannel>(world.fake.textChannelId);
    const echoed = next(Events.MessageCreate, (m: Message) => m.author.id === world.fake.botUserId);
    const sent = await channel.send("mine");
    expect((await echoed)[0].id).toBe(sent.id);
  });
});

describe("fake discord: rate limits", () => {
  it("answers 429 with Discord's body and headers, and refuses a bad token", async () => {
    world.fake = await startFakeDiscord();
    open.fakes.push(world.fake);
    const channelId = world.fake.textChannelId ?? "";
    const url = `${world.fake.apiUrl}/v10/channels/${channelId}/messages`;
    const headers = {
      authorization: `Bot ${world.fake.token}`,
      "content-type": "application/json",
    };
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

    world.fake.rateLimit(channelId, 500);
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
    expect(world.fake.requests.map((r) => r.status)).toEqual([200, 429, 401]);
  });

  it("surfaces a forced 429 as a RateLimitError with retryAfter when rejectOnRateLimit is set", async () => {
    world.fake = await startFakeDiscord();
    open.fakes.push(world.fake);
    const rest = new REST({ api: world.fake.apiUrl, rejectOnRateLimit: () => true }).setToken(
      world.fake.token,
    );
    const channelId = world.fake.textChannelId ?? "";
    world.fake.rateLimit(channelId, 400);
    const error = await rest
      .post(Routes.channelMessages(channelId), { body: { content: "x" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    // What is left of the 400 ms hold when discord.js read it (less on a busy machine).
    expect((error as RateLimitError).retryAfter).toBeGreaterThan(0);
    expect((error as RateLimitError).retryAfter).toBeLessThanOrEqual(1_000); // plus discord.js's offset
    expect((error as RateLimitError).route).toBe("/channels/:id/messages");
    expect(world.fake.messages(channelId)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 450));
    await rest.post(Routes.channelMessages(channelId), { body: { content: "x" } });
    expect(world.fake.messages(channelId).map((m) => m.content)).toEqual(["x"]);
  });

  it("says a global 429 as Discord does; discord.js reads each scope, the adapter holds the channel or everything", async () => {
    world.fake = await startFakeDiscord();
    open.fakes.push(world.fake);
    const rest = new REST({ api: world.fake.apiUrl, rejectOnRateLimit: () => true }).setToken(
      world.fake.token,
    );
    const channelId = world.fake.textChannelId ?? "";
    const route = Routes.channelMessages(channelId);
    const post = () => rest.post(route, { body: { content: "x" } }).catch((e: unknown) => e);

    world.fake.rateLimit(channelId, 400, "shared");
    const shared = (await post()) as RateLimitError;
    expect(shared).toBeInstanceOf(RateLimitError);
    expect(shared.scope).toBe("shared");
    expect(holdOf(shared, route)).toEqual({ key: channelId, ms: expect.any(Number) });
    // What discord.js knows of a bucket (Remaining: 0, once it has learnt the bucket's hash from
    // an earlier answer) is refused before any request: that is held too.
    const forum = world.fake.forumChannelId ?? "";
    const read = () => rest.get(Routes.channel(forum)).catch((e: unknown) => e);
    await read();
    world.fake.rateLimit(`GET /channels/${forum}`, 400);
    expect(holdOf(await read(), Routes.channel(forum))?.key).toBe(forum);
    const sent = world.fake.requests.length;
    const known = (await read()) as RateLimitError;
    expect(world.fake.requests).toHaveLength(sent);
    expect(holdOf(known, Routes.channel(forum))).toEqual({ key: forum, ms: expect.any(Number) });

    const other = new REST({ api: world.fake.apiUrl, rejectOnRateLimit: () => true }).setToken(
      world.fake.token,
    );
    world.fake.rateLimitGlobal(400);
    const raw = await fetch(`${world.fake.apiUrl}/v10/users/@me`, {
      headers: { authorization: `Bot ${world.fake.token}` },
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get("x-ratelimit-global")).toBe("true");
    expect(raw.headers.get("x-ratelimit-scope")).toBe("global");
    expect(await raw.json()).toMatchObject({ global: true, retry_after: expect.any(Number) });
    const global = (await other
      .get(Routes.channel(channelId))
      .catch((e: unknown) => e)) as RateLimitError;
    expect(global).toBeInstanceOf(RateLimitError);
    expect(global.global).toBe(true);
    expect(holdOf(global, Routes.channel(channelId))?.key).toBe(GLOBAL);
    expect(holdOf(new Error("no"), route)).toBeUndefined();
  });

  it("exhausts a bucket per channel and resets it after the window", async () => {
    world.fake = await startFakeDiscord({ rateLimit: { perRoute: 2, windowMs: 300 } });
    open.fakes.push(world.fake);
    const rest = new REST({ api: world.fake.apiUrl, rejectOnRateLimit: () => true }).setToken(
      world.fake.token,
    );
    const channelId = world.fake.textChannelId ?? "";
    await rest.post(Routes.channelMessages(channelId), { body: { content: "1" } });
    await rest.post(Routes.channelMessages(channelId), { body: { content: "2" } });
    // @discordjs/rest saw Remaining: 0 and refuses before sending a third request.
    await expect(
      rest.post(Routes.channelMessages(channelId), { body: { content: "3" } }),
    ).rejects.toBeInstanceOf(RateLimitError);
    // A world.client that ignores the headers gets a real 429.
    const raw = await fetch(`${world.fake.apiUrl}/v10/channels/${channelId}/messages`, {
      method: "POST",
      headers: { authorization: `Bot ${world.fake.token}`, "content-type": "application/json" },
      body: JSON.stringify({ content: "3" }),
    });
    expect(raw.status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await rest.post(Routes.channelMessages(channelId), { body: { content: "3" } });
    expect(world.fake.messages(channelId).map((m) => m.content)).toEqual(["1", "2", "3"]);
  });
});
