// What the setup page and `doctor` say of Discord: the token and its application (the Message
// Content intent switched on), which process holds the gateway connection (one at a time:
// leader.ts, through the core's lock), the channel (text or forum) and the bot's view of it,
// and whether /sms is registered. Calls go through `ctx.remote` (at most once a minute).
// https://discord.com/developers/docs/resources/application#application-object-application-flags
import {
  type APIApplication,
  type APIChannel,
  DiscordAPIError,
  type REST,
  Routes,
} from "discord.js";
import type {
  SessionLock,
  SetupContext,
  SetupLine,
  StateStore,
} from "../../src/contracts/index.ts";
import { errorMessage, NoAnswerError } from "../../src/kernel/errors.ts";

/** Application flags: the Message Content intent, for a verified app or (limited) not yet. */
const MESSAGE_CONTENT = (1 << 18) | (1 << 19);
const TEXT = 0;
const FORUM = 15;
/** The forum tags the bridge applies (docs/discord.md). */
const TAGS = ["open", "closed", "opted-out"];

/** What the gateway's holder writes down (state `gateway`) for the others to read. */
export interface GatewayHolder {
  process: string;
  since: string;
}

export interface DiscordCheckSources {
  rest: Pick<REST, "get">;
  applicationId: string;
  channel: string;
  /**
   * This process and the gateway: holding it and connected, connecting, standing by (started:
   * it would take it over), or not competing for it (not started: `doctor`).
   */
  here(): "connected" | "connecting" | "standby" | "no";
  processName: string;
  lock: SessionLock;
  state: StateStore;
}

function failure(id: string, label: string, err: unknown): SetupLine {
  if (err instanceof NoAnswerError)
    return {
      id,
      label,
      state: "warn",
      found: `no answer from Discord (${err.message.replace(/^[^:]*: /, "")})`,
      todo: "look again in a minute; if Discord still does not answer, see https://discordstatus.com",
    };
  return {
    id,
    label,
    state: "warn",
    found: `not checked: ${errorMessage(err)}`,
    todo: "look again in a minute",
  };
}

const code = (err: unknown) => (err instanceof DiscordAPIError ? err.code : undefined);
const status = (err: unknown) => (err instanceof DiscordAPIError ? err.status : undefined);

