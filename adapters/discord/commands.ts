// The /sms application command: its definition (subcommands, so that options can be
// required), how an interaction's options become the `/sms` arguments the bridge parses (the
// same grammar as on Slack), and its registration, for
// `ardary-bridge discord register-commands [--guild <id>]`.
// https://discord.com/developers/docs/interactions/application-commands
import { escapeMarkdown, REST, Routes } from "discord.js";
import { type Catalogue, type ChatDialect, fill, LANGUAGES } from "../../src/contracts/index.ts";
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

type Described = keyof Catalogue["commands"];

/**
 * A description in English (Discord's default) with its localizations: each other language of the
 * catalogue, under its Discord locale (`fr`), shown to people whose Discord speaks it.
 * https://discord.com/developers/docs/interactions/application-commands#localization
 */
function said(key: Described) {
  return {
    description: LANGUAGES.en.commands[key],
    description_localizations: Object.fromEntries(
      Object.entries(LANGUAGES)
        .filter(([language]) => language !== "en")
        .map(([language, words]) => [language, words.commands[key]]),
    ),
  };
}

/** A choice's name in English with its localizations, as `said` does a description. */
function choice(key: Described) {
  const { description, description_localizations } = said(key);
  return { name: description, name_localizations: description_localizations };
}

const str = (name: string, description: Described, required: boolean, extra = {}) => ({
  type: STRING,
  name,
  ...said(description),
  required,
  ...extra,
});
const sub = (name: string, description: Described, options: unknown[] = []) => ({
  type: SUB_COMMAND,
  name,
  ...said(description),
  options,
});

/**
 * Discord's markdown for the core's markup: bold is `**…**` as the core writes it, a command is
 * typed with its options named (discordCommand), and who manages is Discord's rule.
 */
export function discordDialect(w: Catalogue = LANGUAGES.en, managerRole?: string): ChatDialect {
  return {
    bold: (text) => `**${text}**`,
    command: discordCommand,
    // A person's text as written: Discord's markdown escaped (mentions are never allowed). An
    // underscore inside a word is no markup to Discord (`first_name`), so it stays as typed.
    verbatim: (text) => escapeMarkdown(text).replace(/(?<=[\p{L}\p{N}])\\_(?=[\p{L}\p{N}])/gu, "_"),
    // Who manages: DISCORD_MANAGER_ROLE's members when it is set, else Manage Server.
    managers: managerRole
      ? fill(w.discord.managersRole, { role: managerRole })
      : w.discord.managers,
  };
}

