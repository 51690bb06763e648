// Discord, end to end: SMS in the simulator ↔ threads on the fake Discord, through a real bridge,
// in a text channel (a thread per number, started from a card) and in a forum (a post per number).
import { afterEach, describe, expect, it } from "vitest";
import {
  answerTo,
  cardOf,
  cardText,
  contents,
  type DiscordWorld,
  posts,
  settled,
  smsTo,
  startDiscord,
  threadsOf,
  waitCard,
  waitPosts,
} from "../support/discord-setup.ts";
import { until } from "../support/harness.ts";

const A = "+33612345678";
const A_SHOWN = "+33 6 12 34 56 78";
const B = "+33698765432";
const B_SHOWN = "+33 6 98 76 54 32";

let w: DiscordWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe.each(["text", "forum"] as const)("discord %s channel", (kind) => {
  it("puts two SMS from one number in one thread, in order, and another number in its own", async () => {
    w = await startDiscord(kind);
    await w.h.sim.inbound(A, "Hello, is my order ready?");
    await w.h.sim.inbound(A, "It was due yesterday");
    await w.h.sim.inbound(B, "Bonjour");
    const { threadId } = await waitPosts(w, A_SHOWN, (c) => c.startsWith("📩"));
    await waitCard(w, B_SHOWN, "📩 Bonjour");
    // The first SMS is on the card; the next one is in the thread.
    expect(cardText(w, threadId)).toContain("📩 Hello, is my order ready?");
    expect(contents(w, threadId)).toEqual(["📩 It was due yesterday"]);
    expect(threadsOf(w)).toHaveLength(2);
    const card = cardOf(w, threadId);
    expect(card?.content).toContain(A_SHOWN);
    expect(JSON.stringify(card?.components)).toMatch(/ardary:close:\d+/);
    if (kind === "forum") {
      const forum = w.fake.channel(w.channel);
      const open = forum?.available_tags?.find((t) => t.name === "open")?.id;
      expect(w.fake.channel(threadId)?.applied_tags).toEqual([open]);
    }
  });

  it("sends a person's reply once, as plain text; not notes, bots or webhooks", async () => {
    w = await startDiscord(kind);
    await w.h.sim.inbound(A, "Hi");
    const { threadId } = await waitCard(w, A_SHOWN, "📩 Hi");
    w.fake.messageCreate(threadId, { content: "note: check the stock first" });
    w.fake.messageCreate(threadId, { content: "// internal" });
    w.fake.messageCreate(threadId, { content: "beep", authorId: "300000000000000002", bot: true });
    w.fake.messageCreate(threadId, { content: "hook", webhookId: "300000000000000003" });
    w.fake.messageCreate(threadId, {
      content: `**Yes** <@${w.fake.defaultUserId}>, it ships <:parcel:123456789012345678> ~~today~~ [tomorrow](https://x.example/t)`,
    });
    await until(() => smsTo(w?.h ?? ({} as never), A).length > 0, 10_000, "an SMS");
    await settled(w.h);
    expect(smsTo(w.h, A)).toEqual([
      "Yes @Agent Smith, it ships :parcel: today tomorrow https://x.example/t",
    ]);
  });

  it("sends /sms from any channel: thread opened, SMS sent; bad ones get an ephemeral error", async () => {
    // The text channel is not the bridge's when it uses a forum: SMS_FROM_ANY_CHANNEL allows it.
    w = await startDiscord(kind, { env: { SMS_FROM_ANY_CHANNEL: "true" } });
    const anywhere = w.fake.textChannelId ?? "";
    const ok = w.fake.interaction({
      name: "sms",
      subcommand: "send",
      channelId: anywhere,
      options: { number: "+33 6 12 34 56 78", text: "Your parcel has shipped" },
    });
    const answer = await answerTo(w, ok.id);
    expect(answer.ephemeral).toBe(true);
    expect(answer.content).toContain(`Sending to ${A_SHOWN}`);
    expect(w.fake.responsesTo(ok.id)[0]).toMatchObject({ kind: "callback", type: 5 });
    const { threadId } = await waitPosts(w, A_SHOWN, (c) => c.includes("Your parcel has shipped"));
    expect(contents(w, threadId)[0]).toMatch(/^\*\*Agent Smith\*\* → SMS: Your parcel has shipped/);
    await until(() => smsTo(w?.h ?? ({} as never), A).length === 1, 10_000, "the SMS");

    const bad: [string, Record<string, string>, RegExp][] = [
      ["send", { number: "12", text: "hi" }, /is not a phone number/],
      ["send", { number: A, text: "[Link]" }, /text is empty/],
      ["send", { number: A, text: "hi", at: "yesterday" }, /is not a date/],
      ["send", { number: A, text: "--force hi" }, /Unknown option/],
      ["help", {}, /Send an SMS/],
    ];
    // Discord's client sends no /sms without a subcommand, nor a send without number and text.
    expect(() => w?.fake.interaction({ name: "sms", channelId: anywhere })).toThrow(/subcommand/);
    expect(() =>
      w?.fake.interaction({
        name: "sms",
        subcommand: "send",
        channelId: anywhere,
        options: { number: A },
      }),
    ).toThrow(/text is required/);
    for (const [subcommand, options, error] of bad) {
      const i = w.fake.interaction({ name: "sms", subcommand, channelId: anywhere, options });
      const a = await answerTo(w, i.id);
      expect(a.ephemeral).toBe(true);
      expect(a.content).toMatch(error);
    }
    await settled(w.h);
    expect(smsTo(w.h, A)).toEqual(["Your parcel has shipped"]);
  });

  it("shows sent and received on the person's message in order, even when the callbacks come reversed", async () => {
    // In test mode the simulator sends no status callbacks: this test sends them itself.
    w = await startDiscord(kind, { env: { ARDARY_MODE: "test" } });
    await w.h.sim.inbound(A, "Hi");
    const { threadId } = await waitCard(w, A_SHOWN, "📩 Hi");
    const reply = w.fake.messageCreate(threadId, { content: "Hello!" });
    const sms = await until(() => w?.h.sim.sent.find((s) => s.phonenumber === A), 10_000, "sms");
    await w.fake.waitFor(() => w?.fake.reactions(threadId, reply.id).includes("📤"));
    const status = (s: string) => ({
      user: "sim@example.com",
      phonenumber: A,
      status: s,
      date_status: new Date().toISOString(),
      id_sms_api: sms.id_sms_api,
    });
    expect((await w.h.callback("status", status("received"))).status).toBe(200);
    expect((await w.h.callback("status", status("sent"))).status).toBe(200);
    await settled(w.h);
    expect(w.fake.reactions(threadId, reply.id)).toEqual(["⏳", "📤", "✅", "📬"]);
  });

  it("notes a #007 answer in words, a click and a call in the right thread", async () => {
    w = await startDiscord(kind);
    await w.h.sim.inbound(A, "Hi");
    await w.h.sim.inbound(B, "Hey");
    const { threadId } = await waitCard(w, A_SHOWN, "📩 Hi");
    await waitCard(w, B_SHOWN, "📩 Hey");
    w.h.sim.fault({ answer: { data: [{ phonenumber: A, error: ["#007"] }], count_sent: 0 } });
    const reply = w.fake.messageCreate(threadId, { content: "Ping" });
    await waitPosts(w, A_SHOWN, (c) => c.includes("#007 invalid phone number"));
    await w.fake.waitFor(() => w?.fake.reactions(threadId, reply.id).includes("❌"));

    const link = w.fake.interaction({
      name: "sms",
      subcommand: "send",
      channelId: threadId,
      options: { number: B, text: "Track it here: [Link]", link: "https://shop.example/track" },
    });
    expect((await answerTo(w, link.id)).content).toContain("Sending to");
    const sent = await until(() => w?.h.sim.sent.find((s) => s.shortLink), 10_000, "short link");
    await fetch(sent.shortLink ?? "", { redirect: "manual" });
    await w.h.sim.call(B);
    await waitPosts(w, B_SHOWN, (c) => c.includes("opened https://shop.example/track"));
    await waitPosts(w, B_SHOWN, (c) => c.startsWith("📞 Incoming call"));
    expect(contents(w, threadId).some((c) => c.includes("📞") || c.includes("🔗"))).toBe(false);
  });

  it("notes a STOP and refuses the next reply", async () => {
    w = await startDiscord(kind);
    await w.h.sim.inbound(A, "STOP");
    const { threadId } = await waitPosts(w, A_SHOWN, (c) => c.includes("opted out (STOP)"));
    await until(
      () => cardOf(w as DiscordWorld, threadId)?.content.includes("opted out"),
      10_000,
      "card",
    );
    if (kind === "forum") {
      const tag = w.fake.channel(w.channel)?.available_tags?.find((t) => t.name === "opted-out");
      expect(w.fake.channel(threadId)?.applied_tags).toEqual([tag?.id]);
    }
    w.fake.messageCreate(threadId, { content: "Are you sure?" });
    await waitPosts(w, A_SHOWN, (c) => c.startsWith("🚫 Not sent"));
    await settled(w.h);
    expect(smsTo(w.h, A)).toEqual([]);
  });

  it("waits out a 429 without asking again before the reset, and keeps the order", async () => {
    w = await startDiscord(kind);
    await w.h.sim.inbound(A, "one");
    const { threadId } = await waitCard(w, A_SHOWN, "📩 one");
    const from = Date.now();
    const until429 = from + 1500;
    w.fake.rateLimit(threadId, 1500);
    for (const text of ["two", "three", "four"]) await w.h.sim.inbound(A, text);
    await waitPosts(w, A_SHOWN, (c) => c === "📩 four");
    expect(contents(w, threadId)).toEqual(["📩 two", "📩 three", "📩 four"]);
    const during = w.fake.requests.filter(
      (r) => r.path.includes(threadId) && r.time >= from && r.time < until429,
    );
    expect(during.map((r) => r.status)).toEqual([429]);
  });

  it("opens a new thread when the thread is deleted, saying where the history was", async () => {
    w = await startDiscord(kind);
    await w.h.sim.inbound(A, "first");
    const { threadId } = await waitCard(w, A_SHOWN, "📩 first");
    w.fake.threadDelete(threadId);
    await w.h.sim.inbound(A, "second");
    const next = await until(
      () => threadsOf(w as DiscordWorld).find((t) => t.id !== threadId),
      10_000,
      "a new thread",
    );
    await waitPosts(w, A_SHOWN, (c) => c === "📩 second");
    expect(contents(w, next.id)[0]).toContain(`discord:${threadId}`);
    expect(contents(w, next.id)).toContain("📩 second");
  });

  it("reuses an archived thread, and the card's buttons work", async () => {
    w = await startDiscord(kind);
    await w.h.sim.inbound(A, "first");
    const { threadId } = await waitCard(w, A_SHOWN, "📩 first");
    w.fake.archiveThread(threadId);
    await w.h.sim.inbound(A, "again");
    await waitPosts(w, A_SHOWN, (c) => c === "📩 again");
    expect(threadsOf(w)).toHaveLength(1);
    expect(w.fake.channel(threadId)?.thread_metadata?.archived).toBe(false);

    const card = cardOf(w, threadId);
    const close = JSON.stringify(card?.components).match(/ardary:close:\d+/)?.[0] ?? "";
    const click = w.fake.buttonClick({
      customId: close,
      channelId: card?.channel_id ?? "",
      messageId: threadId,
    });
    await waitPosts(w, A_SHOWN, (c) => c === "Agent Smith closed the conversation.");
    expect(w.fake.responsesTo(click.id)[0]).toMatchObject({ kind: "callback", type: 6 });
    await until(
      () => cardOf(w as DiscordWorld, threadId)?.content.includes("closed"),
      10_000,
      "card",
    );
    // Edited, the card still carries the conversation's first SMS.
    expect(cardText(w, threadId)).toContain("📩 first");
    if (kind === "forum") {
      const tag = w.fake.channel(w.channel)?.available_tags?.find((t) => t.name === "closed");
      await w.fake.waitFor(() => w?.fake.channel(threadId)?.applied_tags?.[0] === tag?.id);
    }
  });

  it("notes an edit or deletion of a sent reply, and an attachment", async () => {
    w = await startDiscord(kind);
    await w.h.sim.inbound(A, "Hi");
    const { threadId } = await waitCard(w, A_SHOWN, "📩 Hi");
    const reply = w.fake.messageCreate(threadId, {
      content: "See attached",
      attachments: [{ filename: "invoice.pdf" }],
    });
    await waitPosts(w, A_SHOWN, (c) => c.includes("SMS carries text only"));
    await until(() => smsTo(w?.h ?? ({} as never), A).length === 1, 10_000, "the SMS");
    await w.fake.waitFor(() => w?.fake.reactions(threadId, reply.id).includes("📤"));
    w.fake.messageUpdate(threadId, reply.id, { content: "See attached (fixed)" });
    await waitPosts(w, A_SHOWN, (c) => c.includes("was edited in chat"));
    w.fake.messageDelete(threadId, reply.id);
    await waitPosts(w, A_SHOWN, (c) => c.includes("was deleted in chat"));
    await settled(w.h);
    expect(smsTo(w.h, A)).toEqual(["See attached"]);
    expect(posts(w, threadId).filter((m) => m.content.includes("cannot be recalled"))).toHaveLength(
      2,
    );
  });
});
