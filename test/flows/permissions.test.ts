// Who may do what (docs/permissions.md), each row of the table refused and allowed, on Slack and
// on Discord: sending only from the bridge's own channels (a DM or another channel is told why and
// which setting allows it), guests never send, templates and Unblock for managers (the manager
// group or role, else admins), Block for anyone, `forget` not in chat. Refusals are said to the
// person alone and logged without the text, the number masked. Routes: team-routes.test.ts.
import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/database.ts";
import { startFakeDiscord } from "../fakes/discord.ts";
import type { FakeUser } from "../fakes/slack.ts";
import { closeAfterEach } from "../support/close-after-each.ts";
import {
  cardOf,
  contents as contentsOf,
  type DiscordWorld,
  settled,
  smsTo,
  startDiscord,
  waitCard,
  waitPosts,
} from "../support/discord-setup.ts";
import { until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

const keep = closeAfterEach();

/** A logger whose lines the test reads. */
function capture(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: pino({ level: "info" }, sink), lines };
}

/** The refusals the bridge logged. */
function refusals(lines: string[]): Record<string, unknown>[] {
  return lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => String(l.msg).startsWith("refused"));
}

async function conversationsOf(w: { h: SlackWorld["h"] }, phone: string): Promise<number> {
  const rows = rowsOf<{ n: string }>(
    await w.h.bridge.database.db.execute(
      sql`select count(*) as n from conversations where phone = ${phone}`,
    ),
  );
  return Number(rows[0]?.n);
}

// ── Slack ───────────────────────────────────────────────────────────────────────────────────

const PEOPLE: Record<string, FakeUser> = {
  U0ALICE: { name: "alice", real_name: "Alice Martin", is_admin: true },
  U0BOB: { name: "bob", real_name: "Bob Durand" },
  // A multi-channel guest, and a single-channel guest.
  U0GINA: { name: "gina", real_name: "Gina Guest", is_restricted: true },
  U0SAM: { name: "sam", real_name: "Sam Single", is_ultra_restricted: true },
};

type Thread = { channel: string; ts: string };

/** `/sms <text>` as `user` in `channelId`; the answer's body (only that person sees it). */
async function command(
  w: SlackWorld,
  user: string,
  text: string,
  channelId = GENERAL,
  channelName?: string,
): Promise<{ response_type?: string; text?: string }> {
  const before = w.fake.responses.length;
  const res = await w.fake.signer.sendCommand(w.events, {
    text,
    userId: user,
    channelId,
    channelName,
  });
  expect(res.status).toBe(200);
  await until(() => w.fake.responses.length > before, 10_000, `an answer to /sms ${text}`);
  return w.fake.responses[before]?.body as { response_type?: string; text?: string };
}

async function conversation(w: SlackWorld, phone: string): Promise<Thread> {
  await w.h.sim.inbound(phone, `hello from ${phone}`);
  const t = await w.thread(phone);
  await untilInOrder(w, t, [`hello from ${phone}`]);
  return t;
}

/** Presses the button `conv:<action>:…` of the thread as `user`. */
async function press(w: SlackWorld, t: Thread, action: string, user: string): Promise<void> {
  const found = await until(
    () => {
      for (const m of w.fake.thread(t.channel, t.ts)) {
        const id = new RegExp(`conv:${action}:\\d+(?::\\d+)?`).exec(JSON.stringify(m.blocks))?.[0];
        if (id) return { id, ts: m.ts };
      }
      return undefined;
    },
    15_000,
    `a ${action} button`,
  );
  const res = await w.fake.signer.sendAction(w.events, {
    actionId: found.id,
    value: found.id.split(":")[2] ?? "",
    userId: user,
    channelId: t.channel,
    messageTs: found.ts,
  });
  expect(res.status).toBe(200);
}

/** Presses and waits for the answer only that person sees (its response_url). */
async function pressRefused(w: SlackWorld, t: Thread, action: string, user: string) {
  const before = w.fake.responses.length;
  await press(w, t, action, user);
  await until(() => w.fake.responses.length > before, 10_000, `an answer to ${action}`);
  return w.fake.responses[before]?.body as { response_type?: string; text?: string };
}

