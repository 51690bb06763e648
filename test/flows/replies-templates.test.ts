// Templates (issue 13): added from one platform, used from the other; `::name` in a thread and
// after `/sms <number>` sends the filled text, which the thread shows; an unknown template or a
// field with no value sends nothing and says why. Slack and Discord on one bridge.
import { afterEach, describe, expect, it } from "vitest";
import { registerCommands } from "../../adapters/discord/commands.ts";
import { contacts } from "../../src/db/schema.ts";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord.ts";
import { contents, discordEnv, smsTo } from "../support/discord-setup.ts";
import { until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

const KNOWN = "+33612345678"; // Camille Durand, in the contacts
const KNOWN_SHOWN = "+33 6 12 34 56 78";
const STRANGER = "+33698765432"; // no contact
const SLACK_SIDE = "+33611112222"; // Noé Petit, writes in: routed to Slack

let w: SlackWorld;
let discord: FakeDiscord;
afterEach(async () => {
  await w.close();
  await discord.close();
});

/** Both platforms on; new numbers open their thread on `home` (CHAT_DEFAULT_PLATFORM). */
async function bothPlatforms(home: "slack" | "discord") {
  discord = await startFakeDiscord();
  const channel = discord.textChannelId ?? "";
  w = await startSlackWorld({
    env: { ...discordEnv(discord, channel), CHAT_DEFAULT_PLATFORM: home },
    // Adding and removing templates is for managers (docs/permissions.md): Alice is an admin.
    fake: {
      users: {
        U0ALICE: { name: "alice", real_name: "Alice Martin", is_admin: true },
        U0BOB: { name: "bob", real_name: "Bob Durand" },
      },
    },
  });
  await registerCommands(
    { botToken: discord.token, applicationId: discord.applicationId, apiUrl: discord.apiUrl },
    discord.guildId,
  );
  await w.h.bridge.database.db.insert(contacts).values([
    { phone: KNOWN, firstName: "Camille", lastName: "Durand" },
    { phone: SLACK_SIDE, firstName: "Noé", lastName: "Petit" },
  ]);
  return channel;
}

/** `/sms <text>` on Slack as Alice Martin; the ephemeral answer. */
async function slackCommand(text: string): Promise<string> {
  const before = w.fake.responses.length;
  const res = await w.fake.signer.sendCommand(w.events, {
    text,
    userId: "U0ALICE",
    channelId: GENERAL,
  });
  expect(res.status).toBe(200);
  await until(() => w.fake.responses.length > before, 10_000, "the command's answer");
  return JSON.stringify(w.fake.responses[before]?.body);
}

/** Manage Server: a Discord manager when no DISCORD_MANAGER_ROLE is set. */
const MANAGE_GUILD = 1n << 5n;

/** `/sms <subcommand>` on Discord as Agent Smith (who may manage the bridge); the ephemeral answer. */
async function discordCommand(
  channelId: string,
  subcommand: string,
  options: Record<string, string>,
) {
  const i = discord.interaction({
    name: "sms",
    subcommand,
    channelId,
    options,
    permissions: MANAGE_GUILD,
  });
  const answer = await until(
    () =>
      discord
        .responsesTo(i.id)
        .find((r) => r.kind === "edit" || (r.kind === "callback" && r.type === 4)),
    10_000,
    "the interaction's answer",
  );
  expect(answer.ephemeral).toBe(true);
  return answer.content ?? "";
}

describe("templates", () => {
  it("a template added from Slack is used from Discord, fields filled; unknown ones send nothing", async () => {
    const channel = await bothPlatforms("discord");
    expect(
      await slackCommand("template add welcome Hello {first_name}, {agent_first_name} here."),
    ).toContain("Template ::welcome added");
    expect(await slackCommand("template add bad Hi {surname}")).toContain(
      "unknown field {surname}",
    );

    // /sms <number> ::name on Discord: sent filled; the thread shows the text sent.
    const answer = await discordCommand(channel, "send", {
      number: KNOWN,
      text: "::welcome Your order has shipped.",
    });
    expect(answer).toContain(`Sending to ${KNOWN_SHOWN}`);
    const sent = "Hello Camille, Agent here. Your order has shipped.";
    await until(() => smsTo(w.h, KNOWN).length === 1, 10_000, "the SMS");
    expect(smsTo(w.h, KNOWN)).toEqual([sent]);
    const thread = await until(
      () => discord.threads.find((t) => t.name.includes(KNOWN_SHOWN)),
      10_000,
      "the Discord thread",
    );
    await until(() =>
      contents({ fake: discord } as never, thread.id).some((c) => c.includes(sent)),
    );

    // In the Discord thread: ::welcome again is sent; ::nope is refused with a note.
    discord.messageCreate(thread.id, { content: "::welcome" });
    await until(() => smsTo(w.h, KNOWN).length === 2, 10_000, "the second SMS");
    expect(smsTo(w.h, KNOWN)[1]).toBe("Hello Camille, Agent here.");
    discord.messageCreate(thread.id, { content: "::nope" });
    await until(() =>
      contents({ fake: discord } as never, thread.id).some((c) =>
        c.includes('no template named "nope"'),
      ),
    );
    expect(
      contents({ fake: discord } as never, thread.id).filter((c) =>
        c.includes("Hello Camille, Agent here."),
      ),
    ).toHaveLength(2);

    // A field with no value: refused, ephemerally, nothing sent, no conversation made.
    expect(await discordCommand(channel, "template list", {})).toContain(
      "::welcome  Hello {first_name}, {agent_first_name} here.",
    );
    const refused = await slackCommand(`${STRANGER} ::welcome`);
    expect(refused).toContain("needs {first_name}");
    expect(refused).toContain("has no first name in the contacts");
    expect(smsTo(w.h, KNOWN)).toHaveLength(2);
    expect(smsTo(w.h, STRANGER)).toEqual([]);
  }, 120_000);

  it("::name in a Slack thread: the bridge posts the text sent; list and remove from Discord", async () => {
    const channel = await bothPlatforms("slack");
    expect(
      await discordCommand(channel, "template add", {
        name: "sig",
        text: "Regards, {agent} for {name}",
      }),
    ).toContain("Template ::sig added");
    await w.h.sim.inbound(SLACK_SIDE, "Where is my parcel?");
    const t = await w.thread(SLACK_SIDE);
    await w.reply(t, "::sig");
    await until(() => smsTo(w.h, SLACK_SIDE).length === 1, 10_000, "the SMS");
    expect(smsTo(w.h, SLACK_SIDE)).toEqual(["Regards, Alice Martin for Noé Petit"]);
    await untilInOrder(w, t, ["Where is my parcel?", "Regards, Alice Martin for Noé Petit"]);

    await w.reply(t, "::gone");
    await untilInOrder(w, t, ['no template named "gone"', "known: ::sig"]);
    expect(smsTo(w.h, SLACK_SIDE)).toHaveLength(1);

    expect(await slackCommand("template list")).toContain("::sig  Regards, {agent} for {name}");
    expect(await discordCommand(channel, "template remove", { name: "sig" })).toContain(
      "Template ::sig removed",
    );
    expect(await slackCommand("template list")).toContain("No templates yet");
  });
});
