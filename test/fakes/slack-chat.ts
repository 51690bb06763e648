// chat.* and reactions.* of the fake Slack, answered from SlackState as Slack answers them.
// Reference: https://docs.slack.dev/reference/methods (each method's "Errors" table).

import {
  type ApiAnswer,
  bool,
  type Call,
  channelProblem,
  fail,
  type Handler,
  ok,
  type Params,
  str,
} from "./slack-answer.ts";
import { blocksProblem } from "./slack-blocks.ts";
import {
  APP_ID,
  BOT_ID,
  BOT_USER_ID,
  type FakeMessage,
  type SlackState,
  TEAM_DOMAIN,
  TEAM_ID,
} from "./slack-state.ts";

function content(
  params: Params,
  required: boolean,
): { text?: string; blocks?: unknown[] } | { refusal: ApiAnswer } {
  let blocks: unknown = params.blocks;
  if (typeof blocks === "string") {
    try {
      blocks = JSON.parse(blocks);
    } catch {
      return { refusal: fail("invalid_blocks_format") };
    }
  }
  if (blocks !== undefined && !Array.isArray(blocks)) {
    return { refusal: fail("invalid_blocks_format") };
  }
  const problem = blocks === undefined ? undefined : blocksProblem(blocks);
  if (problem) {
    const messages = [`[ERROR] ${problem}`];
    return {
      refusal: fail("invalid_blocks", { errors: [problem], response_metadata: { messages } }),
    };
  }
  const text = str(params.text);
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  if (required && text === undefined && !hasBlocks && params.attachments === undefined) {
    return { refusal: fail("no_text") };
  }
  if (text !== undefined && text.length > 40_000) return { refusal: fail("msg_too_long") };
  return { text, blocks: blocks as unknown[] | undefined };
}

/**
 * chat.postMessage's `metadata`: JSON (a form body carries it as a string) with a string
 * event_type and an object event_payload. https://docs.slack.dev/messaging/message-metadata
 */
function metadataOf(value: unknown): FakeMessage["metadata"] | "invalid" | undefined {
  if (value === undefined || value === "") return undefined;
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return "invalid";
    }
  }
  const m = parsed as { event_type?: unknown; event_payload?: unknown };
  if (typeof m?.event_type !== "string" || !/^[\w.-]+$/.test(m.event_type)) return "invalid";
  if (typeof m.event_payload !== "object" || m.event_payload === null) return "invalid";
  return { event_type: m.event_type, event_payload: m.event_payload as Record<string, unknown> };
}

/** A message as Slack shows it in API answers (metadata only when asked for). */
function view(state: SlackState, m: FakeMessage, withMetadata = false): Record<string, unknown> {
  const parent = m.thread_ts ? state.message(m.channel, m.thread_ts) : undefined;
  const replies = state.thread(m.channel, m.ts).length > 1;
  return {
    type: m.type,
    ...(m.subtype ? { subtype: m.subtype } : {}),
    text: m.text,
    user: m.user,
    ...(m.bot_id ? { bot_id: m.bot_id, app_id: APP_ID } : {}),
    team: TEAM_ID,
    ts: m.ts,
    ...(m.thread_ts ? { thread_ts: m.thread_ts, parent_user_id: parent?.user } : {}),
    ...(replies && !m.thread_ts ? { thread_ts: m.ts } : {}),
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ...(m.edited ? { edited: m.edited } : {}),
    ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
    ...(m.reactions.length > 0
      ? { reactions: m.reactions.map((r) => ({ ...r, count: r.users.length })) }
      : {}),
  };
}

/** The bot's live (not tombstoned) message, or the refusal. */
function ownMessage(
  state: SlackState,
  channel: string,
  ts: string | undefined,
  notOwn: string,
): FakeMessage | ApiAnswer {
  const message = ts === undefined ? undefined : state.message(channel, ts);
  if (!message || message.subtype === "tombstone") return fail("message_not_found");
  if (message.user !== BOT_USER_ID) return fail(notOwn);
  return message;
}

const isAnswer = (value: FakeMessage | ApiAnswer): value is ApiAnswer => "status" in value;