describe("who may do what, on slack", () => {
  it("sends only from the bridge's channels (the default, a route's); a DM or another channel is refused privately, naming SMS_FROM_ANY_CHANNEL, and logged without the text", async () => {
    const { log, lines } = capture();
    const slack = keep(await startSlackWorld({ fake: { users: PEOPLE }, log }));
    const w = slack;
    await w.route("+44", "C0SALES");

    const fromHome = await command(w, "U0BOB", "+15550500001 Hello from general");
    expect(fromHome.text).toContain("Sending to +1 555 050 0001");
    const fromRoute = await command(w, "U0BOB", "+447700900100 Hello from sales", "C0SALES");
    expect(fromRoute.text).toContain("Sending to +44 7700 900100");

    const other = await command(w, "U0BOB", "+15550500002 Secret words", "C0OTHER");
    expect(other.response_type).toBe("ephemeral");
    expect(other.text).toContain("not from this channel");
    expect(other.text).toContain("<#C0GENERAL>");
    expect(other.text).toContain("SMS_FROM_ANY_CHANNEL=true");
    const dm = await command(w, "U0ALICE", "+15550500003 Secret words", "D0ALICE", "directmessage");
    expect(dm.response_type).toBe("ephemeral");
    expect(dm.text).toContain("not from a direct message");

    await settled(w.h);
    expect(w.h.sim.sent.map((s) => s.message).sort()).toEqual([
      "Hello from general",
      "Hello from sales",
    ]);
    // Refused: nothing queued, no conversation opened.
    expect(await conversationsOf(w, "+15550500002")).toBe(0);
    expect(await conversationsOf(w, "+15550500003")).toBe(0);
    const logged = refusals(lines);
    expect(logged).toEqual([
      expect.objectContaining({
        platform: "slack",
        act: "send",
        reason: "channel",
        user: "U0BOB",
        channel: "C0OTHER",
        phone: "+155******02",
      }),
      expect.objectContaining({ user: "U0ALICE", channel: "D0ALICE", phone: "+155******03" }),
    ]);
    const all = lines.join("\n");
    expect(all).not.toContain("Secret words");
    expect(all).not.toContain("+15550500002");
  });

  it("guests (multi- and single-channel) send nothing: /sms, a thread reply and Retry are refused to them alone; members' go", async () => {
    const { log, lines } = capture();
    const slack = keep(
      await startSlackWorld({
        fake: { users: PEOPLE },
        env: { JOB_MAX_ATTEMPTS: "2", JOB_BACKOFF_MS: "50" },
        log,
      }),
    );
    const w = slack;
    const phone = "+15550500010";
    const guestCommand = await command(w, "U0GINA", `${phone} Hi from a guest`);
    expect(guestCommand.response_type).toBe("ephemeral");
    expect(guestCommand.text).toContain("guests of the workspace do not send SMS");
    expect(guestCommand.text).toContain("SMS_GUESTS_MAY_SEND=true");

    const t = await conversation(w, phone);
    await w.reply(t, "Reply from a single-channel guest", { user: "U0SAM" });
    const whisper = await until(
      () => w.fake.ephemerals.find((e) => e.user === "U0SAM"),
      10_000,
      "a word to the guest",
    );
    expect(whisper.text).toContain("guests of the workspace do not send SMS");
    expect(whisper.thread_ts).toBe(t.ts);
    // Only the guest heard it: nothing in the thread but their own message.
    expect(w.texts(t).join("\n")).not.toContain("guests of the workspace");

    // A member's reply that dies; a guest's Retry is refused, a member's sends it.
    await w.h.sim.fault({ status: 500, untilMs: 60_000 });
    await w.reply(t, "Reply from a member", { user: "U0BOB" });
    await untilInOrder(w, t, ["Reply from a member", "not sent: gave up after 2 attempts"]);
    await w.h.sim.clearFaults();
    const retry = await pressRefused(w, t, "retry", "U0GINA");
    expect(retry).toMatchObject({ response_type: "ephemeral", replace_original: false });
    expect(retry.text).toContain("guests of the workspace do not send SMS");
    await press(w, t, "retry", "U0BOB");
    await untilInOrder(w, t, ["Bob Durand sent the SMS again"]);
    await settled(w.h);
    expect(smsTo(w.h, phone)).toEqual(["Reply from a member"]);
    expect(refusals(lines).map((l) => [l.act, l.reason, l.user])).toEqual([
      ["send", "guest", "U0GINA"],
      ["send", "guest", "U0SAM"],
      ["send", "guest", "U0GINA"],
    ]);
    expect(lines.join("\n")).not.toContain("single-channel guest");
  });

  it("history and queue show every conversation: members look them up from anywhere, guests are refused privately", async () => {
    const { log, lines } = capture();
    const w = keep(await startSlackWorld({ fake: { users: PEOPLE }, log }));
    const phone = "+15550500030";
    await conversation(w, phone);
    for (const guest of ["U0GINA", "U0SAM"])
      for (const sub of [`history ${phone}`, "queue"]) {
        const refused = await command(w, guest, sub);
        expect(refused.response_type).toBe("ephemeral");
        expect(refused.text).toContain("do not look up the team's conversations");
        expect(refused.text).not.toContain(phone);
      }
    const history = await command(w, "U0BOB", `history ${phone}`, "D0BOB", "directmessage");
    expect(history.text).toContain(`hello from ${phone}`);
    expect((await command(w, "U0BOB", "queue")).text).toContain("+1 555");
    expect(refusals(lines).map((l) => [l.act, l.reason, l.user])).toEqual([
      ["lookup", "guest", "U0GINA"],
      ["lookup", "guest", "U0GINA"],
      ["lookup", "guest", "U0SAM"],
      ["lookup", "guest", "U0SAM"],
    ]);
  });

  it("with SMS_FROM_ANY_CHANNEL and SMS_GUESTS_MAY_SEND: a DM, another channel and guests send", async () => {
    const slack = keep(
      await startSlackWorld({
        fake: { users: PEOPLE },
        env: { SMS_FROM_ANY_CHANNEL: "true", SMS_GUESTS_MAY_SEND: "true" },
      }),
    );
    const w = slack;
    expect(
      (await command(w, "U0BOB", "+15550500020 From a DM", "D0BOB", "directmessage")).text,
    ).toContain("Sending to");
    expect((await command(w, "U0GINA", "+15550500021 From elsewhere", "C0OTHER")).text).toContain(
      "Sending to",
    );
    const t = await conversation(w, "+15550500022");
    await w.reply(t, "A guest's reply", { user: "U0SAM" });
    await settled(w.h);
    expect(w.h.sim.sent.map((s) => s.message).sort()).toEqual([
      "A guest's reply",
      "From a DM",
      "From elsewhere",
    ]);
    expect(w.fake.ephemerals).toEqual([]);
  });

  it("templates: anyone lists them, guests included; only managers add and remove", async () => {
    const slack = keep(await startSlackWorld({ fake: { users: PEOPLE } }));
    const w = slack;
    const refused = await command(w, "U0BOB", "template add hours We open at 9.");
    expect(refused.response_type).toBe("ephemeral");
    expect(refused.text).toContain(
      "Only people allowed to manage the bridge can add or remove templates",
    );
    expect((await command(w, "U0ALICE", "template add hours We open at 9.")).text).toContain(
      "Template ::hours added",
    );
    expect((await command(w, "U0GINA", "template list")).text).toContain("::hours  We open at 9.");
    expect((await command(w, "U0BOB", "template remove hours")).text).toContain(
      "Only people allowed",
    );
    expect((await command(w, "U0ALICE", "template remove hours")).text).toContain(
      "Template ::hours removed",
    );
  });

  it("Block is anyone's, a guest's too; Unblock is the managers': others are told privately and the number stays blocked", async () => {
    const slack = keep(await startSlackWorld({ fake: { users: PEOPLE } }));
    const w = slack;
    const phone = "+15550500030";
    const t = await conversation(w, phone);
    await press(w, t, "block", "U0GINA");
    await untilInOrder(w, t, ["Gina Guest blocked"]);
    const refused = await pressRefused(w, t, "unblock", "U0BOB");
    expect(refused.response_type).toBe("ephemeral");
    expect(refused.text).toContain("Only people allowed to manage the bridge can unblock a number");
    await w.reply(t, "Still blocked?", { user: "U0BOB" });
    await untilInOrder(w, t, ["Still blocked?", "the team blocked this number"]);
    expect(w.texts(t).join("\n")).not.toContain("unblocked");
    await press(w, t, "unblock", "U0ALICE");
    await untilInOrder(w, t, ["Alice Martin unblocked"]);
    await w.reply(t, "Back again", { user: "U0BOB" });
    await until(() => smsTo(w.h, phone).length === 1, 15_000, "sent after Unblock");
    expect(smsTo(w.h, phone)).toEqual(["Back again"]);
  });

  it("with SLACK_MANAGER_GROUP, its members manage (templates, Unblock), an admin outside it does not; forget is not in chat", async () => {
    const slack = keep(
      await startSlackWorld({
        fake: {
          users: PEOPLE,
          usergroups: [{ id: "S0LEADS", handle: "support-leads", name: "Leads", users: ["U0BOB"] }],
        },
        env: { SLACK_MANAGER_GROUP: "support-leads" },
      }),
    );
    const w = slack;
    expect((await command(w, "U0ALICE", "template add hi Hello")).text).toContain(
      "Only people allowed",
    );
    expect((await command(w, "U0BOB", "template add hi Hello")).text).toContain("added");
    const phone = "+15550500040";
    const t = await conversation(w, phone);
    await press(w, t, "block", "U0ALICE");
    await untilInOrder(w, t, ["Alice Martin blocked"]);
    expect((await pressRefused(w, t, "unblock", "U0ALICE")).text).toContain("unblock a number");
    await press(w, t, "unblock", "U0BOB");
    await untilInOrder(w, t, ["Bob Durand unblocked"]);
    // Erasing a customer is the command line's (ops): chat has no such command.
    expect((await command(w, "U0BOB", `forget ${phone}`)).text).toContain(
      "`forget` is not a phone number",
    );
    expect(await conversationsOf(w, phone)).toBe(1);
  });
});

