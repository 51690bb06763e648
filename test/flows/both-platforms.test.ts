// Slack and Discord both on: each number has one home thread (routes, else
// CHAT_DEFAULT_PLATFORM); a /sms typed on the other platform goes out, shows in the home thread,
// and the person who typed it gets a link there.
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { registerCommands } from "../../adapters/discord/commands.ts";
import { EnvError, loadEnv } from "../../src/boot/env.ts";
import { rowsOf } from "../../src/db/database.ts";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slack.ts";
import { discordEnv } from "../support/discord-setup.ts";
import { type Harness, startHarness, until } from "../support/harness.ts";

let h: Harness | undefined;
let slack: FakeSlack | undefined;
let discord: FakeDiscord | undefined;
afterEach(async () => {
  await h?.close();
  await slack?.close();
  await discord?.close();
  h = slack = discord = undefined;
});

async function both(defaultPlatform: string) {
  slack = await startFakeSlack({ channels: ["C0GENERAL"] });
  discord = await startFakeDiscord();
  h = await startHarness({
    env: {
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: slack.signingSecret,
      SLACK_CHANNEL: "C0GENERAL",
      SLACK_API_URL: slack.apiUrl,
      ...discordEnv(discord, discord.textChannelId ?? ""),
      CHAT_DEFAULT_PLATFORM: defaultPlatform,
    },
  });
  await registerCommands(
    { botToken: discord.token, applicationId: discord.applicationId, apiUrl: discord.apiUrl },
    discord.guildId,
  );
  return { h, slack, discord };
}

async function conversations(harness: Harness) {
  return rowsOf<{ phone: string; platform: string }>(
    await harness.bridge.database.db.execute(
      sql`select phone, platform from conversations order by id`,
    ),
  );
}

describe("both platforms on", () => {
  it("needs CHAT_DEFAULT_PLATFORM, naming a platform that is on", () => {
    const base = {
      SLACK_BOT_TOKEN: "xoxb-1",
      SLACK_SIGNING_SECRET: "s",
      SLACK_CHANNEL: "C1",
      DISCORD_BOT_TOKEN: "t",
      DISCORD_APPLICATION_ID: "1",
      DISCORD_CHANNEL: "2",
    };
    expect(() => loadEnv(base)).toThrow(EnvError);
    expect(() => loadEnv(base)).toThrow(/CHAT_DEFAULT_PLATFORM: required/);
    expect(() => loadEnv({ ...base, CHAT_DEFAULT_PLATFORM: "teams" })).toThrow(
      /not a chat platform/,
    );
    expect(loadEnv({ ...base, CHAT_DEFAULT_PLATFORM: "discord" }).chat).toHaveLength(2);
  });

  it("gives each number one home thread; /sms from the other platform goes there, with a link", async () => {
    const w = await both("slack");
    const phone = "+15550400001";
    await w.h.sim.inbound(phone, "Hi, where is my order?");
    await until(async () => (await conversations(w.h)).length === 1, 10_000, "a conversation");
    expect(await conversations(w.h)).toEqual([{ phone, platform: "slack" }]);
    await until(() => w.slack.messages("C0GENERAL").length > 0, 10_000, "the Slack card");
    // The card is on Slack before the bridge has stored its thread: a /sms in that moment has
    // no thread to link to yet. The link is asked for once the thread is the conversation's.
    await until(
      async () =>
        rowsOf<{ thread_ref: string | null }>(
          await w.h.bridge.database.db.execute(sql`select thread_ref from conversations`),
        )[0]?.thread_ref,
      10_000,
      "the thread stored",
    );
    // A Discord user sends to the same number: it goes out and shows in the Slack thread.
    const i = w.discord.interaction({
      name: "sms",
      subcommand: "send",
      channelId: w.discord.textChannelId ?? "",
      options: { number: phone, text: "On its way!" },
    });
    const answer = await until(
      () => w.discord.responsesTo(i.id).find((r) => r.kind === "edit"),
      10_000,
      "the answer",
    );
    expect(answer.content).toMatch(
      /its thread is on Slack: https:\/\/\S+\/archives\/C0GENERAL\/p\d+/,
    );
    await until(() => w.h.sim.sent.length === 1, 10_000, "the SMS");
    expect(w.h.sim.sent[0]?.message).toBe("On its way!");
    await until(
      () => JSON.stringify(w.slack.messages("C0GENERAL")).includes("On its way!"),
      10_000,
      "the SMS in the Slack thread",
    );
    // Still one conversation, and Discord opened no thread for it.
    expect(await conversations(w.h)).toEqual([{ phone, platform: "slack" }]);
    expect(w.discord.threads.filter((t) => t.name.includes("555"))).toEqual([]);
  });
});
