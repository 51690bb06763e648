// Business hours (issue 13): an SMS outside them gets the auto-reply once per conversation per
// closed period, shown in the thread as the bridge's with its status; never to STOP/START, an
// opted-out or a blocked number. Times are the SMS's own (the provider's date), in Paris.
import { afterEach, describe, expect, it } from "vitest";
import { blocks } from "../../src/db/schema.ts";
import { settled, smsTo } from "../support/discord-setup.ts";
import { until } from "../support/harness.ts";
import { type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

const A = "+33612345678";
const B = "+33698765432";
const BLOCKED = "+33611112222";
const TEXT = "We are closed: we answer from 9:00, Monday to Friday.";
// 2026-11-27 is a Friday; Paris is UTC+1 in November.
const paris = (local: string) => new Date(`${local}+01:00`);

let w: SlackWorld;
afterEach(async () => {
  await w.close();
});

describe("business hours", () => {
  it("an SMS at 20:00 gets one auto-reply, a second that evening none, STOP none; a new period one again", async () => {
    w = await startSlackWorld({
      env: {
        BUSINESS_HOURS: "mon-fri 09:00-18:00; sat 10:00-13:00",
        AUTO_REPLY_TEXT: TEXT,
        ARDARY_TIMEZONE: "Europe/Paris",
      },
    });
    await w.h.bridge.database.db.insert(blocks).values({ phone: BLOCKED, blockedBy: "Bob" });
    await w.h.sim.inbound(A, "Hello, anyone there?", paris("2026-11-27T20:00:00"));
    const t = await w.thread(A);
    await until(() => smsTo(w.h, A).length === 1, 10_000, "the auto-reply");
    expect(smsTo(w.h, A)).toEqual([TEXT]);
    await untilInOrder(w, t, ["Hello, anyone there?", TEXT]);
    await w.h.sim.inbound(A, "Still there?", paris("2026-11-27T22:30:00"));
    await w.h.sim.inbound(A, "Good morning", paris("2026-11-28T08:00:00"));

    await w.h.sim.inbound(B, "STOP", paris("2026-11-27T20:10:00"));
    await w.h.sim.inbound(B, "one more thing", paris("2026-11-27T20:15:00"));
    await w.h.sim.inbound(BLOCKED, "hi", paris("2026-11-27T20:20:00"));
    // Open on Saturday morning: no auto-reply; closed again after 13:00: a new period.
    await w.h.sim.inbound(A, "Are you open?", paris("2026-11-28T10:30:00"));
    await settled(w.h);
    expect(smsTo(w.h, A)).toEqual([TEXT]);
    await w.h.sim.inbound(A, "Thanks!", paris("2026-11-28T14:00:00"));
    await until(() => smsTo(w.h, A).length === 2, 10_000, "the second period's auto-reply");
    await settled(w.h);
    expect(smsTo(w.h, A)).toEqual([TEXT, TEXT]);
    expect(smsTo(w.h, B)).toEqual([]);
    expect(smsTo(w.h, BLOCKED)).toEqual([]);
    // The thread shows it as the bridge's, with its delivery status.
    const posts = w.fake.thread(t.channel, t.ts).filter((m) => m.text.includes(TEXT));
    expect(posts).toHaveLength(2);
    expect(JSON.stringify(posts[0]?.blocks)).toContain("auto-reply, outside business hours");
  }, 120_000);
});