// ── Discord ─────────────────────────────────────────────────────────────────────────────────

const TEXT = "110000000000000001";
const SALES = "110000000000000002";
const OTHER = "110000000000000003";
const MANAGE_GUILD = 1n << 5n;
const LEADS = "120000000000000001";
const A = "+33612345678";
const A_SHOWN = "+33 6 12 34 56 78";

async function discordWorld(env: Record<string, string> = {}, log?: pino.Logger) {
  const fake = await startFakeDiscord({
    channels: [
      { id: TEXT, name: "sms", type: "text" },
      { id: SALES, name: "sales", type: "text" },
      { id: OTHER, name: "random", type: "text" },
    ],
    roles: [{ id: LEADS, name: "Support Leads" }],
  });
  const discord = keep(await startDiscord("text", { fake, env, log }));
  return discord;
}

/** `/sms <subcommand>` in `channelId`, as a member with `as` (roles, permissions); the answer. */
async function interact(
  w: DiscordWorld,
  channelId: string,
  subcommand: string,
  options: Record<string, string>,
  as: { roles?: string[]; permissions?: bigint } = {},
) {
  const i = w.fake.interaction({ name: "sms", subcommand, channelId, options, ...as });
  const answer = await until(
    () => w.fake.responsesTo(i.id).find((r) => r.kind === "edit"),
    10_000,
    "the interaction's answer",
  );
  return answer;
}