/** Guild commands appear at once; global ones can take up to an hour to show everywhere. */
export const SMS_COMMAND = {
  name: "sms",
  type: 1,
  ...said("sms"),
  // Guild channels only: conversations live in the server's channels.
  contexts: [0],
  default_member_permissions: DEFAULT_MEMBER_PERMISSIONS,
  options: [
    sub("send", "send", [
      str("number", "sendNumber", true),
      str("text", "sendText", true),
      str("at", "sendAt", false),
      str("link", "sendLink", false),
      str("priority", "sendPriority", false, {
        choices: ["low", "normal", "high"].map((p) => ({ name: p, value: p })),
      }),
      {
        type: BOOLEAN,
        name: "marketing",
        ...said("sendMarketing"),
        required: false,
      },
    ]),
    sub("help", "help"),
    {
      type: SUB_COMMAND_GROUP,
      name: "route",
      ...said("route"),
      options: [
        sub("list", "routeList"),
        sub("add", "routeAdd", [
          str("prefix", "routeAddPrefix", true),
          {
            type: CHANNEL,
            name: "channel",
            ...said("routeAddChannel"),
            required: true,
            channel_types: ROUTE_CHANNEL_TYPES,
          },
          {
            type: BOOLEAN,
            name: "move",
            ...said("routeAddMove"),
            required: false,
          },
          str("sender", "routeAddSender", false),
        ]),
        sub("remove", "routeRemove", [str("prefix", "routeRemovePrefix", true)]),
      ],
    },
    sub("queue", "queue"),
    sub("report", "report", [
      str("period", "reportPeriod", false, {
        choices: [
          { ...choice("period7d"), value: "7d" },
          { ...choice("period30d"), value: "30d" },
          { ...choice("periodWeek"), value: "week" },
          { ...choice("periodMonth"), value: "month" },
        ],
      }),
    ]),
    sub("history", "history", [str("query", "historyQuery", false)]),
    {
      type: SUB_COMMAND_GROUP,
      name: "template",
      ...said("template"),
      options: [
        sub("add", "templateAdd", [
          str("name", "templateAddName", true),
          str("text", "templateAddText", true),
          {
            type: BOOLEAN,
            name: "marketing",
            ...said("templateAddMarketing"),
            required: false,
          },
        ]),
        sub("list", "templateList"),
        sub("remove", "templateRemove", [str("name", "templateRemoveName", true)]),
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

/** Words of a command in the core's grammar: a quoted value, a `<placeholder>`, a word; `[…]` kept. */
const TOKEN = /\[?(?:"[^"]*"|<[^>]*>|[^\s\]]+)\]?/g;

interface Declared {
  name: string;
  type: number;
  required?: boolean;
  options?: readonly Declared[];
}

/**
 * A command or an option written in the core's grammar (the Slack form: `/sms <number> <text>`,
 * `/sms route add <prefix> <#channel> [--move]`, `--at "…"`), as a person types it on Discord:
 * `/sms send number:… text:…`, `/sms route add prefix:… channel:… [move:True]`, `at:…`. Each
 * value goes to the option the definition declares for it (SMS_COMMAND: required ones in order,
 * free text last); a `<placeholder>` becomes `…`. What it cannot place stays as written.
 */
export function discordCommand(text: string): string {
  const tokens = text.match(TOKEN) ?? [];
  const command = tokens[0] === "/sms";
  let level = SMS_COMMAND.options as readonly Declared[];
  const path: string[] = [];
  let i = command ? 1 : 0;
  for (; command && i < tokens.length; i++) {
    const found = level.find(
      (o) => o.name === tokens[i] && (o.type === SUB_COMMAND || o.type === SUB_COMMAND_GROUP),
    );
    if (!found) break;
    path.push(found.name);
    level = found.options ?? [];
  }
  if (path.length === 0) {
    path.push(IMPLICIT);
    level = (level.find((o) => o.name === IMPLICIT)?.options ?? []) as readonly Declared[];
  }
  const positional = level.filter((o) => o.required && !FREE_TEXT.has(o.name));
  const free = level.find((o) => FREE_TEXT.has(o.name));
  const used = new Set<string>();
  const out: string[] = [];
  const value = (v: string) => (/^<.*>$/.test(v) ? "…" : v.replace(/^"(.*)"$/, "$1"));
  let freeText: string[] | undefined;
  for (; i < tokens.length; i++) {
    const raw = tokens[i] as string;
    const optional = raw.startsWith("[");
    let word = raw.replace(/^\[/, "").replace(/\]$/, "");
    let said: string;
    if (word.startsWith("--")) {
      const o = level.find((d) => d.name === word.slice(2));
      if (!o) return text;
      used.add(o.name);
      if (o.type === BOOLEAN) said = `${o.name}:True`;
      else {
        const next = tokens[i + 1];
        const v = next && !next.startsWith("--") && !next.startsWith("[") ? next : undefined;
        if (v) {
          i++;
          word = v.replace(/\]$/, "");
        }
        said = `${o.name}:${v ? value(word) : "…"}`;
      }
    } else {
      const o =
        positional.find((d) => !used.has(d.name)) ??
        (free ? undefined : level.find((d) => !used.has(d.name) && d.type !== BOOLEAN));
      if (!o && free) {
        freeText = [...(freeText ?? []), value(word)];
        continue;
      }
      if (!o) return text;
      used.add(o.name);
      said = `${o.name}:${value(word)}`;
    }
    out.push(optional ? `[${said}]` : said);
  }
  if (free && freeText) out.push(`${free.name}:${freeText.join(" ")}`);
  return command ? ["/sms", ...path, ...out].join(" ") : out.join(" ");
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
