// `/sms <word> …` subcommands, from the features the composition put together (src/boot/services.ts).
// `/sms` alone and `/sms <number> …` stay the send command (src/flows/command.ts); a word a
// feature added wins.
import { type Catalogue, wordsOf } from "../contracts/index.ts";
import type { ChatCommand } from "../conversations/features.ts";

/** The command the input's first word names, with the rest of the arguments. */
export function findCommand(
  commands: ReadonlyMap<string, ChatCommand>,
  args: string,
): { command: ChatCommand; rest: string } | undefined {
  const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(args);
  const command = m?.[1] ? commands.get(m[1].toLowerCase()) : undefined;
  return command && m ? { command, rest: m[2] ?? "" } : undefined;
}

/** Lines for `/sms help`: one per subcommand, in `words`. */
export function commandUsages(
  commands: ReadonlyMap<string, ChatCommand>,
  words: Catalogue = wordsOf(),
): string[] {
  return [...commands.values()].map((c) => usageOf(c, words));
}

/** A subcommand's line for `/sms help`, in `words`. */
export function usageOf(command: ChatCommand, words: Catalogue = wordsOf()): string {
  return typeof command.usage === "string" ? command.usage : command.usage(words);
}
