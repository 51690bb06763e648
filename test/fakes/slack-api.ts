// The Web API of the fake Slack: token check, rate limits, then the method. Refusals are
// HTTP 200 with {ok:false,error}; rate limits HTTP 429 with Retry-After, as Slack answers.
// Reference: https://docs.slack.dev/reference/methods (each method's "Errors" table).

import { ADMIN_METHODS } from "./slack-admin.ts";
import {
  type ApiAnswer,
  type ApiConfig,
  type Call,
  channelProblem,
  fail,
  type Handler,
  ok,
  type Params,
  str,
} from "./slack-answer.ts";
import { CHAT_METHODS } from "./slack-chat.ts";
import { FILE_METHODS } from "./slack-files.ts";
import { BOT_ID, BOT_USER_ID, type SlackState, TEAM_DOMAIN, TEAM_ID } from "./slack-state.ts";
import { viewsOpen } from "./slack-views.ts";

export type { ApiAnswer, ApiConfig, Params } from "./slack-answer.ts";

function channelInfo(state: SlackState, id: string): Record<string, unknown> {
  const channel = state.channels.get(id);
  return {
    id,
    name: channel?.name,
    is_channel: true,
    is_group: false,
    is_im: false,
    is_private: false,
    is_general: false,
    is_archived: channel?.archived ?? false,
    is_member: channel?.member ?? false,
    created: 1_700_000_000,
  };
}

function conversationsInfo({ state, params }: Call): ApiAnswer {
  const channel = str(params.channel);
  const refused = channelProblem(state, channel, "exists");
  if (refused || channel === undefined) return refused ?? fail("channel_not_found");
  return ok({ channel: channelInfo(state, channel) });
}

function conversationsJoin({ state, params }: Call): ApiAnswer {
  const channel = str(params.channel);
  const refused = channelProblem(state, channel, "active");
  const found = channel === undefined ? undefined : state.channels.get(channel);
  if (refused || !found) return refused ?? fail("channel_not_found");
  if (found.member) {
    const warnings = ["already_in_channel"];
    return ok({
      channel: channelInfo(state, found.id),
      warning: warnings[0],
      response_metadata: { warnings },
    });
  }
  found.member = true;
  return ok({ channel: channelInfo(state, found.id) });
}

function usersInfo({ state, params }: Call): ApiAnswer {
  const id = str(params.user);
  const user = id === undefined ? undefined : state.users.get(id);
  if (!id || !user) return fail("user_not_found");
  const profile = {
    real_name: user.real_name,
    real_name_normalized: user.real_name,
    display_name: user.name,
  };
  return ok({
    user: {
      id,
      team_id: TEAM_ID,
      name: user.name,
      real_name: user.real_name,
      deleted: false,
      is_bot: id === BOT_USER_ID,
      is_admin: user.is_admin ?? false,
      is_owner: user.is_owner ?? false,
      is_primary_owner: user.is_primary_owner ?? false,
      // A single-channel guest is a restricted member too (Slack sets both for them).
      is_restricted: Boolean(user.is_restricted || user.is_ultra_restricted),
      is_ultra_restricted: user.is_ultra_restricted ?? false,
      is_app_user: false,
      profile,
    },
  });
}

const authTest: Handler = () =>
  ok({
    url: `https://${TEAM_DOMAIN}.slack.com/`,
    team: "Ardary Test",
    user: "ardary-bridge",
    team_id: TEAM_ID,
    user_id: BOT_USER_ID,
    bot_id: BOT_ID,
    is_enterprise_install: false,
  });

const teamInfo: Handler = () =>
  ok({
    team: { id: TEAM_ID, name: "Ardary Test", domain: TEAM_DOMAIN, email_domain: "", icon: {} },
  });

const METHODS: Record<string, Handler> = {
  ...CHAT_METHODS,
  ...ADMIN_METHODS,
  ...FILE_METHODS,
  "auth.test": authTest,
  "conversations.info": conversationsInfo,
  "conversations.join": conversationsJoin,
  "users.info": usersInfo,
  "team.info": teamInfo,
  "views.open": (call) => viewsOpen(call, call.state.triggers, call.state.views),
};

/**
 * Answers one Web API call. `token` is what the request carried (Authorization: Bearer, or
 * a `token` form field); undefined means none.
 */
export function callMethod(
  state: SlackState,
  config: ApiConfig,
  method: string,
  params: Params,
  token: string | undefined,
): ApiAnswer {
  if (token === undefined) return fail("not_authed");
  if (token !== config.botToken) return fail("invalid_auth");
  if (config.refused) return fail(config.refused);
  const handler = METHODS[method];
  if (!handler) return fail("unknown_method", { req_method: method });
  const channel = str(params.channel);
  const retryAfter = channel === undefined ? undefined : state.rateLimited(method, channel);
  if (retryAfter !== undefined) {
    return { status: 429, body: { ok: false, error: "ratelimited" }, retryAfter };
  }
  return handler({ state, config, params });
}
