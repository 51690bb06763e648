// Sends requests to the app under test exactly as Slack does, signed with the v0 scheme:
// X-Slack-Request-Timestamp = unix seconds, X-Slack-Signature = "v0=" + hex HMAC-SHA256 of
// `v0:${timestamp}:${rawBody}` with the signing secret
// (https://docs.slack.dev/authentication/verifying-requests-from-slack).
// - events: JSON event_callback envelope; a retry carries X-Slack-Retry-Num/-Reason and the
//   same event_id (https://docs.slack.dev/apis/events-api/#retries)
// - slash commands: application/x-www-form-urlencoded fields
// - interactivity: form field `payload` holding the JSON (block_actions)
// Every call takes `sign` overrides to test refusals: a wrong secret, an old timestamp.
//
// Use `fake.signer` (bound to a FakeSlack: its secret, response_url on the fake, the clicked
// message looked up in its state) or `createSlackSigner({ signingSecret })` standalone.

import { createHmac, randomUUID } from "node:crypto";

export interface SignOverrides {
  /** Sign with this secret instead of the right one. */
  secret?: string;
  /** Unix seconds to sign with (e.g. now - 600 for a stale request). */
  timestamp?: number;
}

export interface SlackReply {
  status: number;
  /** Parsed JSON when the answer is JSON, else the text ("" for an empty body). */
  body: unknown;
}

export interface EventOptions extends SignOverrides {
  eventId?: string;
  /** Sets X-Slack-Retry-Num (Slack's retries are 1, 2, 3). */
  retryNum?: number;
  /** X-Slack-Retry-Reason, default "http_timeout". */
  retryReason?: string;
  teamId?: string;
}

export interface CommandInput extends SignOverrides {
  command?: string;
  text: string;
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  /** Default: a fresh /response/:id on the fake (or a dummy URL when standalone). */
  responseUrl?: string;
}

export interface ActionInput extends SignOverrides {
  actionId: string;
  value: string;
  /** A users_select pick: the action is then a users_select with `selected_user`. */
  selectedUser?: string;
  userId: string;
  userName?: string;
  channelId: string;
  /** ts of the message holding the button. */
  messageTs: string;
  blockId?: string;
  responseUrl?: string;
}

export interface SlackSignerOptions {
  signingSecret: string;
  teamId?: string;
  botUserId?: string;
  appId?: string;
  /** Builds a response_url (FakeSlack passes its /response/:id). */
  responseUrl?: () => string;
  /** Told of each trigger_id handed out (with the user), so views.open can check it. */
  onTrigger?: (triggerId: string, userId: string) => void;
  /** The message a button belongs to, to put in block_actions payloads. */
  lookupMessage?: (
    channel: string,
    ts: string,
  ) => { text: string; blocks?: unknown[]; user: string } | undefined;
}

export interface SlackSigner {
  sendEvent(
    targetUrl: string,
    event: Record<string, unknown>,
    options?: EventOptions,
  ): Promise<SlackReply>;
  sendCommand(targetUrl: string, input: CommandInput): Promise<SlackReply>;
  sendAction(targetUrl: string, input: ActionInput): Promise<SlackReply>;
  /** The block_actions payload sendAction sends (to send another way: Socket Mode). */
  actionPayload(input: ActionInput): Record<string, unknown>;
  sendUrlVerification(
    targetUrl: string,
    options?: SignOverrides & { challenge?: string },
  ): Promise<SlackReply>;
  /** Signs and POSTs any body (escape hatch for odd cases). */
  send(
    targetUrl: string,
    rawBody: string,
    contentType: string,
    headers?: Record<string, string>,
    sign?: SignOverrides,
  ): Promise<SlackReply>;
}

/** The two headers Slack signs a request with. */
export function signatureHeaders(
  secret: string,
  timestampSec: number,
  rawBody: string,
): Record<string, string> {
  const hmac = createHmac("sha256", secret).update(`v0:${timestampSec}:${rawBody}`).digest("hex");
  return { "X-Slack-Request-Timestamp": String(timestampSec), "X-Slack-Signature": `v0=${hmac}` };
}

let sequence = 0;
const nextId = (prefix: string) =>
  `${prefix}${Date.now().toString(36).toUpperCase()}${(++sequence).toString(36).toUpperCase().padStart(4, "0")}`;
const triggerId = () =>
  `${Date.now()}.${Math.floor(Math.random() * 1e12)}.${randomUUID().replace(/-/g, "")}`;

