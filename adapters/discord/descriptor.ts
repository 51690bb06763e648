// Discord as a chat platform: its variables, the adapter built from them (discord.js is loaded
// only when Discord is on), and `ardary-bridge discord register-commands`.
import { parseArgs } from "node:util";
import { z } from "zod";
import { type ChatAdapterDescriptor, optionalVar } from "../../src/contracts/index.ts";
import { BOT_PERMISSIONS_INTEGER, inviteUrl } from "./invite.ts";

const env = {
  DISCORD_BOT_TOKEN: optionalVar,
  DISCORD_APPLICATION_ID: optionalVar,
  DISCORD_CHANNEL: optionalVar,
  DISCORD_API_URL: optionalVar.pipe(z.url().optional()),
  /** The role (name or id) whose members manage the bridge; else Administrator / Manage Server. */
  DISCORD_MANAGER_ROLE: optionalVar,
  /** Tuning, mostly for tests: how often a standby process tries to take the gateway over. */
  DISCORD_STANDBY_RETRY_MS: z.coerce.number().int().positive().default(5000),
};

export interface DiscordConfig {
  botToken: string;
  applicationId: string;
  channel: string;
  apiUrl?: string;
  standbyRetryMs: number;
  managerRole?: string;
}

const HELP = `Usage: ardary-bridge discord register-commands [--guild <id>]

Registers /sms for DISCORD_APPLICATION_ID. With --guild it is available at once in that server;
without, globally (Discord may take up to an hour to show it everywhere).`;

export const discord: ChatAdapterDescriptor<typeof env, DiscordConfig> = {
  kind: "chat",
  name: "discord",
  label: "Discord",
  env,
  hints: {
    DISCORD_BOT_TOKEN: "Discord developer portal > your application > Bot > Token",
    DISCORD_APPLICATION_ID:
      "Discord developer portal > your application > General > Application ID",
    DISCORD_CHANNEL:
      "the channel ID (Developer Mode on, right-click the channel > Copy Channel ID)",
    DISCORD_MANAGER_ROLE:
      "optional: the name of the server role allowed to manage the bridge: routes, templates, Unblock (default: Administrator or Manage Server)",
  },
  requires: () => ["DISCORD_BOT_TOKEN", "DISCORD_APPLICATION_ID", "DISCORD_CHANNEL"],
  configure: (v) =>
    ({
      botToken: v.DISCORD_BOT_TOKEN,
      applicationId: v.DISCORD_APPLICATION_ID,
      channel: v.DISCORD_CHANNEL,
      apiUrl: v.DISCORD_API_URL,
      standbyRetryMs: v.DISCORD_STANDBY_RETRY_MS,
      managerRole: v.DISCORD_MANAGER_ROLE,
    }) as DiscordConfig,
  howToEnable: "set DISCORD_BOT_TOKEN, DISCORD_APPLICATION_ID and DISCORD_CHANNEL",
  defaultChannel: (c) => c.channel,
  // A channel's snowflake id, or its mention `<#123>`.
  channelId: (text) => {
    const id = /^<#(\d+)>$/.exec(text.trim())?.[1] ?? text.trim();
    return /^\d{5,25}$/.test(id) ? id : undefined;
  },
  async create(c, services) {
    const { createDiscordAdapter } = await import("./index.ts");
    return createDiscordAdapter({ ...c, log: services.log, services });
  },
  // The invite link, with the bot's permissions and this application's id.
  setupLines: (c) => [
    c
      ? {
          id: "invite",
          label: "Invite",
          state: "ok",
          found: `the link that adds the bot to a server, with its permissions (${BOT_PERMISSIONS_INTEGER})`,
          todo: "open it once per server; for a private channel, add the bot's role to it",
          link: { href: inviteUrl(c.applicationId), text: "Add the bot to a server" },
        }
      : {
          id: "invite",
          label: "Invite",
          state: "off",
          found: "the link that adds the bot to a server needs DISCORD_APPLICATION_ID",
          todo: "create the application (developer portal > New Application), switch on the Message Content intent, then set the variables",
        },
  ],
  commands: (c) => ({
    discord: {
      summary: "discord register-commands [--guild <id>]: register /sms with Discord",
      help: async () => HELP,
      async run(args) {
        const [what, ...rest] = args;
        const { values } = parseArgs({ args: rest, options: { guild: { type: "string" } } });
        if (what !== "register-commands") {
          console.error(HELP);
          return 2;
        }
        if (!c) {
          console.error(`Discord is not configured: ${discord.howToEnable}`);
          return 1;
        }
        const { registerCommands } = await import("./commands.ts");
        const names = await registerCommands(c, values.guild);
        console.log(
          `registered ${values.guild ? `in guild ${values.guild}` : "globally"}: ${names.map((n) => `/${n}`).join(", ")}`,
        );
        return 0;
      },
    },
  }),
};