function postMessage({ state, config, params }: Call): ApiAnswer {
  const channel = str(params.channel);
  const refused = channelProblem(state, channel, "member");
  if (refused || channel === undefined) return refused ?? fail("channel_not_found");
  const body = content(params, true);
  if ("refusal" in body) return body.refusal;
  const asked = str(params.thread_ts);
  let threadTs: string | undefined;
  if (asked !== undefined) {
    const parent = state.message(channel, asked);
    // A reply's ts threads under that reply's parent, as Slack does.
    threadTs = parent ? (parent.thread_ts ?? parent.ts) : undefined;
    if (!parent && config.missingThread === "thread_not_found") return fail("thread_not_found");
  }
  const metadata = metadataOf(params.metadata);
  if (metadata === "invalid") return fail("invalid_metadata_format");
  const broadcast = bool(params.reply_broadcast) ?? false;
  const message: FakeMessage = {
    type: "message",
    channel,
    ts: state.nextTs(),
    ...(threadTs ? { thread_ts: threadTs } : {}),
    ...(threadTs && broadcast ? { subtype: "thread_broadcast" } : {}),
    user: BOT_USER_ID,
    bot_id: BOT_ID,
    text: body.text ?? "",
    ...(body.blocks ? { blocks: body.blocks } : {}),
    reactions: [],
    ...(metadata ? { metadata } : {}),
  };
  state.insert(message);
  state.posts.push({
    channel,
    ts: message.ts,
    ...(asked !== undefined ? { thread_ts: asked } : {}),
    ...(asked !== undefined && !threadTs ? { unthreaded: true } : {}),
    text: body.text,
    blocks: body.blocks,
    reply_broadcast: broadcast,
    unfurl_links: bool(params.unfurl_links),
    at: Date.now(),
  });
  return ok({ channel, ts: message.ts, message: view(state, message, true) });
}

function update({ state, params }: Call): ApiAnswer {
  const channel = str(params.channel);
  const refused = channelProblem(state, channel, "member");
  if (refused || channel === undefined) return refused ?? fail("channel_not_found");
  const message = ownMessage(state, channel, str(params.ts), "cant_update_message");
  if (isAnswer(message)) return message;
  const body = content(params, true);
  if ("refusal" in body) return body.refusal;
  // Omitted blocks keep the old ones; an empty array removes them (as Slack documents).
  if (body.text !== undefined) message.text = body.text;
  if (body.blocks !== undefined) {
    if (body.blocks.length > 0) message.blocks = body.blocks;
    else delete message.blocks;
  }
  message.edited = { user: BOT_USER_ID, ts: state.nextTs() };
  state.updates.push({
    channel,
    ts: message.ts,
    text: body.text,
    blocks: body.blocks,
    at: Date.now(),
  });
  return ok({ channel, ts: message.ts, text: message.text, message: view(state, message) });
}

function remove({ state, params }: Call): ApiAnswer {
  const channel = str(params.channel);
  const refused = channelProblem(state, channel, "member");
  if (refused || channel === undefined) return refused ?? fail("channel_not_found");
  const message = ownMessage(state, channel, str(params.ts), "cant_delete_message");
  if (isAnswer(message)) return message;
  state.deleteMessage(channel, message.ts);
  return ok({ channel, ts: message.ts });
}

function postEphemeral({ state, params }: Call): ApiAnswer {
  const channel = str(params.channel);
  const refused = channelProblem(state, channel, "member");
  if (refused || channel === undefined) return refused ?? fail("channel_not_found");
  const user = str(params.user);
  if (user === undefined) return fail("user_not_in_channel");
  const body = content(params, true);
  if ("refusal" in body) return body.refusal;
  const threadTs = str(params.thread_ts);
  state.ephemerals.push({
    channel,
    user,
    text: body.text,
    blocks: body.blocks,
    ...(threadTs ? { thread_ts: threadTs } : {}),
    at: Date.now(),
  });
  return ok({ message_ts: state.nextTs() });
}

function getPermalink({ state, params }: Call): ApiAnswer {
  const channel = str(params.channel);
  const refused = channelProblem(state, channel, "exists");
  if (refused || channel === undefined) return refused ?? fail("channel_not_found");
  const ts = str(params.message_ts);
  const message = ts === undefined ? undefined : state.message(channel, ts);
  if (!message) return fail("message_not_found");
  const base = `https://${TEAM_DOMAIN}.slack.com/archives/${channel}/p${message.ts.replace(".", "")}`;
  const thread = message.thread_ts ? `?thread_ts=${message.thread_ts}&cid=${channel}` : "";
  return ok({ channel, permalink: base + thread });
}

