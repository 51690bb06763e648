// Claim and assign, and the unanswered queue: a claimed conversation's new SMS names its owner
// (the only ping), Assign picks a member (Slack users_select, Discord user select), the card
// shows the owner and the state, and `/sms queue` lists who waits, oldest first, until someone
// replies. Through the Slack and Discord fakes and the simulator.
import { describe, expect, it } from "vitest";
import { unansweredLines } from "../../src/team/assign.ts";
import { closeAfterEach } from "../support/close-after-each.ts";
import { cardOf, startDiscord, waitCard, waitPosts } from "../support/discord-setup.ts";
import { until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

const keep = closeAfterEach();

type Thread = { channel: string; ts: string };

/** Presses (or picks in) the card's element whose action id is `conv:<action>:<id>`. */
async function press(w: SlackWorld, t: Thread, action: string, user: string, pick?: string) {
  const id = await until(
    () =>
      new RegExp(`conv:${action}:\\d+`).exec(
        JSON.stringify(w.fake.thread(t.channel, t.ts)[0]?.blocks),
      )?.[0],
    15_000,
    `a ${action} element on the card`,
  );
  const res = await w.fake.signer.sendAction(w.events, {
    actionId: id,
    value: id.split(":")[2] ?? "",
    userId: user,
    channelId: t.channel,
    messageTs: t.ts,
    ...(pick ? { selectedUser: pick } : {}),
  });
  expect(res.status).toBe(200);
}

const card = (w: SlackWorld, t: Thread) =>
  JSON.stringify(w.fake.thread(t.channel, t.ts)[0]?.blocks);

async function queue(w: SlackWorld): Promise<string> {
  const before = w.fake.responses.length;
  await w.fake.signer.sendCommand(w.events, { text: "queue", userId: "U0BOB", channelId: GENERAL });
  await until(() => w.fake.responses.length > before, 10_000, "the queue");
  return String((w.fake.responses[before]?.body as { text?: string } | undefined)?.text);
}

describe("claim, assign and the queue on slack", () => {
  it("Claim then a new SMS mentions the owner; Assign hands it to the picked member", async () => {
    const slack = keep(await startSlackWorld());
    const w = slack;
    await w.h.sim.inbound("+15550300001", "first");
    const t = await w.thread("+15550300001");
    await untilInOrder(w, t, ["first"]);
    expect(card(w, t)).toContain("nobody claimed it");
    await press(w, t, "claim", "U0BOB");
    await untilInOrder(w, t, ["first", "Bob Durand claimed this conversation"]);
    await until(() => card(w, t).includes("👤 <@U0BOB>") && card(w, t).includes("conv:release:"));
    await w.h.sim.inbound("+15550300001", "are you there?");
    const post = await until(() =>
      w.fake.thread(t.channel, t.ts).find((m) => m.text.includes("are you there?")),
    );
    expect(post.text.startsWith("<@U0BOB> ")).toBe(true);

    await press(w, t, "assign", "U0BOB", "U0ALICE");
    await untilInOrder(w, t, [
      "<@U0ALICE> 👤 this conversation is yours now (assigned by Bob Durand)",
    ]);
    await until(() => card(w, t).includes("👤 <@U0ALICE>"));
  });

  it("the queue lists conversations waiting for us, oldest first, and a reply drops one", async () => {
    const slack = keep(await startSlackWorld());
    const w = slack;
    const now = Date.now();
    // B's conversation is the older one, but A has waited longer.
    await w.h.sim.inbound("+15550300002", "B earlier", new Date(now - 30 * 60_000));
    const b = await w.thread("+15550300002");
    await untilInOrder(w, b, ["B earlier"]);
    await w.reply(b, "answered");
    await until(() => card(w, b).includes("🔵 waiting for the customer"));
    await w.h.sim.inbound("+15550300003", "A waits", new Date(now - 10 * 60_000));
    await w.h.sim.inbound("+15550300002", "B again", new Date(now - 5 * 60_000));
    await untilInOrder(w, b, ["answered", "B again"]);
    await until(() => card(w, b).includes("🟡 waiting for us since"));
    const a = await w.thread("+15550300003");
    const listed = await queue(w);
    expect(listed).toContain("2 conversation(s) waiting");
    expect(listed.indexOf("+1 555 030 0003")).toBeLessThan(listed.indexOf("+1 555 030 0002"));
    expect(listed).toContain(`https://slack.com/archives/${a.channel}/p${a.ts.replace(".", "")}`);
    expect(
      (await unansweredLines(w.h.bridge.database.db, "UTC")).map((l) => l.includes("030 0003")),
    ).toEqual([true, false]);

    await w.reply(a, "on it");
    await until(() => card(w, a).includes("🔵 waiting for the customer"));
    const after = await queue(w);
    expect(after).toContain("1 conversation(s) waiting");
    expect(after).not.toContain("+1 555 030 0003");
  });
});

describe("claim and assign on discord", () => {
  it("Claim then a new SMS pings only the owner; the user select assigns", async () => {
    const discord = keep(await startDiscord("text"));
    const w = discord;
    await w.h.sim.inbound("+33612340001", "bonjour");
    const { threadId } = await waitCard(w, "+33 6 12 34 00 01", "bonjour");
    const cardMsg = () => cardOf(w, threadId);
    const customId = (action: string) =>
      new RegExp(`ardary:${action}:\\d+`).exec(JSON.stringify(cardMsg()?.components))?.[0] ?? "";
    w.fake.buttonClick({ customId: customId("claim"), channelId: w.channel, messageId: threadId });
    await waitPosts(w, "+33 6 12 34 00 01", (c) => c.includes("claimed this conversation"));
    await until(() => cardMsg()?.content.includes(`👤 <@${w.fake.defaultUserId}>`));
    await w.h.sim.inbound("+33612340001", "toujours là ?");
    const pinged = await until(() =>
      w.fake.messages(threadId).find((m) => m.content.includes("toujours là")),
    );
    expect(pinged.content.startsWith(`<@${w.fake.defaultUserId}> 📩`)).toBe(true);

    const other = w.fake.addUser({ id: "300000000000000042", username: "carol" });
    w.fake.userSelect({
      customId: customId("assign"),
      channelId: w.channel,
      messageId: threadId,
      values: [other.id],
    });
    await waitPosts(w, "+33 6 12 34 00 01", (c) =>
      c.startsWith(`<@${other.id}> 👤 this conversation is yours`),
    );
    await until(() => cardMsg()?.content.includes(`👤 <@${other.id}>`));
  });
});
