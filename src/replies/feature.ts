// Issue 13 (replies at scale), wired from one line in src/boot/services.ts: the `/sms` subcommands,
// the CLI commands and the job kinds of templates, business hours, history, export, retention.
import { timeZoneOf } from "../boot/env.ts";
import { registerCliCommand } from "../cli/commands.ts";
import { BadRequestError } from "../kernel/errors.ts";
import { toE164 } from "../kernel/phone.ts";
import { EXPORT_HELP, exportRows, parseExportArgs } from "./export.ts";
import { historyLines } from "./history.ts";
import { forgetCustomer } from "./retention.ts";
import { templateCommand } from "./templates.ts";

const TEMPLATES_HELP = `Usage: ardary-bridge templates list
       ardary-bridge templates add <name> <text…>
       ardary-bridge templates remove <name>

Canned answers: \`::name\` in a thread (or after \`/sms <number>\`) sends the template, with
{first_name}, {name} (the contact's), {agent} and {agent_first_name} (the author's) filled in.`;

registerCliCommand("templates", {
  summary: "list, add or remove the reply templates (::name in a thread)",
  help: TEMPLATES_HELP,
  check(args) {
    if (!["list", "add", "remove"].includes(args[0] ?? ""))
      throw new BadRequestError("templates needs list, add or remove");
  },
  async run(services, args, write) {
    this.check?.(args);
    const answer = await templateCommand(services.database.db, args.join(" "), "cli");
    await write(`${answer}\n`);
    return /^(Not saved|No template named|Usage)/.test(answer) ? 1 : 0;
  },
});

const withoutUtc = (args: string[]) => args.filter((a) => a !== "--utc");

registerCliCommand("history", {
  summary: "a customer's threads and last SMS, by number or name",
  help: `Usage: ardary-bridge history <number or name> [--utc]
       ardary-bridge conversations --phone <number> | --name <name> [--utc]

Each conversation of the number (or of the contacts whose name matches): where its thread is,
whether it is open, opted out or blocked, and its last SMS with their statuses. Times are in
ARDARY_TIMEZONE; --utc shows them in UTC.`,
  check(args) {
    if (!withoutUtc(args).join(" ").trim())
      throw new BadRequestError("history needs a number or a name");
  },
  async run(services, args, write) {
    this.check?.(args);
    const zone = timeZoneOf(services.env, args.includes("--utc"));
    const lines = await historyLines(services.database.db, withoutUtc(args).join(" ").trim(), zone);
    await write(`${lines.join("\n")}\n`);
    return lines[0]?.startsWith("No conversation") ? 1 : 0;
  },
});

registerCliCommand("export", {
  summary: "the audit export: every SMS, click and call (csv or jsonl, --mask)",
  help: EXPORT_HELP,
  check: parseExportArgs,
  async run(services, args, write) {
    await exportRows(services.database.db, parseExportArgs(args), write);
    return 0;
  },
});

registerCliCommand("forget", {
  summary: "erase a customer on request (texts, contact, number; a STOP is kept as a hash)",
  help: `Usage: ardary-bridge forget <number>

Erases the customer's SMS texts, contact details and number from every table, and notes it in
their thread. If they had said STOP, a hash of the number and the STOP date are kept, so the
number still cannot be texted.`,
  check(args) {
    if (args.length !== 1) throw new BadRequestError("forget needs one phone number");
    if (!toE164(args[0] ?? ""))
      throw new BadRequestError(`"${args[0]}" is not a phone number (+33612345678)`);
  },
  async run(services, args, write) {
    this.check?.(args);
    await write(`${await forgetCustomer(services.database.db, args[0] ?? "")}\n`);
    return 0;
  },
});
