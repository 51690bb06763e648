// Inbound on Slack: SMS, calls and clicks from the simulator land in one thread per number.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

let w: SlackWorld;
beforeEach(async () => {
  w = await startSlackWorld();
});
afterEach(async () => {
  await w.close();
});

describe("slack inbound", () => {
  it("puts two SMS from one number in one thread, in order; another number gets its own; a route wins", async () => {
    await w.route("+44", "C0SALES");
    expect(await w.h.sim.inbound("+15550100001", "first from one")).toBe(200);
    expect(await w.h.sim.inbound("+15550100001", "second from one")).toBe(200);
    expect(await w.h.sim.inbound("+15550100002", "hello from two")).toBe(200);
    expect(await w.h.sim.inbound("+447700900123", "hello from the UK")).toBe(200);

    const one = await w.thread("+15550100001");
    const two = await w.thread("+15550100002");
    const uk = await w.thread("+447700900123");
    await untilInOrder(w, one, ["first from one", "second from one"]);
    await untilInOrder(w, two, ["hello from two"]);
    await untilInOrder(w, uk, ["hello from the UK"]);
    expect(one.channel).toBe(GENERAL);
    expect(two.channel).toBe(GENERAL);
    expect(uk.channel).toBe("C0SALES");
    expect(one.ts).not.toBe(two.ts);
    // The card is the parent: the number for humans and the three buttons' action ids.
    const card = w.fake.thread(one.channel, one.ts)[0];
    expect(card?.text).toContain("+1 555 010 0001");
    expect(JSON.stringify(card?.blocks)).toMatch(/conv:close:\d+/);
    expect(JSON.stringify(card?.blocks)).toMatch(/conv:block:\d+/);
    // Nothing posted outside the threads but the cards.
    expect(
      w.fake
        .topLevel(GENERAL)
        .map((m) => m.ts)
        .sort(),
    ).toEqual([one.ts, two.ts].sort());
    expect(w.texts(two).join("\n")).not.toContain("from one");
  });

  it("posts a call and a link click as notes in the right thread", async () => {
    expect(await w.h.sim.call("+15550100003")).toBe(200);
    const t = await w.thread("+15550100003");
    await untilInOrder(w, t, ["Incoming call from +1 555 010 0003"]);
    await w.h.sim.inbound("+15550100004", "other number");
    const other = await w.thread("+15550100004");

    const res = await w.fake.signer.sendCommand(w.events, {
      text: "+15550100003 --link https://example.com/track Your parcel: [Link]",
      userId: "U0ALICE",
      channelId: GENERAL,
    });
    expect(res.status).toBe(200);
    const sent = await until(() => w.h.sim.sent.find((s) => s.phonenumber === "+15550100003"));
    expect(
      (
        await w.h.callback("click", {
          title: "clicked link",
          phonenumber: "+15550100003",
          link: "https://example.com/track",
          date: "2026-01-05 10:00:00",
          id_sms_api: sent.id_sms_api,
        })
      ).status,
    ).toBe(200);
    await untilInOrder(w, t, ["Incoming call", "Your parcel", "opened https://example.com/track"]);
    expect(w.texts(other).join("\n")).not.toContain("opened");
  });

  it("notes a STOP, shows it on the card, and refuses the next reply with a note", async () => {
    await w.h.sim.inbound("+15550100005", "hi there");
    const t = await w.thread("+15550100005");
    await w.h.sim.inbound("+15550100005", "STOP");
    await untilInOrder(w, t, ["hi there", "STOP", "opted out"]);
    await until(() =>
      w.fake.updates.some((u) => u.ts === t.ts && JSON.stringify(u.blocks).includes("opted out")),
    );
    await w.reply(t, "Are you sure?");
    await untilInOrder(w, t, ["opted out", "Are you sure?", "Not sent"]);
    expect(w.h.sim.requests.filter((r) => r.endpoint === "sendSms")).toEqual([]);
  });

  it("opens a new thread when the old one was deleted, and says where the history was", async () => {
    await w.h.sim.inbound("+15550100006", "before the deletion");
    const first = await w.thread("+15550100006");
    await untilInOrder(w, first, ["before the deletion"]);
    w.fake.deleteThread(first.channel, first.ts);
    await w.h.sim.inbound("+15550100006", "after the deletion");
    const second = await until(async () => {
      const t = await w.thread("+15550100006");
      return t.ts !== first.ts ? t : undefined;
    });
    // The note comes right after the card, or (when the channel's pace holds it back) as a job
    // of its own just after: never lost.
    await untilInOrder(w, second, ["after the deletion"]);
    await untilInOrder(w, second, [
      `previous thread of this conversation (slack:${GENERAL}:${first.ts})`,
    ]);
    // The reply Slack posted top-level (parent gone) was taken back: no stray SMS in the channel.
    expect(w.fake.topLevel(GENERAL).map((m) => m.ts)).toEqual([second.ts]);
  });
});
