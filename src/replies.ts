// Issue 13 (replies at scale), wired from one line in src/services.ts: the `/sms` subcommands,
// the CLI commands and the job kinds of templates, business hours, history, export, retention.
import { registerCliCommand } from "./cli-commands.ts";
import { BadRequestError } from "./errors.ts";
import { templateCommand } from "./templates.ts";

const TEMPLATES_HELP = `Usage: ardary-bridge templates list
       ardary-bridge templates add <name> <text…>
       ardary-bridge templates remove <name>

Canned answers: \`::name\` in a thread (or after \`/sms <number>\`) sends the template, with
{first_name}, {name} (the contact's), {agent} and {agent_first_name} (the author's) filled in.`;

registerCliCommand("templates", {
  summary: "list, add or remove the reply templates (::name in a thread)",
  help: TEMPLATES_HELP,
  async run(services, args, write) {
    if (!["list", "add", "remove"].includes(args[0] ?? ""))
      throw new BadRequestError("templates needs list, add or remove");
    const answer = await templateCommand(services.database.db, args.join(" "), "cli");
    await write(`${answer}\n`);
    return /^(Not saved|No template named|Usage)/.test(answer) ? 1 : 0;
  },
});
