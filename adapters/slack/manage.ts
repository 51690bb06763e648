// Who may manage the bridge (routes, templates, Unblock…) on Slack: the members of the user group
// named in SLACK_MANAGER_GROUP (its handle or id; usergroups.list, usergroups.users.list), else
// the workspace's admins and owners (users.info is_admin / is_owner: people.ts). Answers are kept
// a minute. What a manager may do is the core's table (src/conversations/permissions.ts).
// https://docs.slack.dev/reference/methods/usergroups.users.list
import type { WebClient } from "@slack/web-api";
import type { Logger } from "pino";
import { errorMessage } from "../../src/kernel/errors.ts";
import type { SlackPerson } from "./people.ts";

const KEEP_MS = 60_000;

export function managerCheck(
  client: WebClient,
  group: string | undefined,
  person: (userId: string) => Promise<SlackPerson>,
  log: Logger,
): (userId: string) => Promise<boolean> {
  const known = new Map<string, { at: number; ok: boolean }>();

  async function groupId(handle: string): Promise<string | undefined> {
    if (/^S[A-Z0-9]+$/.test(handle)) return handle;
    const name = handle.replace(/^@/, "").toLowerCase();
    const { usergroups = [] } = await client.usergroups.list({});
    return usergroups.find(
      (g) => g.handle?.toLowerCase() === name || g.name?.toLowerCase() === name,
    )?.id;
  }

  async function decide(userId: string): Promise<boolean> {
    if (group) {
      const id = await groupId(group);
      if (!id) {
        log.warn("SLACK_MANAGER_GROUP names no user group of the workspace: nobody manages");
        return false;
      }
      const { users = [] } = await client.usergroups.users.list({ usergroup: id });
      return users.includes(userId);
    }
    return (await person(userId)).admin;
  }

  return async (userId) => {
    const hit = known.get(userId);
    if (hit && Date.now() - hit.at < KEEP_MS) return hit.ok;
    try {
      const ok = await decide(userId);
      known.set(userId, { at: Date.now(), ok });
      if (known.size > 1000) known.delete(known.keys().next().value as string);
      return ok;
    } catch (err) {
      log.warn({ err: errorMessage(err) }, "could not tell whether a person manages the bridge");
      return false;
    }
  };
}

/** The channel a person named: `<#C123|name>`, `C123`, or `#name` / `name` (conversations.list). */
export async function resolveSlackChannel(
  client: WebClient,
  text: string,
): Promise<string | undefined> {
  const t = text.trim();
  const m = /^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(t);
  if (m?.[1]) return m[1];
  if (/^[CG][A-Z0-9]{2,}$/.test(t)) return t;
  const name = t.replace(/^#/, "").toLowerCase();
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const res = await client.conversations.list({
      types: "public_channel,private_channel",
      exclude_archived: true,
      limit: 200,
      ...(cursor ? { cursor } : {}),
    });
    const found = res.channels?.find((c) => c.name?.toLowerCase() === name);
    if (found?.id) return found.id;
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}

/** A thread's permalink form: https://slack.com/archives/<channel>/p<ts without its dot>. */
export function slackThreadLink(channel: string, ts: string): string {
  return `https://slack.com/archives/${channel}/p${ts.replace(".", "")}`;
}
