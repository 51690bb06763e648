// The fake Slack's workspace-administration reads: user groups (usergroups.list,
// usergroups.users.list) and the channel list (conversations.list), as Slack answers them.
// https://docs.slack.dev/reference/methods/usergroups.list
// https://docs.slack.dev/reference/methods/usergroups.users.list
// https://docs.slack.dev/reference/methods/conversations.list
import { bool, fail, type Handler, ok, str } from "./slack-answer.ts";
import { TEAM_ID } from "./slack-state.ts";

/** A user group (a "subteam"): its id (S…), handle (what people type after @), and members. */
export interface FakeUsergroup {
  id: string;
  handle: string;
  name: string;
  users: string[];
}

const usergroupsList: Handler = ({ state, params }) =>
  ok({
    usergroups: state.usergroups.map((g) => ({
      id: g.id,
      team_id: TEAM_ID,
      is_usergroup: true,
      name: g.name,
      description: "",
      handle: g.handle,
      is_external: false,
      date_create: 1_700_000_000,
      date_update: 1_700_000_000,
      date_delete: 0,
      auto_type: null,
      created_by: "U0ALICE",
      updated_by: "U0ALICE",
      deleted_by: null,
      prefs: { channels: [], groups: [] },
      user_count: g.users.length,
      ...(bool(params.include_users) ? { users: g.users } : {}),
    })),
  });

const usergroupsUsersList: Handler = ({ state, params }) => {
  const id = str(params.usergroup);
  if (!id) return fail("invalid_arguments");
  const group = state.usergroups.find((g) => g.id === id);
  if (!group) return fail("no_such_subteam");
  return ok({ users: group.users });
};

/** One page (cursor = index of the next channel), live channels only when exclude_archived. */
const conversationsList: Handler = ({ state, params }) => {
  const limit = Math.min(Number(str(params.limit) ?? params.limit ?? 100) || 100, 1000);
  const start = Number(str(params.cursor) ?? 0) || 0;
  const live = [...state.channels.values()].filter(
    (c) => !c.deleted && !(bool(params.exclude_archived) && c.archived),
  );
  const page = live.slice(start, start + limit);
  const next = start + limit < live.length ? String(start + limit) : "";
  return ok({
    channels: page.map((c) => ({
      id: c.id,
      name: c.name,
      is_channel: true,
      is_private: false,
      is_archived: c.archived,
      is_member: c.member,
    })),
    response_metadata: { next_cursor: next },
  });
};

export const ADMIN_METHODS: Record<string, Handler> = {
  "usergroups.list": usergroupsList,
  "usergroups.users.list": usergroupsUsersList,
  "conversations.list": conversationsList,
};
