// REPLY_MODE=explicit: in a thread only a message starting with `sms:` goes to the customer;
// everything else is a note. The card says which mode is on.
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../support/harness.ts";
import { type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

let w: SlackWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe("REPLY_MODE", () => {
  it("explicit sends only the sms: lines, without the prefix", async () => {
    w = await startSlackWorld({ env: { REPLY_MODE: "explicit" } });
    const world = w;
    await world.h.sim.inbound("+15550500001", "where is my order?");
    const t = await world.thread("+15550500001");
    await untilInOrder(world, t, ["where is my order?"]);
    expect(JSON.stringify(world.fake.thread(t.channel, t.ts)[0]?.blocks)).toContain(
      "only replies starting with `sms:` are sent",
    );
    await world.reply(t, "let me check the warehouse first");
    await world.reply(t, "SMS: It ships today");
    await until(() => world.h.sim.sent.length === 1, 10_000, "one SMS");
    await world.reply(t, "done, it shipped");
    await world.reply(t, "sms: Tracking: ABC123");
    await until(() => world.h.sim.sent.length === 2, 10_000, "two SMS");
    expect(world.h.sim.sent.map((s) => s.message)).toEqual(["It ships today", "Tracking: ABC123"]);
  });
});
