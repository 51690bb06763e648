// What the team features add to the bridge (routes, claim and assign, the unanswered queue,
// contacts and the Edit contact form), as one record the composition (src/boot/services.ts)
// puts with the others.
import { wordsOf } from "../contracts/index.ts";
import type { CliCommand, Feature } from "../conversations/features.ts";
import { BadRequestError } from "../kernel/errors.ts";
import { ASSIGN_ACTIONS, queueCommand } from "./assign.ts";
import { CONTACT_FORMS } from "./contact-edit.ts";
import { routeCommand } from "./routes.ts";
import { runTeamCli, TEAM_HELP } from "./team.ts";

/** A team command from the command line: its lines printed; a usage error said as such. */
function teamCli(name: string, summary: string): CliCommand {
  return {
    summary,
    help: TEAM_HELP[name] ?? "",
    // A file is read by whichever process runs the command: its path must not depend on ours.
    absolutePaths: (args, resolve) =>
      name === "contacts" && args[0] === "import" && args[1]
        ? ["import", resolve(args[1]), ...args.slice(2)]
        : args,
    async run(ctx, args, write) {
      const out = await runTeamCli(
        ctx.db,
        name,
        args,
        ctx.defaultCountry,
        ctx.platforms,
        ctx.senderProblem,
        wordsOf(ctx.config.language),
      );
      if (out.code === 2) throw new BadRequestError(out.lines.join("\n"));
      if (out.lines.length > 0) await write(`${out.lines.join("\n")}\n`);
      return out.code;
    },
  };
}

export const TEAM_FEATURE: Feature = {
  commands: [
    {
      name: "route",
      usage: (w) => w.help.route,
      // Adding and removing are for managers (src/conversations/permissions.ts); listing is open.
      act: (args) => (/^\s*(add|remove)\b/i.test(args) ? "routes" : "read"),
      run: (input, args, ctx) => routeCommand(ctx, input, args),
    },
    {
      name: "queue",
      usage: (w) => w.help.queue,
      // Every conversation's waiting SMS: not for guests (src/conversations/permissions.ts).
      act: () => "lookup",
      run: (input, _args, ctx) => queueCommand(ctx, input.platform),
    },
  ],
  actions: ASSIGN_ACTIONS,
  forms: CONTACT_FORMS,
  cli: {
    routes: teamCli(
      "routes",
      "which channel the conversations of some numbers go to (list, add, remove)",
    ),
    contacts: teamCli(
      "contacts",
      "import a CSV of contacts, list or export them (synced to the SMS provider)",
    ),
  },
};