/** Presses a card button, once the card has it, as a member with `as` (roles, permissions). */
async function pressCard(
  w: DiscordWorld,
  threadId: string,
  action: string,
  as: { roles?: string[]; permissions?: bigint } = {},
) {
  const pattern = new RegExp(`ardary:${action}:\\d+`);
  const { card, customId } = await until(
    () => {
      const card = cardOf(w, threadId);
      const customId = JSON.stringify(card?.components).match(pattern)?.[0];
      return customId ? { card, customId } : undefined;
    },
    10_000,
    `the card's ${action} button`,
  );
  return w.fake.buttonClick({
    customId,
    channelId: card?.channel_id ?? "",
    messageId: threadId,
    ...as,
  });
}

async function followUp(w: DiscordWorld, interactionId: string) {
  return until(
    () => w.fake.responsesTo(interactionId).find((r) => r.kind === "followup"),
    10_000,
    "a follow-up",
  );
}

describe("who may do what, on discord (no guests: every member sends)", () => {
  it("sends only from the bridge's channels and their threads; another channel is refused privately and logged", async () => {
    const { log, lines } = capture();
    const w = await discordWorld({}, log);
    await w.h.sim.inbound(A, "Hi");
    const { threadId } = await waitCard(w, A_SHOWN, "📩 Hi");
    await w.h.bridge.database.db.execute(
      sql`insert into routes (pattern, platform, channel) values ('+44', 'discord', ${SALES})`,
    );

    const home = await interact(w, TEXT, "send", { number: "+15550500050", text: "From home" });
    expect(home.content).toContain("Sending to +1 555 050 0050");
    const inThread = await interact(w, threadId, "send", { number: A, text: "From the thread" });
    expect(inThread.content).toContain(`Sending to ${A_SHOWN}`);
    const routed = await interact(w, SALES, "send", { number: "+15550500051", text: "From sales" });
    expect(routed.content).toContain("Sending to");

    const other = await interact(w, OTHER, "send", {
      number: "+15550500052",
      text: "Secret words",
    });
    expect(other.ephemeral).toBe(true);
    expect(other.content).toContain("not from this channel");
    expect(other.content).toContain(`<#${TEXT}>`);
    expect(other.content).toContain("SMS_FROM_ANY_CHANNEL=true");

    await settled(w.h);
    expect(w.h.sim.sent.map((s) => s.message).sort()).toEqual([
      "From home",
      "From sales",
      "From the thread",
    ]);
    expect(await conversationsOf(w, "+15550500052")).toBe(0);
    expect(refusals(lines)).toEqual([
      expect.objectContaining({
        platform: "discord",
        act: "send",
        reason: "channel",
        channel: OTHER,
        phone: "+155******52",
      }),
    ]);
    expect(lines.join("\n")).not.toContain("Secret words");
  });

  it("templates and Unblock are for Manage Server; Block is anyone's; others are told in an ephemeral follow-up", async () => {
    const w = await discordWorld();
    const refused = await interact(w, TEXT, "template add", {
      name: "hours",
      text: "We open at 9.",
    });
    expect(refused.ephemeral).toBe(true);
    expect(refused.content).toContain("can add or remove templates");
    const added = await interact(
      w,
      TEXT,
      "template add",
      { name: "hours", text: "We open at 9." },
      { permissions: MANAGE_GUILD },
    );
    expect(added.content).toContain("Template ::hours added");
    expect((await interact(w, TEXT, "template list", {})).content).toContain("::hours");
    expect((await interact(w, TEXT, "template remove", { name: "hours" })).content).toContain(
      "Only people allowed",
    );
    const removed = await interact(
      w,
      TEXT,
      "template remove",
      { name: "hours" },
      { permissions: MANAGE_GUILD },
    );
    expect(removed.content).toContain("Template ::hours removed");

    await w.h.sim.inbound(A, "Hi");
    const { threadId } = await waitCard(w, A_SHOWN, "📩 Hi");
    await pressCard(w, threadId, "block");
    await waitPosts(w, A_SHOWN, (c) => c.includes("blocked"));
    const press = await pressCard(w, threadId, "unblock");
    const word = await followUp(w, press.id);
    expect(word.ephemeral).toBe(true);
    expect(word.content).toContain("Only people allowed to manage the bridge can unblock a number");
    await settled(w.h);
    expect(contentsOf(w, threadId).some((c) => c.includes("unblocked"))).toBe(false);
    await pressCard(w, threadId, "unblock", { permissions: MANAGE_GUILD });
    await waitPosts(w, A_SHOWN, (c) => c.includes("unblocked"));
  });

  it("with DISCORD_MANAGER_ROLE its members unblock, Manage Server alone does not; SMS_FROM_ANY_CHANNEL sends from anywhere", async () => {
    const w = await discordWorld({
      DISCORD_MANAGER_ROLE: "support leads",
      SMS_FROM_ANY_CHANNEL: "true",
    });
    await w.h.sim.inbound(A, "Hi");
    const { threadId } = await waitCard(w, A_SHOWN, "📩 Hi");
    const other = await interact(w, OTHER, "send", { number: A, text: "From random" });
    expect(other.content).toContain(`Sending to ${A_SHOWN}`);
    await waitPosts(w, A_SHOWN, (c) => c.includes("From random"));
    await pressCard(w, threadId, "block");
    await waitPosts(w, A_SHOWN, (c) => c.includes("blocked"));
    const admin = await pressCard(w, threadId, "unblock", { permissions: MANAGE_GUILD });
    const refusal = (await followUp(w, admin.id)).content;
    expect(refusal).toContain("unblock a number");
    // The refusal names the rule that holds here: the role, not Manage Server.
    expect(refusal).toContain("(DISCORD_MANAGER_ROLE)");
    expect(refusal).not.toContain("Manage Server");
    await pressCard(w, threadId, "unblock", { roles: [LEADS] });
    await waitPosts(w, A_SHOWN, (c) => c.includes("unblocked"));
    expect(smsTo(w.h, A)).toEqual(["From random"]);
  });
});
