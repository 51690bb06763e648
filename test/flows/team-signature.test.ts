// SMS_SIGNATURE through the Slack fake and the simulator: a person's thread reply and `/sms`
// leave signed (the thread shows the SMS as sent, and the cost counts the signature: the em
// dash makes it Unicode); the bridge's own SMS (an auto-reply, a CLI send without an author)
// leave as written.
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

let w: SlackWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const smsTo = (world: SlackWorld, phone: string) =>
  world.h.sim.sent.filter((s) => s.phonenumber === phone).map((s) => s.message);

describe("SMS_SIGNATURE", () => {
  it("signs people's SMS, shows them as sent and counts the signature; not the bridge's own", async () => {
    const closed = "We are closed: back at 9.";
    w = await startSlackWorld({
      env: {
        SMS_SIGNATURE: "— {agent_first_name}, Acme",
        BUSINESS_HOURS: "mon-fri 09:00-18:00",
        AUTO_REPLY_TEXT: closed,
        ARDARY_TIMEZONE: "Europe/Paris",
      },
    });
    const world = w;
    const phone = "+15550700001";
    // A Friday evening: the auto-reply, the bridge's own SMS, leaves as written.
    await world.h.sim.inbound(phone, "hello", new Date("2026-11-27T20:00:00+01:00"));
    const t = await world.thread(phone);
    await untilInOrder(world, t, ["hello"]);
    await until(() => smsTo(world, phone).length === 1, 10_000, "the auto-reply");
    expect(smsTo(world, phone)).toEqual([closed]);

    // A thread reply: plain GSM-7 as typed, Unicode once signed with the em dash.
    await world.reply(t, "See you tomorrow", { user: "U0ALICE" });
    await until(() => smsTo(world, phone).length === 2, 10_000, "the reply sent");
    expect(smsTo(world, phone)[1]).toBe("See you tomorrow\n— Alice, Acme");
    await untilInOrder(world, t, ["hello", "See you tomorrow", "— Alice, Acme"]);
    const whisper = await until(
      () => world.fake.ephemerals.find((e) => e.text?.includes("Your reply goes out as")),
      10_000,
      "the cost told to the author",
    );
    expect(whisper.text).toContain("1 SMS · Unicode because of —");

    // `/sms` from a person: signed too, and the answer says what it costs.
    await world.fake.signer.sendCommand(world.events, {
      text: `${phone} Your parcel left today`,
      userId: "U0BOB",
      channelId: GENERAL,
    });
    await until(() => smsTo(world, phone).length === 3, 10_000, "the /sms sent");
    expect(smsTo(world, phone)[2]).toBe("Your parcel left today\n— Bob, Acme");
    const answer = await until(() => world.fake.responses[0], 10_000, "the /sms answer");
    expect(JSON.stringify(answer.body)).toContain("(1 SMS · Unicode because of —)");

    // The bridge's own SMS (a CLI send without an author) leaves as written.
    const db = world.h.bridge.database.db;
    await db.transaction((tx) =>
      world.h.bridge.bridge.queueSms(tx, { phone, text: "Reminder: open 9-18", author: "cli" }),
    );
    await until(() => smsTo(world, phone).length === 4, 10_000, "the CLI send");
    expect(smsTo(world, phone)[3]).toBe("Reminder: open 9-18");
  });
});
