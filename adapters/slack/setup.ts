// What the setup page and `doctor` say of Slack: the token (auth.test), the channel and the bot in
// it (conversations.info), the events received (the last one's time, kept by the adapter), how
// events arrive (Socket Mode or the events URL) and the app's manifest for this bridge. No SDK is
// loaded here (the descriptor imports it): the client comes from the adapter.
// https://docs.slack.dev/reference/methods/auth.test
// https://docs.slack.dev/reference/methods/conversations.info
import type { WebClient } from "@slack/web-api";
import type { SetupContext, SetupLine } from "../../src/contracts/index.ts";
import { errorMessage, NoAnswerError } from "../../src/kernel/errors.ts";
// No SDK is loaded by refusals.ts either: the descriptor imports this file.
import { slackErrorCode, TOKEN_REFUSED } from "./refusals.ts";

export interface SlackCheckSources {
  client: WebClient;
  channel: string;
  socketMode: boolean;
  /** When this bridge last received anything from Slack (any process), if ever. */
  lastEvent(): Promise<Date | undefined>;
}

const noAnswer = (id: string, label: string, err: NoAnswerError): SetupLine => ({
  id,
  label,
  state: "warn",
  found: `no answer from Slack (${err.message.replace(/^[^:]*: /, "")})`,
  todo: "look again in a minute; if Slack still does not answer, see https://slack-status.com",
});

/** The lines that ask Slack, at most once a minute (`ctx.remote`). */
export async function slackChecks(s: SlackCheckSources, ctx: SetupContext): Promise<SetupLine[]> {
  const lines: SetupLine[] = [];
  let tokenOk = false;
  try {
    const me = await ctx.remote("auth.test", () => s.client.auth.test());
    tokenOk = true;
    lines.push({
      id: "token",
      label: "Bot token",
      state: "ok",
      found: `valid: workspace ${me.team ?? "?"}, bot @${me.user ?? "?"}`,
    });
  } catch (err) {
    const code = slackErrorCode(err);
    lines.push(
      err instanceof NoAnswerError
        ? noAnswer("token", "Bot token", err)
        : code && TOKEN_REFUSED.has(code)
          ? {
              id: "token",
              label: "Bot token",
              state: "fail",
              found: `Slack refuses SLACK_BOT_TOKEN (${code})`,
              todo: "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…, OAuth & Permissions), then restart",
            }
          : {
              id: "token",
              label: "Bot token",
              state: "warn",
              found: `not checked: ${code ?? errorMessage(err)}`,
              todo: "look again in a minute",
            },
    );
  }

  let channelName = s.channel;
  if (tokenOk) {
    try {
      const info = await ctx.remote("conversations.info", () =>
        s.client.conversations.info({ channel: s.channel }),
      );
      const ch = info.channel;
      channelName = ch?.name ? `#${ch.name}` : s.channel;
      lines.push(
        ch?.is_archived
          ? {
              id: "channel",
              label: "Channel",
              state: "fail",
              found: `${channelName} is archived`,
              todo: "unarchive it, or set SLACK_CHANNEL to another channel's ID",
            }
          : ch?.is_member === false
            ? {
                id: "channel",
                label: "Channel",
                state: "warn",
                found: `${channelName} found, but the bot is not in it`,
                todo: `in ${channelName}, type \`/invite @Ardary SMS\`: replies in its threads reach the bridge only then`,
              }
            : {
                id: "channel",
                label: "Channel",
                state: "ok",
                found: `${channelName}, the bot is in it`,
              },
      );
    } catch (err) {
      const code = slackErrorCode(err);
      lines.push(
        err instanceof NoAnswerError
          ? noAnswer("channel", "Channel", err)
          : code === "channel_not_found"
            ? {
                id: "channel",
                label: "Channel",
                state: "fail",
                found: `SLACK_CHANNEL names no channel the bot can see (${s.channel})`,
                todo: "set SLACK_CHANNEL to the channel's ID (C…, at the bottom of its details); a private channel: invite the bot first",
              }
            : {
                id: "channel",
                label: "Channel",
                state: "warn",
                found: `not checked: ${code ?? errorMessage(err)}`,
                todo: "look again in a minute",
              },
      );
    }
  } else {
    lines.push({
      id: "channel",
      label: "Channel",
      state: "warn",
      found: `not checked (${s.channel}): the token must work first`,
    });
  }

  const last = await s.lastEvent();
  const events = s.socketMode
    ? "Slack sends them over Socket Mode: check that it is on in the app and that SLACK_APP_TOKEN is the app's"
    : `Slack sends them to ${ctx.publicUrl ? `${ctx.publicUrl.replace(/\/$/, "")}/slack/events` : "<PUBLIC_URL>/slack/events"}: the app's Event Subscriptions, Interactivity and /sms must use it (the manifest below has it)`;
  lines.push(
    last
      ? { id: "events", label: "Events", state: "ok", found: `last received ${ctx.ago(last)}` }
      : {
          id: "events",
          label: "Events",
          state: "warn",
          found: "none received yet",
          todo: `write a message in ${channelName}; if it never shows here, ${events}`,
        },
  );
  return lines;
}

/** Lines from the configuration alone: how events arrive, and the app's manifest. */
export function slackLines(config: { appToken?: string } | null, ctx: SetupContext): SetupLine[] {
  const base = ctx.publicUrl?.replace(/\/$/, "");
  const local = base !== undefined && /^http:\/\/(localhost|127\.|\[::1\])/.test(base);
  const manifest: SetupLine = {
    id: "manifest",
    label: "App manifest",
    state: config ? "ok" : "off",
    found: base
      ? local
        ? "Slack cannot reach this address: create the app in Socket Mode"
        : "the Slack app's manifest, this bridge's address filled in"
      : "the Slack app's manifest: set PUBLIC_URL for one with this bridge's address",
    todo: 'create the app from it: https://api.slack.com/apps, "Create New App" > "From a manifest"',
    ...(base
      ? {
          link: local
            ? {
                href: "/setup/slack-manifest.yml?mode=socket",
                text: "slack-manifest.yml (Socket Mode)",
              }
            : { href: "/setup/slack-manifest.yml", text: "slack-manifest.yml" },
        }
      : {}),
    command: `npx ardary-bridge slack manifest${local || !base ? " --socket-mode" : ""}`,
  };
  if (!config) return [manifest];
  const connection: SetupLine = config.appToken
    ? {
        id: "connection",
        label: "Connection",
        state: "ok",
        found: "Socket Mode (SLACK_APP_TOKEN): no public address needed",
      }
    : !base
      ? {
          id: "connection",
          label: "Connection",
          state: "warn",
          found: "events URL: not known, PUBLIC_URL is not set",
          todo: "set PUBLIC_URL, or use Socket Mode (SLACK_APP_TOKEN)",
        }
      : !base.startsWith("https://")
        ? {
            id: "connection",
            label: "Connection",
            state: "warn",
            found: `events URL ${base}/slack/events: Slack calls https:// addresses only`,
            todo: "use Socket Mode (SLACK_APP_TOKEN), or serve the bridge over https and set PUBLIC_URL",
          }
        : {
            id: "connection",
            label: "Connection",
            state: "ok",
            found: `events URL ${base}/slack/events`,
          };
  return [connection, manifest];
}
