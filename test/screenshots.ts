// `npm run screenshots`: the README's pictures, made from the fakes in headless Chromium
// (Debian's `chromium`): docs/thread.png, a conversation's Slack thread (drawn from what the fake
// Slack holds: test/support/thread-html.ts), and docs/setup-page.png, the setup page of the
// same bridge. A fake Slack and Discord, the Ardary simulator and a real bridge; nothing leaves
// the machine. Run it again after changing the page or the posts.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { startSimulator } from "../adapters/ardary/simulator/index.ts";
import { registerCommands } from "../adapters/discord/commands.ts";
import { loadEnv } from "../src/boot/env.ts";
import { createLogger } from "../src/boot/services.ts";
import { startBridge } from "../src/main.ts";
import { saveContacts } from "../src/team/contacts.ts";
import { startFakeDiscord } from "./fakes/discord.ts";
import { startFakeSlack } from "./fakes/slack.ts";
import { screenshot } from "./support/chromium.ts";
import { until } from "./support/harness.ts";
import { cropBottom, decodePng, encodePng } from "./support/png-pixels.ts";
import { threadHtml } from "./support/thread-html.ts";

const CHANNEL = "C0SUPPORT";
const PHONE = "+33612345678";
const work = resolve(".cache/screenshots");
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const slack = await startFakeSlack({ channels: [] });
slack.addChannel(CHANNEL, { name: "support" });
const discord = await startFakeDiscord();
await registerCommands(
  { botToken: discord.token, applicationId: discord.applicationId, apiUrl: discord.apiUrl },
  discord.guildId,
);
const sim = await startSimulator({
  accessKey: "sim-key",
  login: "sim@example.com",
  sentDelayMs: 200,
  receivedDelayMs: 600,
});
const env = loadEnv({
  PORT: "0",
  DATA_DIR: join(".cache", "screenshots", "data"),
  LOG_LEVEL: "silent",
  PUBLIC_URL: "https://sms.example.com",
  ARDARY_API_URL: sim.apiUrl,
  ARDARY_ACCESS_KEY: "sim-key",
  ARDARY_LOGIN: "sim@example.com",
  ARDARY_MODE: "prod",
  SLACK_BOT_TOKEN: slack.botToken,
  SLACK_SIGNING_SECRET: slack.signingSecret,
  SLACK_CHANNEL: CHANNEL,
  SLACK_API_URL: slack.apiUrl,
  DISCORD_BOT_TOKEN: discord.token,
  DISCORD_APPLICATION_ID: discord.applicationId,
  DISCORD_CHANNEL: discord.textChannelId ?? "",
  DISCORD_API_URL: discord.apiUrl,
  CHAT_DEFAULT_PLATFORM: "slack",
});
const bridge = await startBridge(env, createLogger("silent"));
const events = `${bridge.url}/slack/events`;
try {
  sim.setCallbackUrl(`${bridge.url}/ardary/callback/${bridge.callbackSecret}`);
  await saveContacts(bridge.database.db, [
    { phone: PHONE, firstName: "Zoé", lastName: "Martin", company: "Atelier Martin" },
  ]);

  // The customer writes; the card opens the thread.
  await sim.inbound(PHONE, "Hi! Is my order #4521 on its way? I'm away on Friday.");
  const card = await until(() => slack.topLevel(CHANNEL)[0], 15_000, "the card");
  // Alice claims it, then answers in the thread.
  const claim = JSON.stringify(card.blocks).match(/conv:claim:\d+/)?.[0];
  if (claim) {
    await slack.signer.sendAction(events, {
      actionId: claim,
      value: claim.split(":")[2] ?? "",
      userId: "U0ALICE",
      channelId: CHANNEL,
      messageTs: card.ts,
    });
    await until(() => JSON.stringify(slack.thread(CHANNEL, card.ts)[0]).includes("U0ALICE"));
  }
  const answer = slack.userMessage({
    channel: CHANNEL,
    user: "U0ALICE",
    text: "Hi Zoé! Yes, it left this morning: you'll have it on Thursday before noon.",
    thread_ts: card.ts,
  });
  await slack.signer.sendEvent(events, answer);
  await until(
    () => slack.reactions(CHANNEL, String(answer.ts)).includes("iphone"),
    15_000,
    "the answer received on the phone",
  );
  await sim.inbound(PHONE, "Perfect, thank you!");
  await until(
    () => slack.thread(CHANNEL, card.ts).some((m) => m.text.includes("Perfect")),
    15_000,
    "the customer's thanks",
  );

  const names = (id: string) =>
    ({ U0ALICE: "Alice Martin", U0BOB: "Bob Durand" })[id] ?? "Ardary SMS";
  const page = join(work, "thread.html");
  writeFileSync(page, threadHtml("support", slack.thread(CHANNEL, card.ts), names));
  const thread = decodePng(
    await screenshot(pathToFileURL(page).href, { width: 760, height: 1200 }),
  );
  writeFileSync("docs/thread.png", encodePng(cropBottom(thread)));

  const setup = decodePng(await screenshot(`${bridge.url}/`, { width: 900, height: 2800 }));
  writeFileSync("docs/setup-page.png", encodePng(cropBottom(setup, 8)));
  console.log("wrote docs/thread.png and docs/setup-page.png");
} finally {
  await bridge.close();
  await Promise.all([slack.close(), discord.close(), sim.close()]);
}
