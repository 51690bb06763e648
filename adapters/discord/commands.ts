// The /sms application command: its definition (subcommands, so that options can be
// required), how an interaction's options become the `/sms` arguments the bridge parses (the
// same grammar as on Slack), and its registration, for
// `ardary-bridge discord register-commands [--guild <id>]`.
// https://discord.com/developers/docs/interactions/application-commands
import { REST, Routes } from "discord.js";
import { discordCall } from "./rest.ts";

// Option types: https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-option-type
const SUB_COMMAND = 1;
const SUB_COMMAND_GROUP = 2;
const STRING = 3;
const BOOLEAN = 5;
const CHANNEL = 7;
/** Channel types a route may name: text (0) and forum (15) channels. */
const ROUTE_CHANNEL_TYPES = [0, 15];

export { BOT_PERMISSIONS, inviteUrl } from "./invite.ts";

/** Manage Messages (1 << 13): who may use /sms by default; server admins can change it. */
export const DEFAULT_MEMBER_PERMISSIONS = "8192";

const str = (name: string, description: string, required: boolean, extra = {}) => ({
  type: STRING,
  name,
  description,
  required,
  ...extra,
});
const sub = (name: string, description: string, options: unknown[] = []) => ({
  type: SUB_COMMAND,
  name,
  description,
  options,
});

/** Guild commands appear at once; global ones can take up to an hour to show everywhere. */
export const SMS_COMMAND = {
  name: "sms",
  type: 1,
  description: "Text a customer, and manage the SMS bridge",
  // Guild channels only: conversations live in the server's channels.
  contexts: [0],
  default_member_permissions: DEFAULT_MEMBER_PERMISSIONS,
  options: [
    sub("send", "Send an SMS from the number's conversation thread", [
      str("number", "Phone number in international form, e.g. +33612345678", true),
      str("text", "The text to send", true),
      str("at", 'Send later: "YYYY-MM-DD HH:mm", in the SMS account\'s time zone', false),
      str("link", "A link to track (https://…); put [Link] in the text where it goes", false),
      str("priority", "Order in the provider's queue", false, {
        choices: ["low", "normal", "high"].map((p) => ({ name: p, value: p })),
      }),
      {
        type: BOOLEAN,
        name: "marketing",
        description: "A promotion: STOP notice added, held to the hours marketing SMS may leave",
        required: false,
      },
    ]),
    sub("help", "How to use /sms"),
    {
      type: SUB_COMMAND_GROUP,
      name: "route",
      description: "Which channel the conversations of some numbers go to",
      options: [
        sub("list", "Show the routes"),
        sub("add", "Send numbers starting with a prefix to a channel", [
          str("prefix", "Number prefix, e.g. +331", true),
          {
            type: CHANNEL,
            name: "channel",
            description: "Where their conversations go",
            required: true,
            channel_types: ROUTE_CHANNEL_TYPES,
          },
          {
            type: BOOLEAN,
            name: "move",
            description: "Also move the existing conversations",
            required: false,
          },
          str("sender", "The sender name their SMS go out under (3-11 letters and digits)", false),
        ]),
        sub("remove", "Remove a route", [str("prefix", "The route's prefix", true)]),
      ],
    },
    sub("queue", "Conversations waiting for an answer, oldest first"),
    sub("report", "How the team did: response times, delivery, cost (only you see it)", [
      str("period", "Which days (default: the last 7 days, today included)", false, {
        choices: [
          { name: "the last 7 days", value: "7d" },
          { name: "the last 30 days", value: "30d" },
          { name: "this week, since Monday", value: "week" },
          { name: "this month, since the 1st", value: "month" },
        ],
      }),
    ]),
    sub("history", "Search the SMS sent and received", [
      str("query", "A number or words to look for", false),
    ]),
    {
      type: SUB_COMMAND_GROUP,
      name: "template",
      description: "Saved texts",
      options: [
        sub("add", "Save a text under a name", [
          str("name", "One word", true),
          str("text", "The text", true),
          {
            type: BOOLEAN,
            name: "marketing",
            description: "Every send of it is a marketing SMS (STOP notice, allowed hours only)",
            required: false,
          },
        ]),
        sub("list", "Show the saved texts"),
        sub("remove", "Delete a saved text", [str("name", "Its name", true)]),
      ],
    },
  ],
} as const;

/** An option of an interaction, as Discord sends it (and discord.js keeps in `options.data`). */
export interface InteractionOption {
  name: string;
  type: number;
  value?: string | number | boolean | null;
  options?: readonly InteractionOption[] | null;
}

/** The subcommand whose name is not part of the arguments: `/sms send` is the bare `/sms`. */
const IMPLICIT = "send";
/** Free-text options: always last, as typed. */
const FREE_TEXT = new Set(["text", "query"]);

/**
 * An interaction's options as one `/sms` argument string, for every subcommand alike: the
 * group and subcommand names (`route add`; none for `send`), then required options in order,
 * optional ones as `--name value` (`--name` alone for a true boolean), free text last:
 * `send` → `<number> [--at "…"] [--link …] [--priority …] [--marketing] <text>`; `help` →
 * `help`; `route add` → `route add <prefix> <#channel> [--move] [--sender …]`.
 */
export function commandArgs(options: readonly InteractionOption[] | null | undefined): string {
  const words: string[] = [];
  let level = options ?? [];
  for (;;) {
    const nested = level.find((o) => o.type === SUB_COMMAND || o.type === SUB_COMMAND_GROUP);
    if (!nested) break;
    if (!(nested.type === SUB_COMMAND && nested.name === IMPLICIT && words.length === 0)) {
      words.push(nested.name);
    }
    level = nested.options ?? [];
  }
  const declared = declaredOptions(words.length === 0 ? [IMPLICIT] : words);
  const required = (name: string) => declared.find((d) => d.name === name)?.required === true;
  const positional: string[] = [];
  const flags: string[] = [];
  const free: string[] = [];
  for (const o of level) {
    const value = typeof o.value === "string" ? o.value.trim() : o.value;
    if (value === undefined || value === null || value === "" || value === false) continue;
    if (FREE_TEXT.has(o.name)) free.push(String(value));
    else if (value === true) flags.push(`--${o.name}`);
    else if (required(o.name)) positional.push(shown(o, String(value)));
    else flags.push(`--${o.name} ${quoted(String(value))}`);
  }
  return [...words, ...positional, ...flags, ...free].join(" ");
}

/** The options the definition declares for a subcommand path (`["route", "add"]`). */
function declaredOptions(path: string[]): readonly { name: string; required?: boolean }[] {
  let options: readonly unknown[] = SMS_COMMAND.options;
  for (const name of path) {
    const found = options.find((o) => (o as { name: string }).name === name) as
      | { options?: readonly unknown[] }
      | undefined;
    options = found?.options ?? [];
  }
  return options as readonly { name: string; required?: boolean }[];
}

/** A positional value as one word: a number without its spaces, a channel as `<#id>`. */
function shown(o: InteractionOption, value: string): string {
  if (o.type === CHANNEL) return `<#${value}>`;
  // A number has a field of its own, so "+33 6 12 34 56 78" is one number, not six words.
  if (/^[+\d\s().-]+$/.test(value)) return value.replace(/\s+/g, "");
  return quoted(value);
}

function quoted(value: string): string {
  return /\s/.test(value) ? `"${value.replaceAll('"', "")}"` : value;
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
