// Who a person is on Slack, as users.info says: their name, whether they are an admin or owner of
// the workspace, whether a guest (is_restricted: a multi-channel guest; is_ultra_restricted: a
// single-channel guest). Asked at most once a minute per person: the name, the manager check and
// the guest check share the answer. A person users.info does not show the bridge
// (user_not_found, user_not_visible) is no member it can see: counted as a guest. Any other
// failure is thrown, so the caller says "try again" (a command, a button) or Slack sends the
// event again (a reply).
// https://docs.slack.dev/reference/methods/users.info
import type { WebClient } from "@slack/web-api";
import { slackErrorCode } from "./refusals.ts";

export interface SlackPerson {
  name?: string;
  /** A workspace admin or owner (is_admin, is_owner, is_primary_owner). */
  admin: boolean;
  /** A multi- or single-channel guest (is_restricted, is_ultra_restricted). */
  guest: boolean;
}

const KEEP_MS = 60_000;
const LIMIT = 5000;
const NOT_SHOWN = new Set(["user_not_found", "user_not_visible"]);

export function peopleOf(client: WebClient): (userId: string) => Promise<SlackPerson> {
  const known = new Map<string, { at: number; person: Promise<SlackPerson> }>();

  async function lookup(user: string): Promise<SlackPerson> {
    try {
      const u = (await client.users.info({ user })).user;
      return {
        name: u?.real_name || u?.profile?.real_name || u?.name,
        admin: Boolean(u?.is_admin || u?.is_owner || u?.is_primary_owner),
        guest: Boolean(u?.is_restricted || u?.is_ultra_restricted),
      };
    } catch (err) {
      if (NOT_SHOWN.has(slackErrorCode(err) ?? "")) return { admin: false, guest: true };
      throw err;
    }
  }

  return (userId) => {
    const hit = known.get(userId);
    if (hit && Date.now() - hit.at < KEEP_MS) return hit.person;
    const entry = { at: Date.now(), person: lookup(userId) };
    // A failure is not kept: the next question asks Slack again.
    entry.person.catch(() => {
      if (known.get(userId) === entry) known.delete(userId);
    });
    known.set(userId, entry);
    if (known.size > LIMIT) known.delete(known.keys().next().value as string);
    return entry.person;
  };
}
