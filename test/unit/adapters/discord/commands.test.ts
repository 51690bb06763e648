// The /sms command's definition (Discord's rules for application commands) and how an
// interaction's options, nested as Discord sends them, become the bridge's `/sms` arguments.
// https://discord.com/developers/docs/interactions/application-commands

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  commandArgs,
  discordCommand,
  type InteractionOption,
  inviteUrl,
  SMS_COMMAND,
} from "../../../../adapters/discord/commands.ts";

type Def = { type: number; name: string; description: string; required?: boolean; options?: Def[] };

/** `/sms <path…> name:value…` as the interaction's `data.options`. */
function data(
  path: string[],
  values: Record<string, string | boolean>,
  types: Record<string, number> = {},
) {
  let options: InteractionOption[] = Object.entries(values).map(([name, value]) => ({
    name,
    value,
    type: types[name] ?? (typeof value === "boolean" ? 5 : 3),
  }));
  for (const [i, name] of [...path.entries()].reverse()) {
    options = [{ type: i === path.length - 1 ? 1 : 2, name, options }];
  }
  return options;
}

describe("the /sms definition", () => {
  const top = SMS_COMMAND.options as unknown as Def[];

  it("is restricted by default and guild-only", () => {
    expect(SMS_COMMAND.default_member_permissions).toBe("8192");
    expect(typeof SMS_COMMAND.default_member_permissions).toBe("string");
    expect(SMS_COMMAND.contexts).toEqual([0]);
  });

  it("requires number and text to send, and has help, route, queue, report, history and template", () => {
    const send = top.find((o) => o.name === "send");
    expect(send?.type).toBe(1);
    expect(send?.options?.filter((o) => o.required).map((o) => o.name)).toEqual(["number", "text"]);
    expect(top.map((o) => o.name)).toEqual([
      "send",
      "help",
      "route",
      "queue",
      "report",
      "history",
      "template",
    ]);
  });

  it("follows Discord's rules: names, lengths, required options first, no mixed levels", () => {
    const check = (options: Def[], depth: number) => {
      expect(options.length).toBeLessThanOrEqual(25);
      const nested = options.filter((o) => o.type <= 2);
      // Subcommands and groups stand alone at their level; groups hold subcommands only.
      if (nested.length > 0) expect(nested).toHaveLength(options.length);
      let optionalSeen = false;
      for (const o of options) {
        expect(o.name).toMatch(/^[-_\p{Ll}\p{N}]{1,32}$/u);
        expect(o.description.length).toBeGreaterThan(0);
        expect(o.description.length).toBeLessThanOrEqual(100);
        if (o.type === 2) expect(depth).toBe(0);
        if (o.type <= 2) check(o.options ?? [], depth + 1);
        else if (o.required) expect(optionalSeen).toBe(false);
        else optionalSeen = true;
      }
    };
    expect(SMS_COMMAND.description.length).toBeLessThanOrEqual(100);
    check(top, 0);
  });
});

describe("the bot's permissions", () => {
  it("make the integer and invite URL docs/discord.md gives", () => {
    const url = inviteUrl("APPLICATION_ID");
    expect(url).toBe(
      "https://discord.com/oauth2/authorize?client_id=APPLICATION_ID&scope=bot+applications.commands&permissions=326417632320",
    );
    const doc = readFileSync(new URL("../../../../docs/discord.md", import.meta.url), "utf8");
    expect(doc).toContain(url);
    expect(doc).toContain("**326417632320**");
  });
});

