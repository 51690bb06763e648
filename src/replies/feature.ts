// What the reply features add to the bridge (templates, history, the audit export, retention and
// `forget`): their `/sms` subcommands, CLI commands and the daily retention sweep, as one record
// the composition (src/boot/services.ts) puts with the others. Business hours act inside the
// flows (src/flows/bridge.ts) and need no record.
import { speak, wordsOf } from "../contracts/index.ts";
import type { CliCommand, Feature } from "../conversations/features.ts";
import { BadRequestError } from "../kernel/errors.ts";
import { toE164 } from "../kernel/phone.ts";
import { EXPORT_HELP, exportRows, parseExportArgs } from "./export.ts";
import { HISTORY_COMMAND, historyLines } from "./history.ts";
import {
  createRetentionSweep,
  ensureRetentionJob,
  forgetCustomer,
  RETENTION_JOB,
} from "./retention.ts";
import { TEMPLATE_COMMAND, templateCommand } from "./templates.ts";

const TEMPLATES_HELP = `Usage: ardary-bridge templates list
       ardary-bridge templates add <name> <text…>
       ardary-bridge templates remove <name>

Canned answers: \`::name\` in a thread (or after \`/sms <number>\`) sends the template, with
{first_name}, {name} (the contact's), {agent} and {agent_first_name} (the author's) filled in.`;

const TEMPLATES_CLI: CliCommand = {
  summary: "list, add or remove the reply templates (::name in a thread)",
  help: TEMPLATES_HELP,
  check(args) {
    if (!["list", "add", "remove"].includes(args[0] ?? ""))
      throw new BadRequestError("templates needs list, add or remove");
  },
  async run(ctx, args, write) {
    this.check?.(args);
    const answer = speak(await templateCommand(ctx.db, args.join(" "), "cli"));
    await write(`${answer}\n`);
    return /^(Not saved|No template named|Usage)/.test(answer) ? 1 : 0;
  },
};

const withoutUtc = (args: string[]) => args.filter((a) => a !== "--utc");

const HISTORY_CLI: CliCommand = {
  summary: "a customer's threads and last SMS, by number or name",
  help: `Usage: ardary-bridge history <number or name> [--utc]
       ardary-bridge conversations --phone <number> | --name <name> [--utc]

Each conversation of the number (or of the contacts whose name matches): where its thread is,
whether it is open, opted out or blocked, and its last SMS with their statuses. Times are in
the SMS provider's time zone; --utc shows them in UTC.`,
  check(args) {
    if (!withoutUtc(args).join(" ").trim())
      throw new BadRequestError("history needs a number or a name");
  },
  async run(ctx, args, write) {
    this.check?.(args);
    const zone = args.includes("--utc") ? "UTC" : ctx.config.timeZone;
    const lines = await historyLines(ctx.db, withoutUtc(args).join(" ").trim(), zone);
    await write(`${lines.join("\n")}\n`);
    return lines[0]?.startsWith("No conversation") ? 1 : 0;
  },
};

const EXPORT_CLI: CliCommand = {
  summary: "the audit export: every SMS, click and call (csv or jsonl, --mask)",
  help: EXPORT_HELP,
  check: parseExportArgs,
  async run(ctx, args, write) {
    await exportRows(ctx.db, parseExportArgs(args), write);
    return 0;
  },
};

const FORGET_CLI: CliCommand = {
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
  async run(ctx, args, write) {
    this.check?.(args);
    const words = wordsOf(ctx.config.language);
    await write(`${await forgetCustomer(ctx.db, args[0] ?? "", words)}\n`);
    return 0;
  },
};

export const REPLIES_FEATURE: Feature = {
  commands: [TEMPLATE_COMMAND, HISTORY_COMMAND],
  cli: { templates: TEMPLATES_CLI, history: HISTORY_CLI, export: EXPORT_CLI, forget: FORGET_CLI },
  // The daily sweep of old SMS texts, while RETENTION_DAYS is set.
  jobs: ({ db, retentionDays }) =>
    retentionDays ? [{ def: RETENTION_JOB, run: createRetentionSweep(db, retentionDays) }] : [],
  start: async ({ db, retentionDays }) => {
    if (retentionDays) await ensureRetentionJob(db);
  },
};
