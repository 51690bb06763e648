// `/sms <word> …` subcommands other modules add (route, queue, history, template…). `/sms` alone
// and `/sms <number> …` stay the send command (src/flows/command.ts); a word registered here wins.
import type { Logger } from "pino";
import type { SmsCommandInput } from "../contracts/index.ts";
import type { Db } from "../db/database.ts";

/** What a command may use: the bridge's database and logger, the zone of the times it says. */
export interface CommandContext {
  db: Db;
  log: Logger;
  /** The provider's zone (its settings): times in answers are in it, and say it. */
  timeZone: string;
}

export interface ChatCommand {
  /** The first word after `/sms`. */
  name: string;
  /** One line for `/sms help`. */
  usage: string;
  /** Returns the ephemeral answer for the person who typed it. */
  run(input: SmsCommandInput, args: string, ctx: CommandContext): Promise<string>;
}

const commands = new Map<string, ChatCommand>();

export function registerCommand(command: ChatCommand): void {
  commands.set(command.name, command);
}

/** The command the input's first word names, with the rest of the arguments. */
export function findCommand(args: string): { command: ChatCommand; rest: string } | undefined {
  const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(args);
  const command = m?.[1] ? commands.get(m[1].toLowerCase()) : undefined;
  return command && m ? { command, rest: m[2] ?? "" } : undefined;
}

/** Lines for `/sms help`: one per registered command. */
export function commandUsages(): string[] {
  return [...commands.values()].map((c) => c.usage);
}