function reaction(add: boolean): Handler {
  return ({ state, params }) => {
    const channel = str(params.channel);
    const refused = channelProblem(state, channel, "member");
    if (refused || channel === undefined) return refused ?? fail("channel_not_found");
    const ts = str(params.timestamp);
    const message = ts === undefined ? undefined : state.message(channel, ts);
    if (!message || message.subtype === "tombstone") return fail("message_not_found");
    const name = str(params.name)?.replace(/^:|:$/g, "");
    if (!name || !/^[a-z0-9_+'-]+$/.test(name)) return fail("invalid_name");
    const existing = message.reactions.find((r) => r.name === name);
    const mine = existing?.users.includes(BOT_USER_ID) ?? false;
    if (add) {
      if (mine) return fail("already_reacted");
      if (existing) existing.users.push(BOT_USER_ID);
      else message.reactions.push({ name, users: [BOT_USER_ID] });
    } else {
      if (!existing || !mine) return fail("no_reaction");
      existing.users = existing.users.filter((u) => u !== BOT_USER_ID);
      if (existing.users.length === 0)
        message.reactions.splice(message.reactions.indexOf(existing), 1);
    }
    return ok();
  };
}

/**
 * conversations.replies: the parent, then the replies after `oldest` (and up to `latest`), a
 * page of `limit` at a time (cursor); metadata with include_all_metadata.
 * https://docs.slack.dev/reference/methods/conversations.replies
 */
function replies({ state, params }: Call): ApiAnswer {
  const channel = str(params.channel);
  const refused = channelProblem(state, channel, "exists");
  if (refused || channel === undefined) return refused ?? fail("channel_not_found");
  const ts = str(params.ts);
  const all = ts === undefined ? [] : state.thread(channel, ts);
  if (all.length === 0) return fail("thread_not_found");
  const oldest = Number(str(params.oldest) ?? 0);
  const latest = Number(str(params.latest) ?? Number.POSITIVE_INFINITY);
  const inclusive = bool(params.inclusive) ?? false;
  const within = (t: number) => (inclusive ? t >= oldest && t <= latest : t > oldest && t < latest);
  const [parent, ...rest] = all;
  const list = [parent, ...rest.filter((m) => within(Number(m.ts)))];
  const limit = Math.min(1000, Math.max(1, Number(str(params.limit) ?? 1000)));
  const start = Number(str(params.cursor) ?? 0);
  const page = list.slice(start, start + limit);
  const more = start + limit < list.length;
  const withMetadata = bool(params.include_all_metadata) ?? false;
  return ok({
    messages: page.map((m) => view(state, m as FakeMessage, withMetadata)),
    has_more: more,
    response_metadata: { next_cursor: more ? String(start + limit) : "" },
  });
}

/**
 * conversations.history: the channel's own messages (parents, tombstones, broadcast replies;
 * not thread replies), newest first, between `oldest` and `latest`, a page of `limit` (default
 * 100, at most 999) at a time; metadata with include_all_metadata. A bot must be a member.
 * https://docs.slack.dev/reference/methods/conversations.history
 */
function history({ state, params }: Call): ApiAnswer {
  const channel = str(params.channel);
  const refused = channelProblem(state, channel, "member");
  if (refused || channel === undefined) return refused ?? fail("channel_not_found");
  const oldest = Number(str(params.oldest) ?? 0);
  const latest = Number(str(params.latest) ?? Number.POSITIVE_INFINITY);
  const inclusive = bool(params.inclusive) ?? false;
  const within = (t: number) => (inclusive ? t >= oldest && t <= latest : t > oldest && t < latest);
  const list = state
    .messages(channel)
    .filter((m) => !m.thread_ts || m.subtype === "thread_broadcast")
    .filter((m) => within(Number(m.ts)))
    .reverse();
  const limit = Math.min(999, Math.max(1, Number(str(params.limit) ?? 100)));
  const start = Number(str(params.cursor) ?? 0);
  const page = list.slice(start, start + limit);
  const more = start + limit < list.length;
  const withMetadata = bool(params.include_all_metadata) ?? false;
  return ok({
    messages: page.map((m) => view(state, m, withMetadata)),
    has_more: more,
    pin_count: 0,
    response_metadata: { next_cursor: more ? String(start + limit) : "" },
  });
}

export const CHAT_METHODS: Record<string, Handler> = {
  "conversations.replies": replies,
  "conversations.history": history,
  "chat.postMessage": postMessage,
  "chat.update": update,
  "chat.delete": remove,
  "chat.postEphemeral": postEphemeral,
  "chat.getPermalink": getPermalink,
  "reactions.add": reaction(true),
  "reactions.remove": reaction(false),
};