describe("options → /sms arguments", () => {
  it("report: the period as an option, the bare word when absent", () => {
    expect(commandArgs(data(["report"], { period: "30d" }))).toBe("report --period 30d");
    expect(commandArgs(data(["report"], {}))).toBe("report");
  });

  it("send: the number, options before the text, as the bridge parses them", () => {
    expect(commandArgs(data(["send"], { number: "+33612345678", text: "Hello there" }))).toBe(
      "+33612345678 Hello there",
    );
    expect(
      commandArgs(
        data(["send"], {
          number: "+33 6 12 34 56 78",
          text: "Track [Link] here",
          at: "2026-12-01 09:00",
          link: "https://x.io/a",
          priority: "high",
        }),
      ),
    ).toBe(
      '+33612345678 --at "2026-12-01 09:00" --link https://x.io/a --priority high Track [Link] here',
    );
    expect(commandArgs(data(["send"], { number: " +15551234567 ", text: "  hi  ", at: "" }))).toBe(
      "+15551234567 hi",
    );
  });

  it("help, and the other subcommands by their names, with no code of their own", () => {
    expect(commandArgs(data(["help"], {}))).toBe("help");
    expect(commandArgs(data(["queue"], {}))).toBe("queue");
    expect(commandArgs(data(["route", "list"], {}))).toBe("route list");
    expect(
      commandArgs(
        data(
          ["route", "add"],
          { prefix: "+33 1", channel: "123456789012345678", move: true },
          { channel: 7 },
        ),
      ),
    ).toBe("route add +331 <#123456789012345678> --move");
    expect(
      commandArgs(
        data(["route", "add"], { prefix: "+44", channel: "42", move: false }, { channel: 7 }),
      ),
    ).toBe("route add +44 <#42>");
    expect(commandArgs(data(["route", "remove"], { prefix: "+44" }))).toBe("route remove +44");
    expect(commandArgs(data(["history"], { query: "late parcel" }))).toBe("history late parcel");
    expect(commandArgs(data(["history"], {}))).toBe("history");
    expect(
      commandArgs(data(["template", "add"], { name: "shipped", text: "It has shipped!" })),
    ).toBe("template add shipped It has shipped!");
    expect(commandArgs(data(["template", "add"], { name: "two words", text: "x" }))).toBe(
      'template add "two words" x',
    );
    expect(commandArgs(data(["template", "list"], {}))).toBe("template list");
    expect(commandArgs(data(["template", "remove"], { name: "shipped" }))).toBe(
      "template remove shipped",
    );
  });

  it("a subcommand Discord sends that this version does not know still reaches the bridge", () => {
    expect(commandArgs(data(["stats"], { since: "2026-11-01" }))).toBe("stats --since 2026-11-01");
    expect(commandArgs([])).toBe("");
    expect(commandArgs(undefined)).toBe("");
  });
});

describe("the /sms definition in French", () => {
  type Described = {
    description: string;
    description_localizations?: Record<string, string>;
    options?: Described[];
  };
  const all = (d: Described): Described[] => [d, ...(d.options ?? []).flatMap(all)];

  it("carries a French description (Discord's locale fr) of at most 100 characters everywhere", () => {
    const described = all(SMS_COMMAND as unknown as Described);
    expect(described.length).toBeGreaterThan(30);
    for (const d of described) {
      const fr = d.description_localizations?.fr;
      expect(fr, d.description).toBeTruthy();
      expect(fr).not.toBe(d.description);
      expect(fr?.length).toBeLessThanOrEqual(100);
      expect(d.description.length).toBeLessThanOrEqual(100);
    }
    const report = (SMS_COMMAND.options as unknown as { name: string; options?: unknown[] }[]).find(
      (o) => o.name === "report",
    );
    const period = report?.options?.[0] as {
      choices: { name: string; name_localizations: Record<string, string> }[];
    };
    expect(period.choices.map((c) => c.name_localizations.fr)).toEqual([
      "les 7 derniers jours",
      "les 30 derniers jours",
      "cette semaine, depuis lundi",
      "ce mois-ci, depuis le 1er",
    ]);
    expect(SMS_COMMAND.description_localizations.fr).toBe(
      "Écrire à un client, et gérer le pont SMS",
    );
  });
});

describe("a command as typed on Discord", () => {
  it("names each option the definition declares, in its order, free text last", () => {
    const cases: [string, string][] = [
      ["/sms <number> <text>", "/sms send number:… text:…"],
      [
        "/sms +33612345678 Your order has shipped",
        "/sms send number:+33612345678 text:Your order has shipped",
      ],
      [
        "/sms route add <prefix> <#channel> [--move] [--sender <name>]",
        "/sms route add prefix:… channel:… [move:True] [sender:…]",
      ],
      ["/sms route remove <prefix>", "/sms route remove prefix:…"],
      ["/sms queue", "/sms queue"],
      [
        "/sms template add <name> [--marketing] <text>",
        "/sms template add name:… [marketing:True] text:…",
      ],
      ["/sms history <number or name>", "/sms history query:…"],
      ["/sms report [7d|30d|week|month]", "/sms report [period:7d|30d|week|month]"],
      ["/sms <number> --marketing <text>", "/sms send number:… marketing:True text:…"],
      ['--at "2026-12-01 09:00"', "at:2026-12-01 09:00"],
      ["--priority low|normal|high", "priority:low|normal|high"],
      ["--marketing", "marketing:True"],
    ];
    for (const [core, discord] of cases) expect(discordCommand(core)).toBe(discord);
  });

  it("leaves what names no option of the definition as written", () => {
    expect(discordCommand("--nope x")).toBe("--nope x");
    expect(discordCommand("/sms route add <prefix> --colour red")).toBe(
      "/sms route add <prefix> --colour red",
    );
  });
});
