// Senders and the export's who and where (issue 21), on Slack and on Discord: with a pro sender
// (ARDARY_SENDER_NAME) every sendSms carries sender_name, sender_mode and addReply: 1; a route's
// `--sender` goes on the wire for its numbers (never in the same request as another sender) and
// shows on the card and the SMS's status line; a sender name Ardary would refuse is refused,
// naming the rule; the export fills author_id (the platform's id of who sent the SMS) and
// thread_link (an address a person can open), the internal reference in thread_ref.
import { describe, expect, it } from "vitest";
import { exportRows, parseExportArgs } from "../../src/replies/export.ts";
import { closeAfterEach } from "../support/close-after-each.ts";
import { cardText, settled, startDiscord, waitCard, waitPosts } from "../support/discord-setup.ts";
import type { Harness } from "../support/harness.ts";
import { until } from "../support/harness.ts";
import { GENERAL, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

const FR = "+33612345001";
const UK = "+447700900123";

const keep = closeAfterEach();

type Body = { header: Record<string, unknown>[]; messages: Record<string, unknown>[] };

/** Every sendSms request carrying an SMS to `phone`: its header and that SMS's fields. */
function wire(h: Harness, phone: string) {
  return h.sim.requests.flatMap((r) => {
    const body = r.body as Body;
    const m = body.messages.find((x) => x.phonenumber === phone);
    return m ? [{ header: body.header[0] ?? {}, message: m, phones: body.messages.length }] : [];
  });
}

/** The export as rows (column → value), for one number. */
async function exported(h: Harness, phone: string): Promise<Record<string, string>[]> {
  let out = "";
  await exportRows(h.bridge.database.db, parseExportArgs(["--phone", phone]), async (c) => {
    out += c;
  });
  const [head = "", ...rows] = out.trim().split("\n");
  const columns = head.split(",");
  // No cell of these rows holds a comma or a quote: a plain split reads them.
  return rows.map((r) => Object.fromEntries(r.split(",").map((v, i) => [columns[i], v])));
}

const ADMIN = { name: "alice", real_name: "Alice Martin", is_admin: true };

describe("senders and the export on Slack", () => {
  it("a pro sender and a route's sender on the wire, the card and the status line; the export says who and where", async () => {
    const slack = keep(
      await startSlackWorld({
        env: { ARDARY_SENDER_NAME: "Acme" },
        fake: { users: { U0ALICE: ADMIN } },
      }),
    );
    const w = slack;
    const command = async (text: string) => {
      const before = w.fake.responses.length;
      await w.fake.signer.sendCommand(w.events, { text, userId: "U0ALICE", channelId: GENERAL });
      await until(() => w.fake.responses.length > before, 10_000, `an answer to /sms ${text}`);
      return JSON.stringify(w.fake.responses[before]?.body);
    };
    expect(await command("route add +44 <#C0SALES|sales> --sender Acme_UK")).toContain(
      'Route not saved: \\"Acme_UK\\" cannot be an SMS sender name: Ardary and the operators take 3 to 11 characters, letters (A-Z, no accents) and digits only, with at least one letter',
    );
    expect(await command("route add +44 <#C0SALES|sales> --sender AcmeUK")).toContain(
      "SMS to these numbers go out as AcmeUK, with replies on so customers can answer",
    );
    expect(await command("route list")).toContain("+44 → <#C0SALES>, SMS sent as AcmeUK");

    // A French customer: the account's sender name, reply mechanism on.
    await w.h.sim.inbound(FR, "Bonjour");
    const fr = await w.thread(FR);
    await w.reply(fr, "Your order ships today");
    await until(() => wire(w.h, FR).length === 1, 10_000, "the French SMS");
    expect(wire(w.h, FR)[0]).toMatchObject({
      header: { sender_name: "Acme", sender_mode: "1" },
      message: { message: "Your order ships today", addReply: 1 },
    });
    expect(JSON.stringify(w.fake.thread(fr.channel, fr.ts)[0]?.blocks)).toContain(
      "✉️ SMS go out as *Acme*",
    );

    // A UK customer: the route's sender, on the card, the wire and the status line.
    await w.h.sim.inbound(UK, "Hello where is my refund");
    const uk = await w.thread(UK);
    expect(uk.channel).toBe("C0SALES");
    await until(
      () => JSON.stringify(w.fake.thread(uk.channel, uk.ts)[0]?.blocks).includes("AcmeUK"),
      10_000,
      "the UK card",
    );
    expect(JSON.stringify(w.fake.thread(uk.channel, uk.ts)[0]?.blocks)).toContain(
      "✉️ SMS go out as *AcmeUK*",
    );
    await command(`${UK} Your refund left today`);
    await until(() => wire(w.h, UK).length === 1, 10_000, "the UK SMS");
    expect(wire(w.h, UK)[0]).toMatchObject({
      header: { sender_name: "AcmeUK", sender_mode: "1" },
      message: { message: "Your refund left today", addReply: 1 },
      phones: 1,
    });
    expect(w.h.sim.sent.find((s) => s.phonenumber === UK)).toMatchObject({
      senderName: "AcmeUK",
      addReply: true,
      addStop: false,
    });
    await until(
      () =>
        JSON.stringify(w.fake.thread(uk.channel, uk.ts)).includes("📱 received") &&
        JSON.stringify(w.fake.thread(uk.channel, uk.ts)).includes("✉️ from AcmeUK"),
      10_000,
      "the status line with the sender",
    );
    await settled(w.h);

    // The export: who sent each SMS (Slack's user id) and a link to the thread anyone can open.
    const [inbound, out] = await exported(w.h, FR);
    const permalink = `https://ardary-test.slack.com/archives/${fr.channel}/p${fr.ts.replace(".", "")}`;
    expect(inbound).toMatchObject({ direction: "in", author_id: "", thread_link: permalink });
    expect(out).toMatchObject({
      direction: "out",
      author_id: "U0ALICE",
      author_name: "Alice Martin",
      thread_link: permalink,
      thread_ref: `slack:${fr.channel}:${fr.ts}`,
      text: "Your order ships today",
    });
    expect((await exported(w.h, UK))[1]).toMatchObject({ author_id: "U0ALICE" });
    await untilInOrder(w, fr, ["Your order ships today"]);
  });
});

const MANAGE_GUILD = 1n << 5n;

describe("senders and the export on Discord", () => {
  it("a route's sender on the card, the wire and the status line; the default one elsewhere; the export says who and where", async () => {
    const discord = keep(await startDiscord("text", { env: { ARDARY_SENDER_NAME: "Acme" } }));
    const w = discord;
    const routeAdd = (sender: string) =>
      w.fake.interaction({
        name: "sms",
        subcommand: "route add",
        channelId: w.channel,
        options: [
          { type: 3, name: "prefix", value: "+44" },
          { type: 7, name: "channel", value: w.channel },
          { type: 3, name: "sender", value: sender },
        ],
        permissions: MANAGE_GUILD,
      });
    const answer = async (id: string) =>
      (
        await until(
          () => w.fake.responsesTo(id).find((r) => r.kind === "edit"),
          10_000,
          "the answer",
        )
      ).content ?? "";
    expect(await answer(routeAdd("AcmeUnitedKingdom").id)).toContain(
      'Route not saved: "AcmeUnitedKingdom" cannot be an SMS sender name',
    );
    expect(await answer(routeAdd("AcmeUK").id)).toContain("SMS to these numbers go out as AcmeUK");

    await w.h.sim.inbound(UK, "Hello");
    const { threadId } = await waitCard(w, "+44 7700 900123", "📩 Hello");
    expect(cardText(w, threadId)).toContain("✉️ SMS go out as **AcmeUK**");
    w.fake.messageCreate(threadId, { content: "Your refund left today" });
    await until(() => wire(w.h, UK).length === 1, 10_000, "the reply's SMS");
    expect(wire(w.h, UK)[0]).toMatchObject({
      header: { sender_name: "AcmeUK", sender_mode: "1" },
      message: { message: "Your refund left today", addReply: 1 },
    });
    const send = w.fake.interaction({
      name: "sms",
      subcommand: "send",
      channelId: w.channel,
      options: { number: UK, text: "Tracking number: 42" },
    });
    await answer(send.id);
    await waitPosts(
      w,
      "+44 7700 900123",
      (c) => c.includes("Tracking") && c.includes("✉️ from AcmeUK"),
    );

    await w.h.sim.inbound(FR, "Bonjour");
    const fr = await waitCard(w, "+33 6 12 34 50 01", "📩 Bonjour");
    expect(cardText(w, fr.threadId)).toContain("✉️ SMS go out as **Acme**");
    await settled(w.h);

    const rows = await exported(w.h, UK);
    const link = `https://discord.com/channels/${w.fake.guildId}/${threadId}`;
    expect(rows.map((r) => [r.direction, r.author_id, r.thread_link, r.thread_ref])).toEqual([
      ["in", "", link, `discord:${threadId}`],
      ["out", w.fake.defaultUserId, link, `discord:${threadId}`],
      ["out", w.fake.defaultUserId, link, `discord:${threadId}`],
    ]);
    expect(rows[1]?.author_name).toBe("Agent Smith");
  });
});