export async function discordChecks(
  s: DiscordCheckSources,
  ctx: SetupContext,
): Promise<SetupLine[]> {
  const lines: SetupLine[] = [];
  let tokenOk = false;
  try {
    const app = (await ctx.remote("application", () =>
      s.rest.get(Routes.currentApplication()),
    )) as APIApplication;
    tokenOk = true;
    lines.push(
      app.id !== s.applicationId
        ? {
            id: "token",
            label: "Bot token",
            state: "fail",
            found: `the token is application ${app.id}'s, DISCORD_APPLICATION_ID says ${s.applicationId}`,
            todo: `set DISCORD_APPLICATION_ID=${app.id} (or the token of application ${s.applicationId}), then restart`,
          }
        : ((app.flags ?? 0) & MESSAGE_CONTENT) === 0
          ? {
              id: "token",
              label: "Bot token",
              state: "fail",
              found: `valid (${app.name}), but the Message Content intent is off: replies reach the bridge blank`,
              todo: "developer portal > your application > Bot > Privileged Gateway Intents: switch on Message Content Intent",
            }
          : {
              id: "token",
              label: "Bot token",
              state: "ok",
              found: `valid: application ${app.name}`,
            },
    );
  } catch (err) {
    lines.push(
      status(err) === 401
        ? {
            id: "token",
            label: "Bot token",
            state: "fail",
            found: "Discord refuses DISCORD_BOT_TOKEN (401)",
            todo: "developer portal > your application > Bot > Reset Token; set DISCORD_BOT_TOKEN to it, then restart",
          }
        : failure("token", "Bot token", err),
    );
  }

  lines.push(await gatewayLine(s, ctx));

  let guild: string | undefined;
  if (tokenOk) {
    try {
      const ch = (await ctx.remote("channel", () =>
        s.rest.get(Routes.channel(s.channel)),
      )) as APIChannel;
      const name = "name" in ch && ch.name ? `#${ch.name}` : s.channel;
      guild = "guild_id" in ch ? ch.guild_id : undefined;
      if (ch.type === TEXT) {
        lines.push({
          id: "channel",
          label: "Channel",
          state: "ok",
          found: `${name}, a text channel`,
        });
      } else if (ch.type === FORUM) {
        const have = ("available_tags" in ch ? (ch.available_tags ?? []) : []).map((t) =>
          t.name.toLowerCase(),
        );
        const missing = TAGS.filter((t) => !have.includes(t));
        lines.push({
          id: "channel",
          label: "Channel",
          state: "ok",
          found: `${name}, a forum channel`,
          ...(missing.length > 0
            ? {
                todo: `add the tags ${missing.join(", ")} (forum settings > Tags) to see each post's state`,
              }
            : {}),
        });
      } else {
        lines.push({
          id: "channel",
          label: "Channel",
          state: "fail",
          found: `${name} is neither a text nor a forum channel`,
          todo: "set DISCORD_CHANNEL to a text or a forum channel's ID",
        });
      }
    } catch (err) {
      lines.push(
        code(err) === 10003
          ? {
              id: "channel",
              label: "Channel",
              state: "fail",
              found: `DISCORD_CHANNEL names no channel (${s.channel})`,
              todo: "set DISCORD_CHANNEL to the channel's ID (Developer Mode on, right-click the channel > Copy Channel ID)",
            }
          : code(err) === 50001
            ? {
                id: "channel",
                label: "Channel",
                state: "fail",
                found: `the bot cannot see the channel ${s.channel}`,
                todo: "add the bot (or its role) to the channel, or invite the bot to its server with the link below",
              }
            : failure("channel", "Channel", err),
      );
    }
  }

  if (tokenOk && guild) {
    const server = guild;
    try {
      const [global, here] = (await ctx.remote("commands", () =>
        Promise.all([
          s.rest.get(Routes.applicationCommands(s.applicationId)),
          s.rest.get(Routes.applicationGuildCommands(s.applicationId, server)),
        ]),
      )) as [{ name: string }[], { name: string }[]];
      const has = (list: { name: string }[]) => list.some((c) => c.name === "sms");
      lines.push(
        has(here)
          ? { id: "commands", label: "/sms", state: "ok", found: "registered in this server" }
          : has(global)
            ? {
                id: "commands",
                label: "/sms",
                state: "ok",
                found: "registered for every server (Discord may take up to an hour to show it)",
              }
            : {
                id: "commands",
                label: "/sms",
                state: "warn",
                found: "not registered",
                todo: "register it: it appears at once in this server",
                command: `npx ardary-bridge discord register-commands --guild ${server}`,
              },
      );
    } catch (err) {
      lines.push(failure("commands", "/sms", err));
    }
  }
  return lines;
}

/** Which process holds the gateway connection: this one, another (its name), or none. */
async function gatewayLine(s: DiscordCheckSources, ctx: SetupContext): Promise<SetupLine> {
  const line = { id: "gateway", label: "Gateway" };
  const here = s.here();
  if (here === "connected")
    return { ...line, state: "ok", found: `connected, in this process: ${s.processName}` };
  if (here === "connecting")
    return {
      ...line,
      state: "warn",
      found: `this process (${s.processName}) holds the lock and is connecting`,
      todo: "look again in a minute; if it stays so, the log says what Discord answers",
    };
  try {
    const held = (await s.lock.isHeld?.()) ?? false;
    if (held) {
      const kept = await s.state.get("gateway");
      const holder = kept ? (JSON.parse(kept) as GatewayHolder) : undefined;
      return {
        ...line,
        state: "ok",
        found: holder
          ? `connected, in ${holder.process} (since ${ctx.ago(new Date(holder.since))})`
          : "connected, in another process",
      };
    }
  } catch (err) {
    return failure("gateway", "Gateway", err);
  }
  // A process that competes for it and finds nobody holding it: that is the problem. Asked from
  // outside (`doctor`, maybe before the first process started): a warning, not a failure.
  return {
    ...line,
    state: here === "standby" ? "fail" : "warn",
    found: "no process is connected: replies and /sms are not received",
    todo: "start the bridge (`serve` or `worker`); if it runs, its log says why Discord refused it (the token, the Message Content intent)",
  };
}
