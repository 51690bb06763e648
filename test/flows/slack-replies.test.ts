// Outbound on Slack: thread replies and /sms become SMS; what happens to them shows in Slack.
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

let w: SlackWorld;
afterEach(async () => {
  await w.close();
});

const sends = (world: SlackWorld) => world.h.sim.requests.filter((r) => r.endpoint === "sendSms");
const sentTexts = (world: SlackWorld) => world.h.sim.sent.map((s) => s.message);

async function conversation(world: SlackWorld, phone: string) {
  await world.h.sim.inbound(phone, `hello from ${phone}`);
  const t = await world.thread(phone);
  await untilInOrder(world, t, [`hello from ${phone}`]);
  return t;
}

describe("slack replies", () => {
  it("sends a reply as one SMS in plain text; a note and a retried event send nothing more", async () => {
    w = await startSlackWorld();
    const t = await conversation(w, "+15550200001");
    await w.reply(t, "note: internal only");
    await w.reply(t, "// also internal");
    const { event } = await w.reply(
      t,
      "Hi <@U0BOB>, see <https://example.com/a|our page> or <https://example.com/b> in <#C0SALES|sales> &amp; :smile: &lt;ok&gt;",
      { eventId: "EvREPLY1" },
    );
    // Slack retries the same event (same event_id): still one SMS.
    const retry = await w.fake.signer.sendEvent(w.events, event, {
      eventId: "EvREPLY1",
      retryNum: 1,
    });
    expect(retry.status).toBe(200);
    await until(() => w.h.sim.sent.length === 1);
    await until(async () => {
      const [sms] = w.h.sim.sent;
      return sms && w.fake.reactions(t.channel, String(event.ts)).includes("iphone");
    });
    expect(sentTexts(w)).toEqual([
      "Hi @Bob Durand, see our page (https://example.com/a) or https://example.com/b in #sales & 😄 <ok>",
    ]);
    expect(sends(w)).toHaveLength(1);
  });

  it("sends a reply typed while the card's post is still on its way back", async () => {
    // The card shows in the channel 600 ms before the bridge learns its ts (and saves it).
    w = await startSlackWorld({ fake: { answerDelayMs: { "chat.postMessage": 600 } } });
    await w.h.sim.inbound("+15550200009", "hello, anyone?");
    const card = await until(() => w.fake.topLevel(GENERAL)[0]);
    await w.reply({ channel: GENERAL, ts: card.ts }, "Yes, here!");
    await until(() => sentTexts(w).includes("Yes, here!"));
    expect(sends(w)).toHaveLength(1);
  });

  it("sends Slack's formatting as plain text and emoji short codes as the emoji", async () => {
    w = await startSlackWorld();
    const t = await conversation(w, "+15550200009");
    await w.reply(t, "Hello *John*, _ships_ ~today~ `ABC-123`");
    await until(() => w.h.sim.sent.length === 1);
    await w.reply(t, ":tada:");
    await until(() => w.h.sim.sent.length === 2);
    expect(sentTexts(w)).toEqual(["Hello John, ships today ABC-123", "🎉"]);
  });

  it("shows sent then received on the reply, in that order, even when the callbacks come reversed", async () => {
    // In test mode the simulator sends no status callbacks: the test sends them, reversed.
    w = await startSlackWorld({ env: { ARDARY_MODE: "test" } });
    const t = await conversation(w, "+15550200002");
    const { ts } = await w.reply(t, "Your order has shipped");
    const sms = await until(() => w.h.sim.sent[0]);
    await until(() => w.fake.reactions(t.channel, ts).includes("outbox_tray"));
    const status = (s: "sent" | "received", at: string) =>
      w.h.callback("status", {
        user: "x",
        phonenumber: sms.phonenumber,
        status: s,
        date_status: at,
        id_sms_api: sms.id_sms_api,
      });
    expect((await status("received", "2026-01-05T10:00:05.000Z")).status).toBe(200);
    expect((await status("sent", "2026-01-05T10:00:01.000Z")).status).toBe(200);
    await until(() => w.fake.reactions(t.channel, ts).includes("iphone"));
    await until(() => w.h.bridge.worker && w.fake.reactions(t.channel, ts).length === 4);
    expect(w.fake.reactions(t.channel, ts)).toEqual([
      "hourglass_flowing_sand",
      "outbox_tray",
      "white_check_mark",
      "iphone",
    ]);
  });

  it("a /sms opens the thread, shows the text attributed, sends it, and its status line follows", async () => {
    // Typed in another channel than the bridge's: SMS_FROM_ANY_CHANNEL allows it.
    w = await startSlackWorld({ env: { SMS_FROM_ANY_CHANNEL: "true" } });
    const res = await w.fake.signer.sendCommand(w.events, {
      text: "+15550200003 Hello there, this is a long message: ".padEnd(200, "x"),
      userId: "U0ALICE",
      channelId: "C0OTHER",
    });
    expect(res.status).toBe(200);
    await until(() => w.fake.responses.length === 1);
    expect(JSON.stringify(w.fake.responses[0]?.body)).toContain("Sending to +1 555 020 0003");
    const t = await w.thread("+15550200003");
    expect(t.channel).toBe(GENERAL);
    await until(() => w.h.sim.sent.length === 1);
    // The bridge's own post carries the status line, updated in place: sent before received.
    const line = await until(() => {
      const post = w.fake.thread(t.channel, t.ts)[1];
      const text = JSON.stringify(post?.blocks ?? []);
      return text.includes("received") ? text : undefined;
    });
    expect(line).toContain("Alice Martin");
    expect(line.indexOf("sent")).toBeLessThan(line.indexOf("received"));
    expect(line).toContain("2 SMS · GSM-7");
  });

  it("answers each bad /sms with an ephemeral explanation and sends nothing; /sms and help give usage", async () => {
    w = await startSlackWorld();
    await w.h.sim.inbound("+15550200004", "STOP");
    await w.thread("+15550200004");
    const cases: [string, RegExp][] = [
      ["", /Send an SMS/],
      ["help", /Send an SMS/],
      ["12ab Hello", /not a phone number/],
      ["+15550200005", /text is empty/],
      ["+15550200005 --colour red Hello", /Unknown option/],
      ["+15550200005 --at yesterday Hello", /not a date/],
      ["+15550200004 Hello", /opted out/],
    ];
    for (const [text] of cases) {
      const res = await w.fake.signer.sendCommand(w.events, {
        text,
        userId: "U0ALICE",
        channelId: GENERAL,
      });
      expect(res.status).toBe(200);
    }
    await until(() => w.fake.responses.length === cases.length);
    for (const [text, expected] of cases) {
      const body = w.fake.responses.find((r) => expected.test(JSON.stringify(r.body)));
      expect(body, `/sms ${text}`).toBeDefined();
    }
    expect(
      w.fake.responses.every(
        (r) => (r.body as { response_type?: string }).response_type === "ephemeral",
      ),
    ).toBe(true);
    expect(sends(w)).toEqual([]);
  });

  it("posts a failure note with the code in words when the provider answers #007", async () => {
    w = await startSlackWorld();
    const t = await conversation(w, "+15550200006");
    w.h.sim.fault({
      answer: { data: [{ phonenumber: "+15550200006", error: ["#007"] }], count_sent: 0 },
    });
    const { ts } = await w.reply(t, "Can you hear me?");
    await untilInOrder(w, t, ["Can you hear me?", "#007 invalid phone number"]);
    await until(() => w.fake.reactions(t.channel, ts).includes("x"));
  });

  it("notes edits, deletions and files; the card's buttons close, reopen and block", async () => {
    w = await startSlackWorld();
    const t = await conversation(w, "+15550200007");
    const { ts } = await w.reply(t, "first version");
    await until(() => w.h.sim.sent.length === 1);
    await until(() => w.fake.reactions(t.channel, ts).includes("outbox_tray"));
    await w.fake.signer.sendEvent(
      w.events,
      w.fake.editUserMessage(t.channel, ts, "second version"),
    );
    await untilInOrder(w, t, ["second version", "cannot be recalled"]);
    await w.reply(t, "see attached", { files: [{ name: "a.pdf" }] });
    await untilInOrder(w, t, ["cannot be recalled", "see attached", "text only"]);
    const card = w.fake.thread(t.channel, t.ts)[0];
    const id = /conv:close:(\d+)/.exec(JSON.stringify(card?.blocks))?.[1];
    expect(id).toBeDefined();
    const click = (action: string) =>
      w.fake.signer.sendAction(w.events, {
        actionId: `conv:${action}:${id}`,
        value: String(id),
        userId: "U0BOB",
        channelId: t.channel,
        messageTs: t.ts,
      });
    expect((await click("close")).status).toBe(200);
    await untilInOrder(w, t, ["Bob Durand closed the conversation"]);
    await until(() =>
      JSON.stringify(w.fake.thread(t.channel, t.ts)[0]?.blocks).includes(`conv:reopen:${id}`),
    );
    expect((await click("block")).status).toBe(200);
    await untilInOrder(w, t, ["Bob Durand blocked"]);
    // The reply with a file sent its text; the file itself only got the note.
    expect(sentTexts(w)).toEqual(["first version", "see attached"]);
  });
});
