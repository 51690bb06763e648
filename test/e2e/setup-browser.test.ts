// The setup page in a real browser (headless Chromium; the page's policy lets no script run): it loads, every part's line
// is there with its state, a broken Slack token turns Slack's token line ✗ naming the variable to
// fix, no secret is anywhere in the DOM or in the manifest, and a screenshot shows something,
// on a desktop window and on a phone's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { loadEnv } from "../../src/boot/env.ts";
import { createLogger } from "../../src/boot/services.ts";
import { type RunningBridge, startBridge } from "../../src/main.ts";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slack.ts";
import { dumpDom, screenshot } from "../support/chromium.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { SECRET } from "../support/harness.ts";
import { decodePng, inkOf } from "../support/png-pixels.ts";
import { partsOf } from "../support/setup-page.ts";

describe("the setup page in Chromium", { timeout: 120_000 }, () => {
  let slack: FakeSlack;
  let discord: FakeDiscord;
  let sim: Simulator;
  let db: TestDatabase;
  let bridge: RunningBridge;
  const WRONG = "xoxb-a-token-slack-refuses";
  let secrets: string[] = [];

  beforeAll(async () => {
    slack = await startFakeSlack({ channels: ["C0GENERAL"] });
    discord = await startFakeDiscord();
    sim = await startSimulator({ accessKey: "sim-access-key-1234", login: "sim@example.com" });
    db = await createTestDatabase();
    const env = loadEnv({
      PORT: "0",
      ...db.env,
      LOG_LEVEL: "silent",
      ARDARY_API_URL: sim.apiUrl,
      ARDARY_ACCESS_KEY: "sim-access-key-1234",
      ARDARY_LOGIN: "sim@example.com",
      ARDARY_MODE: "prod",
      ARDARY_CALLBACK_SECRET: SECRET,
      SLACK_BOT_TOKEN: WRONG,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_CHANNEL: "C0GENERAL",
      SLACK_API_URL: slack.apiUrl,
      DISCORD_BOT_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_CHANNEL: discord.textChannelId ?? "",
      DISCORD_API_URL: discord.apiUrl,
      CHAT_DEFAULT_PLATFORM: "slack",
    });
    bridge = await startBridge(env, createLogger("silent"), await db.open?.());
    secrets = [WRONG, slack.signingSecret, discord.token, SECRET, "sim-access-key-1234"];
  });
  afterAll(async () => {
    await bridge?.close();
    await Promise.all([slack?.close(), discord?.close(), sim?.close()]);
    await db?.drop();
  });

  it("loads, every part's line with its state; Slack's broken token ✗ naming SLACK_BOT_TOKEN; no secret", async () => {
    const dom = await dumpDom(`${bridge.url}/`);
    expect(dom).toContain("<title>ardary-bridge: set-up</title>");
    expect(dom).not.toContain("<script");
    const parts = partsOf(dom);
    expect([...parts.keys()]).toEqual(["database", "ardary", "slack", "discord"]);
    for (const [id, part] of parts) {
      expect(["ok", "warn", "fail", "off"], id).toContain(part.state);
      expect(part.lines.size, id).toBeGreaterThan(0);
      for (const [line, l] of part.lines) {
        expect(["ok", "warn", "fail", "off"], `${id}/${line}`).toContain(l.state);
        expect(l.text, `${id}/${line}`).toMatch(/^(✓|⚠️|✗|–) \S/);
      }
    }
    const token = parts.get("slack")?.lines.get("token");
    expect(token?.state).toBe("fail");
    expect(token?.text).toContain("SLACK_BOT_TOKEN");
    expect(parts.get("slack")?.state).toBe("fail");
    expect(parts.get("discord")?.lines.get("gateway")?.state).toBe("ok");
    expect(parts.get("ardary")?.lines.get("callback-url")?.text).toContain("<secret>");
    for (const secret of secrets) expect(dom).not.toContain(secret);
  });

  it("the manifest it links to has no secret either", async () => {
    const dom = await dumpDom(`${bridge.url}/setup/slack-manifest.yml`);
    expect(dom).toContain("/slack/events");
    for (const secret of secrets) expect(dom).not.toContain(secret);
  });

  it("a screenshot shows the page, on a desktop and on a phone", async () => {
    for (const size of [
      { width: 1000, height: 900 },
      { width: 390, height: 844 },
    ]) {
      const img = decodePng(await screenshot(`${bridge.url}/`, size));
      expect(img.width).toBe(size.width);
      const { ink, colours } = inkOf(img);
      // Text and marks in several colours over a plain background: not a blank page.
      expect(colours).toBeGreaterThan(20);
      expect(ink / (img.width * img.height)).toBeGreaterThan(0.02);
    }
  });
});
