// What the team's commands and buttons (routes, claim and assign, the queue, contacts) share:
// the database and the chat adapters, for channel names and thread links. services.ts calls
// registerTeam once; the commands and actions are registered here.

import { readFile } from "node:fs/promises";
import type { ChatAdapter, Platform, ThreadRef } from "../contracts/index.ts";
import type { Db } from "../db/database.ts";
import { registerCommand } from "../flows/chat-commands.ts";
import { queueCommand, registerAssignActions } from "./assign.ts";
import { contactsSetCli, registerContactForm } from "./contact-edit.ts";
import { CONTACTS_HELP, contactsCli } from "./contacts.ts";
import { channelIdOf, ROUTE_USAGE, ROUTES_HELP, routeCommand, routesCli } from "./routes.ts";

export interface Team {
  db: Db;
  /** The channel a person named (`<#C123|name>`, `#name`, an id), as the platform's id. */
  resolveChannel(platform: Platform, text: string): Promise<string | undefined>;
  /** A channel as the platform shows a link to it. */
  channelMention(platform: Platform, channel: string): string;
  /** A link to a thread, or its reference when the platform gives none. */
  threadLink(platform: Platform, thread: ThreadRef): string;
}

export function createTeam(db: Db, adapters: Map<string, ChatAdapter>): Team {
  return {
    db,
    async resolveChannel(platform, text) {
      const adapter = adapters.get(platform);
      if (adapter?.resolveChannel) return adapter.resolveChannel(text);
      return channelIdOf(text);
    },
    channelMention: (_platform, channel) => `<#${channel}>`,
    threadLink: (platform, thread) => adapters.get(platform)?.threadLink?.(thread) ?? thread,
  };
}

/** Registers the team's `/sms` subcommands and buttons, over this database and these adapters. */
export function registerTeam(db: Db, adapters: Map<string, ChatAdapter>): Team {
  const team = createTeam(db, adapters);
  registerCommand({
    name: "route",
    usage: ROUTE_USAGE,
    run: (input, args) => routeCommand(team, input, args),
  });
  registerCommand({
    name: "queue",
    usage: "`/sms queue`: the conversations waiting for an answer, oldest first",
    run: (input) => queueCommand(team, input.platform),
  });
  registerAssignActions();
  registerContactForm();
  return team;
}

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
): Promise<CliOutput> {
  if (command === "routes") return routesCli(db, args);
  if (command === "contacts" && args[0] === "set")
    return contactsSetCli(db, args.slice(1), defaultCountry);
  if (command === "contacts")
    return contactsCli(db, args, (path) => readFile(path, "utf8"), defaultCountry);
  return { lines: [`unknown command ${command}`], code: 2 };
}