export function createSlackSigner(options: SlackSignerOptions): SlackSigner {
  const teamId = options.teamId ?? "T0TEAM";
  const appId = options.appId ?? "A0FAKEAPP";
  const botUserId = options.botUserId ?? "U0BOT";
  const responseUrl =
    options.responseUrl ?? (() => `https://hooks.slack.com/commands/${teamId}/${nextId("")}/fake`);
  const team = { id: teamId, domain: "ardary-test" };
  const trigger = (userId: string) => {
    const id = triggerId();
    options.onTrigger?.(id, userId);
    return id;
  };

  async function send(
    targetUrl: string,
    rawBody: string,
    contentType: string,
    headers: Record<string, string> = {},
    sign: SignOverrides = {},
  ): Promise<SlackReply> {
    const timestamp = sign.timestamp ?? Math.floor(Date.now() / 1000);
    const response = await fetch(targetUrl, {
      method: "POST",
      headers: {
        "Content-Type": contentType,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        ...signatureHeaders(sign.secret ?? options.signingSecret, timestamp, rawBody),
        ...headers,
      },
      body: rawBody,
    });
    const text = await response.text();
    let body: unknown = text;
    if (response.headers.get("content-type")?.includes("json")) {
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON after all: keep the text.
      }
    }
    return { status: response.status, body };
  }

  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const FORM = "application/x-www-form-urlencoded";

  return {
    send,
    sendEvent(targetUrl, event, eventOptions = {}) {
      const envelopeTeam = eventOptions.teamId ?? teamId;
      const envelope = {
        token: "legacy-verification-token",
        team_id: envelopeTeam,
        context_team_id: envelopeTeam,
        api_app_id: appId,
        event: { event_ts: event.ts ?? `${(Date.now() / 1000).toFixed(6)}`, ...event },
        type: "event_callback",
        event_id: eventOptions.eventId ?? nextId("Ev"),
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [
          {
            enterprise_id: null,
            team_id: envelopeTeam,
            user_id: botUserId,
            is_bot: true,
            is_enterprise_install: false,
          },
        ],
        is_ext_shared_channel: false,
        event_context: nextId("4-"),
      };
      const retry: Record<string, string> =
        eventOptions.retryNum === undefined
          ? {}
          : {
              "X-Slack-Retry-Num": String(eventOptions.retryNum),
              "X-Slack-Retry-Reason": eventOptions.retryReason ?? "http_timeout",
            };
      return send(targetUrl, JSON.stringify(envelope), "application/json", retry, eventOptions);
    },
    sendCommand(targetUrl, input) {
      const body = form({
        token: "legacy-verification-token",
        team_id: teamId,
        team_domain: team.domain,
        channel_id: input.channelId,
        channel_name: input.channelName ?? input.channelId.toLowerCase(),
        user_id: input.userId,
        user_name: input.userName ?? input.userId.toLowerCase(),
        command: input.command ?? "/sms",
        text: input.text,
        api_app_id: appId,
        is_enterprise_install: "false",
        response_url: input.responseUrl ?? responseUrl(),
        trigger_id: trigger(input.userId),
      });
      return send(targetUrl, body, FORM, {}, input);
    },
    sendAction(targetUrl, input) {
      const payload = this.actionPayload(input);
      return send(targetUrl, form({ payload: JSON.stringify(payload) }), FORM, {}, input);
    },
    actionPayload(input) {
      const message = options.lookupMessage?.(input.channelId, input.messageTs);
      const block_id = input.blockId ?? blockIdOf(message?.blocks, input.actionId) ?? "actions";
      const action_ts = (Date.now() / 1000).toFixed(6);
      const action = input.selectedUser
        ? {
            type: "users_select",
            action_id: input.actionId,
            block_id,
            selected_user: input.selectedUser,
            action_ts,
          }
        : {
            type: "button",
            action_id: input.actionId,
            block_id,
            value: input.value,
            text: { type: "plain_text", text: input.actionId, emoji: true },
            action_ts,
          };
      return {
        type: "block_actions",
        user: {
          id: input.userId,
          username: input.userName ?? input.userId.toLowerCase(),
          team_id: teamId,
        },
        api_app_id: appId,
        token: "legacy-verification-token",
        container: {
          type: "message",
          message_ts: input.messageTs,
          channel_id: input.channelId,
          is_ephemeral: false,
        },
        trigger_id: trigger(input.userId),
        team,
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: input.channelId, name: input.channelId.toLowerCase() },
        message: {
          type: "message",
          ts: input.messageTs,
          text: message?.text ?? "",
          ...(message?.user ? { user: message.user } : {}),
          ...(message?.blocks ? { blocks: message.blocks } : {}),
        },
        state: { values: {} },
        response_url: input.responseUrl ?? responseUrl(),
        actions: [action],
      };
    },
    sendUrlVerification(targetUrl, verification = {}) {
      const body = {
        token: "legacy-verification-token",
        challenge: verification.challenge ?? nextId("challenge-"),
        type: "url_verification",
      };
      return send(targetUrl, JSON.stringify(body), "application/json", {}, verification);
    },
  };
}

/** The block_id of the block holding this action in a message's blocks, if any. */
function blockIdOf(blocks: unknown[] | undefined, actionId: string): string | undefined {
  for (const block of blocks ?? []) {
    const b = block as {
      block_id?: string;
      elements?: { action_id?: string }[];
      accessory?: { action_id?: string };
    };
    const holds =
      b.elements?.some((e) => e.action_id === actionId) || b.accessory?.action_id === actionId;
    if (holds && b.block_id) return b.block_id;
  }
  return undefined;
}
