// Marketing SMS by the French rules (issue 21), with the bridge's clock injected: a `/sms
// --marketing` at 21:00 on a Saturday is held until Monday 08:00, one on 14 July until the next
// allowed day; its post says when it goes, with Cancel, like a scheduled SMS; when it leaves it
// carries Ardary's STOP notice (`addStop: 1`). A reply in a thread is never held: marketing
// there (`--marketing`, a template saved as marketing) is refused with why. Slack and Discord.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/database.ts";
import { closeAfterEach } from "../support/close-after-each.ts";
import { cardOf, posts, startDiscord, waitCard, waitPosts } from "../support/discord-setup.ts";
import { until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

/** Discord's Manage Server permission: who may manage the bridge (docs/permissions.md). */
const MANAGE_GUILD = 1n << 5n;

/** Saturday 15 June 2030, 21:00 in Paris (UTC+2), and the Monday 08:00 it waits for. */
const SATURDAY_21H = new Date("2030-06-15T19:00:00Z");
const MONDAY_08H = new Date("2030-06-17T06:00:00Z");
/** Friday 14 July 2028 (Bastille Day), 10:00 in Paris, and Saturday 08:00 after it. */
const BASTILLE_DAY_10H = new Date("2028-07-14T08:00:00Z");
const SATURDAY_08H = new Date("2028-07-15T06:00:00Z");

const keep = closeAfterEach();

/** The outbound SMS as stored. */
async function outbound(db: SlackWorld["h"]["bridge"]["database"]["db"]) {
  return rowsOf<{ status: string; marketing: boolean; send_at: Date | string | null }>(
    await db.execute(
      sql`select status, marketing, send_at from messages where direction = 'out' order by id`,
    ),
  );
}

/** Runs the pending sends now, as if their time had come (the bridge's clock is the test's). */
async function timeComes(db: SlackWorld["h"]["bridge"]["database"]["db"]) {
  await db.execute(
    sql`update jobs set run_at = now() where kind = 'sms.send' and state = 'pending'`,
  );
  await db.execute(sql`select pg_notify('ardary_bridge_jobs', '')`);
}

describe("marketing SMS on Slack", () => {
  it("a /sms --marketing at 21:00 on a Saturday is held until Monday 08:00, then leaves with addStop; --marketing in a reply is refused", async () => {
    let clock = SATURDAY_21H;
    const slack = keep(await startSlackWorld({ now: () => clock }));
    const w = slack;
    const phone = "+33612340001";
    await w.h.sim.inbound(phone, "Bonjour");
    const t = await w.thread(phone);
    await untilInOrder(w, t, ["Bonjour"]);

    const before = w.fake.responses.length;
    await w.fake.signer.sendCommand(w.events, {
      text: `${phone} --marketing Summer sale: -20% on everything`,
      userId: "U0ALICE",
      channelId: GENERAL,
    });
    await until(() => w.fake.responses.length > before, 10_000, "the answer");
    expect(JSON.stringify(w.fake.responses[before]?.body)).toContain(
      "📣 Marketing SMS: held until Mon 2030-06-17 08:00 (Europe/Paris), the next time marketing SMS may leave (mon-sat 08:00-20:00, never on a public holiday in France)",
    );
    // Its post says when it goes, and has Cancel, like a scheduled SMS.
    const post = await until(
      () =>
        w.fake
          .thread(t.channel, t.ts)
          .map((m) => JSON.stringify(m.blocks))
          .find((b) => b.includes("Summer sale") && b.includes("scheduled for")),
      10_000,
      "the held SMS's post",
    );
    expect(post).toContain(`<!date^${MONDAY_08H.getTime() / 1000}^`);
    expect(post).toContain("📣 marketing, with the STOP notice");
    expect(post).toMatch(/conv:cancel:\d+:\d+/);
    const [held] = await outbound(w.h.bridge.database.db);
    expect(held?.status).toBe("queued");
    expect(held?.marketing).toBe(true);
    expect(new Date(held?.send_at ?? 0)).toEqual(MONDAY_08H);

    // A reply in the thread leaves at once: marketing there is refused, and says why.
    await w.reply(t, "--marketing Flash sale tonight only");
    await untilInOrder(w, t, [
      "Not sent: a marketing SMS cannot be a reply in a conversation",
      "/sms &lt;number&gt; --marketing &lt;text&gt;",
    ]);
    expect(w.h.sim.requests).toEqual([]);

    // Monday, a minute before 08:00: its send is handed over, with its time and the STOP notice.
    clock = new Date(MONDAY_08H.getTime() - 60_000);
    await timeComes(w.h.bridge.database.db);
    const sent = await until(() => w.h.sim.sent[0], 15_000, "the marketing SMS");
    expect(sent).toMatchObject({
      phonenumber: phone,
      message: "Summer sale: -20% on everything",
      addStop: true,
      sendAt: MONDAY_08H,
    });
    const body = w.h.sim.requests[0]?.body as { messages: Record<string, unknown>[] };
    expect(body.messages[0]).toMatchObject({ addStop: 1, date_to_send: "2030-06-17 08:00:00" });
    expect(w.h.sim.sent).toHaveLength(1);
  });

  it("one that comes due outside the hours (a retry after 20:00) is held again, and the thread says so", async () => {
    // Friday 14 June 2030, 19:59 in Paris: it may leave, but Ardary answers 503 for a while.
    let clock = new Date("2030-06-14T17:59:00Z");
    const slack = keep(await startSlackWorld({ now: () => clock }));
    const w = slack;
    const phone = "+33612340003";
    await w.h.sim.inbound(phone, "Bonjour");
    const t = await w.thread(phone);
    await w.h.sim.fault({ status: 503, untilMs: 60_000 });
    await w.fake.signer.sendCommand(w.events, {
      text: `${phone} --marketing Last day of the sale`,
      userId: "U0ALICE",
      channelId: GENERAL,
    });
    await until(() => w.h.sim.requests.length > 0, 15_000, "the first attempt");
    // 20:30 when it is tried again (now, not after its back-off): it waits for Saturday 08:00,
    // without asking Ardary (which still answers 503: an attempt begun before 20:30 fails).
    clock = new Date("2030-06-14T18:30:00Z");
    await timeComes(w.h.bridge.database.db);
    await untilInOrder(
      w,
      t,
      [
        "came due outside the hours marketing SMS may leave",
        "held until Sat 2030-06-15 08:00 (Europe/Paris)",
      ],
      30_000,
    );
    const [held] = await outbound(w.h.bridge.database.db);
    expect(held?.status).toBe("queued");
    expect(new Date(held?.send_at ?? 0)).toEqual(new Date("2030-06-15T06:00:00Z"));
    expect(w.h.sim.sent).toEqual([]);
    expect(w.h.sim.requests.every((r) => r.fault === "status")).toBe(true);
  });
});

describe("marketing SMS on Discord", () => {
  it("a /sms send marketing:true on 14 July is held until the next allowed day; Cancel stops it; a marketing template is no reply", async () => {
    const discord = keep(await startDiscord("text", { now: () => BASTILLE_DAY_10H }));
    const w = discord;
    const phone = "+33612340002";
    const shown = "+33 6 12 34 00 02";
    await w.h.sim.inbound(phone, "Bonjour");
    const { threadId } = await waitCard(w, shown, "📩 Bonjour");

    const send = w.fake.interaction({
      name: "sms",
      subcommand: "send",
      channelId: w.channel,
      options: { number: phone, text: "Soldes d'été : -20 %", marketing: true },
    });
    const answer = await until(
      () => w.fake.responsesTo(send.id).find((r) => r.kind === "edit"),
      10_000,
      "the answer",
    );
    expect(answer.content).toContain(
      "📣 Marketing SMS: held until Sat 2028-07-15 08:00 (Europe/Paris)",
    );
    const { found } = await waitPosts(w, shown, (c) => c.includes("Soldes") && c.includes("🕒"));
    expect(found[0]).toContain(`🕒 scheduled for <t:${SATURDAY_08H.getTime() / 1000}:T>`);
    expect(found[0]).toContain("📣 marketing, with the STOP notice");

    // A template saved as marketing cannot be a thread reply.
    const add = w.fake.interaction({
      name: "sms",
      subcommand: "template add",
      channelId: w.channel,
      options: { name: "promo", text: "Soldes : -20 % ce week-end", marketing: true },
      // Adding templates is for managers (docs/permissions.md).
      permissions: MANAGE_GUILD,
    });
    const added = await until(
      () => w.fake.responsesTo(add.id).find((r) => r.kind === "edit"),
      10_000,
      "the template's answer",
    );
    expect(added.content).toContain("Template ::promo added as a marketing SMS");
    w.fake.messageCreate(threadId, { content: "::promo" });
    await waitPosts(w, shown, (c) =>
      c.includes("Not sent: template ::promo is saved as marketing"),
    );

    // Cancel on its post stops it: nothing reaches Ardary.
    const held = posts(w, threadId).find((m) => m.content.includes("Soldes d'été"));
    const cancel = JSON.stringify(held?.components).match(/ardary:cancel:\d+:\d+/)?.[0] ?? "";
    expect(cancel).not.toBe("");
    w.fake.buttonClick({ customId: cancel, channelId: threadId, messageId: held?.id ?? "" });
    await waitPosts(w, shown, (c) => c.includes("cancelled a scheduled SMS"));
    expect(cardOf(w, threadId)).toBeDefined();
    expect(w.h.sim.requests).toEqual([]);
  });
});
