// Slack in Socket Mode (SLACK_APP_TOKEN): no public events URL; the bridge opens the connection
// with apps.connections.open and acknowledges each envelope. And while Slack is off,
// POST /slack/events still answers Slack's URL check.
import { afterEach, describe, expect, it } from "vitest";
import { decodeRef } from "../../adapters/slack/refs.ts";
import { startFakeSlack } from "../fakes/slack.ts";
import { startFakeSocketMode } from "../fakes/slack-socket.ts";
import { type Harness, startHarness, until } from "../support/harness.ts";

const GENERAL = "C0GENERAL";
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe("slack socket mode", () => {
  it("connects with the app token, turns a thread reply and a /sms into SMS, acking each envelope", async () => {
    const fake = await startFakeSlack({ channels: [GENERAL] });
    closers.push(() => fake.close());
    const socket = await startFakeSocketMode({ webApiUrl: fake.apiUrl });
    closers.push(() => socket.close());
    const h: Harness = await startHarness({
      env: {
        SLACK_BOT_TOKEN: fake.botToken,
        SLACK_CHANNEL: GENERAL,
        SLACK_APP_TOKEN: socket.appToken,
        SLACK_API_URL: socket.apiUrl,
      },
    });
    closers.push(() => h.close());
    await socket.connected();
    expect(socket.opens).toEqual([{ token: socket.appToken }]);

    await h.sim.inbound("+15550300001", "hello over socket mode");
    const parent = await until(() => fake.topLevel(GENERAL)[0]);
    const reply = fake.userMessage({
      channel: GENERAL,
      user: "U0ALICE",
      text: "Answer from Slack",
      thread_ts: parent.ts,
    });
    const ack = await socket.sendEvent(reply);
    expect(ack.envelope_id).toEqual(expect.any(String));
    await until(() => h.sim.sent.find((s) => s.message === "Answer from Slack"));

    const commandAck = await socket.sendCommand({
      channelId: GENERAL,
      userId: "U0ALICE",
      text: "+15550300002 Hello from /sms",
      responseUrl: fake.responseUrl(),
    });
    expect(commandAck.envelope_id).toEqual(expect.any(String));
    await until(() => h.sim.sent.find((s) => s.message === "Hello from /sms"));
    const threads = await until(async () => {
      const rows = await h.bridge.database.db.query.conversations.findMany();
      return rows.length === 2 && rows.every((r) => r.threadRef) ? rows : undefined;
    });
    expect(threads.map((r) => decodeRef(r.threadRef as string)?.channel)).toEqual([
      GENERAL,
      GENERAL,
    ]);
    // No events URL in Socket Mode: Slack's HTTP requests are not expected.
    expect((await fetch(`${h.bridge.url}/slack/events`, { method: "POST" })).status).toBe(404);
  });

  it("answers Slack's URL check while the Slack variables are unset, and says what is missing", async () => {
    const h = await startHarness();
    closers.push(() => h.close());
    const check = await fetch(`${h.bridge.url}/slack/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        token: "t",
        challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        type: "url_verification",
      }),
    });
    expect(check.status).toBe(200);
    expect(await check.json()).toEqual({
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
    });
    const event = await fetch(`${h.bridge.url}/slack/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "event_callback", event: { type: "message" } }),
    });
    expect(event.status).toBe(503);
    expect(await event.json()).toEqual({
      error:
        "Slack is not configured on this bridge: set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_CHANNEL",
    });
  });
});
