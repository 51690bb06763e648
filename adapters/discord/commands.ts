// The /sms application command: its definition, how its options become the `/sms` arguments
// the bridge parses (the same grammar as on Slack), and its registration, for
// `ardary-bridge discord register-commands [--guild <id>]`.
// https://discord.com/developers/docs/interactions/application-commands
import { REST, Routes } from "discord.js";
import { discordCall } from "./rest.ts";

const STRING = 3;

/** Guild commands appear at once; global ones can take up to an hour to show everywhere. */
export const SMS_COMMAND = {
  name: "sms",
  type: 1,
  description: "Send an SMS from the number's conversation thread",
  // Guild channels only: conversations live in the server's channels.
  contexts: [0],
  options: [
    {
      type: STRING,
      name: "number",
      description: "Phone number in international form, e.g. +33612345678 (or: help)",
      required: false,
    },
    { type: STRING, name: "text", description: "The text to send", required: false },
    {
      type: STRING,
      name: "at",
      description: 'Send later: "YYYY-MM-DD HH:mm", in the SMS account\'s time zone',
      required: false,
    },
    {
      type: STRING,
      name: "link",
      description: "A link to track (https://…); put [Link] in the text where it goes",
      required: false,
    },
    {
      type: STRING,
      name: "priority",
      description: "Order in the provider's queue",
      required: false,
      choices: ["low", "normal", "high"].map((p) => ({ name: p, value: p })),
    },
  ],
} as const;

export interface SmsOptions {
  number?: string | null;
  text?: string | null;
  at?: string | null;
  link?: string | null;
  priority?: string | null;
}

/** The options as one `/sms` argument string: `<number> [--at "…"] [--link …] [--priority …] <text>`. */
export function commandArgs(o: SmsOptions): string {
  const parts: string[] = [];
  const number = o.number?.trim();
  // The number has a field of its own, so "+33 6 12 34 56 78" is one number, not six words.
  if (number) parts.push(/^[+\d\s().-]+$/.test(number) ? number.replace(/\s+/g, "") : number);
  if (o.at?.trim()) parts.push(`--at "${o.at.trim().replaceAll('"', "")}"`);
  if (o.link?.trim()) parts.push(`--link ${o.link.trim()}`);
  if (o.priority?.trim()) parts.push(`--priority ${o.priority.trim()}`);
  if (o.text?.trim()) parts.push(o.text.trim());
  return parts.join(" ");
}

export interface CommandConfig {
  botToken: string;
  applicationId: string;
  apiUrl?: string;
}

/**
 * Registers (overwrites) the bot's commands in one guild, or globally without `guildId`.
 * Returns the names Discord now has.
 */
export async function registerCommands(config: CommandConfig, guildId?: string): Promise<string[]> {
  const rest = new REST(config.apiUrl ? { api: config.apiUrl } : {}).setToken(config.botToken);
  const route = guildId
    ? Routes.applicationGuildCommands(config.applicationId, guildId)
    : Routes.applicationCommands(config.applicationId);
  const registered = await discordCall("register commands", () =>
    rest.put(route, { body: [SMS_COMMAND] }),
  );
  return (registered as { name: string }[]).map((c) => c.name);
}
