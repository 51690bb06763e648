// The team's commands from the command line (`routes`, `contacts`): one entry point that runs
// them on a database and returns the lines to print and the exit code.
import { readFile } from "node:fs/promises";
import type { Catalogue } from "../contracts/index.ts";
import type { ChatPlatformName, SenderCheck } from "../conversations/features.ts";
import type { Db } from "../db/database.ts";
import { contactsSetCli } from "./contact-edit.ts";
import { CONTACTS_HELP, contactsCli } from "./contacts.ts";
import { ROUTES_HELP, routesCli } from "./routes.ts";

export interface CliOutput {
  lines: string[];
  code: number;
}

export const TEAM_HELP: Record<string, string> = { routes: ROUTES_HELP, contacts: CONTACTS_HELP };

/** One team command on this database. */
export async function runTeamCli(
  db: Db,
  command: string,
  args: string[],
  defaultCountry?: string,
  platforms?: ChatPlatformName[],
  senderProblem?: SenderCheck,
  /** BRIDGE_LANGUAGE's words: what a command writes in chat (a moved conversation's note). */
  words?: Catalogue,
): Promise<CliOutput> {
  if (command === "routes") return routesCli(db, args, platforms, senderProblem, words);
  if (command === "contacts" && args[0] === "set")
    return contactsSetCli(db, args.slice(1), defaultCountry);
  if (command === "contacts")
    return contactsCli(db, args, (path) => readFile(path, "utf8"), defaultCountry);
  return { lines: [`unknown command ${command}`], code: 2 };
}
