// Events a person's actions produce, built the way Slack sends them
// (https://docs.slack.dev/reference/events/message and its subtypes message_changed,
// message_deleted, file_share), and applied to the fake's state so that the Web API sees
// the same channel as the app under test. Send them with the signer (sendEvent).

import { randomUUID } from "node:crypto";
import { type FakeMessage, type SlackState, TEAM_ID } from "./slack-state.ts";

/** A person's message; `files` makes it a file_share. */
export interface UserMessageInput {
  channel: string;
  user: string;
  text: string;
  thread_ts?: string;
  files?: { name: string; mimetype?: string }[];
}

type SlackEvent = Record<string, unknown>;

/** The message object as it appears inside events. */
function inner(state: SlackState, m: FakeMessage, clientMsgId?: string): SlackEvent {
  const parent = m.thread_ts ? state.message(m.channel, m.thread_ts) : undefined;
  return {
    type: "message",
    ...(m.subtype ? { subtype: m.subtype } : {}),
    user: m.user,
    text: m.text,
    ts: m.ts,
    ...(m.thread_ts ? { thread_ts: m.thread_ts, parent_user_id: parent?.user } : {}),
    ...(m.edited ? { edited: m.edited } : {}),
    ...(clientMsgId ? { client_msg_id: clientMsgId } : {}),
    team: TEAM_ID,
    blocks: [
      {
        type: "rich_text",
        block_id: m.ts.replace(".", "").slice(-5),
        elements: [{ type: "rich_text_section", elements: richTextElements(m.text) }],
      },
    ],
  };
}

const STYLES: Record<string, string> = { "*": "bold", _: "italic", "~": "strike", "`": "code" };

/**
 * The rich_text elements Slack's composer sends along a message's mrkdwn text: styled text,
 * links, user and channel mentions, broadcasts and emoji as elements of their own
 * (https://docs.slack.dev/reference/block-kit/blocks/rich-text-block). One section, no lists.
 */
function richTextElements(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const plain = (t: string) => {
    if (t) out.push({ type: "text", text: t });
  };
  const re = /<([^<>|]+)(?:\|([^<>]*))?>|:([a-z0-9_+'-]+):|([*_~`])([^*_~`\n]+?)\4/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    plain(text.slice(last, m.index));
    last = m.index + m[0].length;
    const [, target, label, emoji, mark, styled] = m;
    if (emoji !== undefined) out.push({ type: "emoji", name: emoji });
    else if (mark !== undefined && styled !== undefined) {
      out.push({ type: "text", text: styled, style: { [STYLES[mark] ?? "bold"]: true } });
    } else if (target?.startsWith("@")) out.push({ type: "user", user_id: target.slice(1) });
    else if (target?.startsWith("#")) out.push({ type: "channel", channel_id: target.slice(1) });
    else if (target?.startsWith("!")) out.push({ type: "broadcast", range: target.slice(1) });
    else out.push({ type: "link", url: target, ...(label ? { text: label } : {}) });
  }
  plain(text.slice(last));
  return out;
}

/** Stores a person's message and returns its `message` event. */
export function userMessageEvent(state: SlackState, input: UserMessageInput): SlackEvent {
  const ts = state.nextTs();
  const message: FakeMessage = {
    type: "message",
    channel: input.channel,
    ts,
    ...(input.thread_ts ? { thread_ts: input.thread_ts } : {}),
    ...(input.files ? { subtype: "file_share" } : {}),
    user: input.user,
    text: input.text,
    reactions: [],
  };
  state.insert(message);
  const files = input.files?.map((f, i) => ({
    id: `F0${ts.replace(".", "")}${i}`,
    name: f.name,
    title: f.name,
    mimetype: f.mimetype ?? "application/octet-stream",
    filetype: f.name.split(".").pop() ?? "binary",
    user: input.user,
    url_private: `https://files.slack.com/files-pri/${TEAM_ID}-F0${i}/${encodeURIComponent(f.name)}`,
  }));
  return {
    ...inner(state, message, randomUUID()),
    ...(files ? { files, upload: false, display_as_bot: false } : {}),
    channel: input.channel,
    event_ts: ts,
    channel_type: "channel",
  };
}

/** Edits a person's message and returns the message_changed event. */
export function userEditEvent(
  state: SlackState,
  channel: string,
  ts: string,
  text: string,
): SlackEvent {
  const message = state.message(channel, ts);
  if (!message) throw new Error(`fake Slack: no message ${channel}/${ts} to edit`);
  const previous = inner(state, message);
  const eventTs = state.nextTs();
  message.text = text;
  message.edited = { user: message.user, ts: eventTs };
  return {
    type: "message",
    subtype: "message_changed",
    hidden: true,
    channel,
    message: inner(state, message),
    previous_message: previous,
    ts: eventTs,
    event_ts: eventTs,
    channel_type: "channel",
  };
}

/** Deletes a person's message and returns the message_deleted event. */
export function userDeleteEvent(state: SlackState, channel: string, ts: string): SlackEvent {
  const message = state.message(channel, ts);
  if (!message) throw new Error(`fake Slack: no message ${channel}/${ts} to delete`);
  const previous = inner(state, message);
  state.deleteMessage(channel, ts);
  const eventTs = state.nextTs();
  return {
    type: "message",
    subtype: "message_deleted",
    hidden: true,
    channel,
    ts: eventTs,
    deleted_ts: ts,
    event_ts: eventTs,
    previous_message: previous,
    channel_type: "channel",
  };
}
