// The Slack listeners (messages, `/sms`, buttons, forms: forms.ts), whichever way events arrive (the events URL
// or Socket Mode): each turns Slack's payload into a call of the core's hooks.
import type { App } from "@slack/bolt";
import type { Logger } from "pino";
import type { Catalogue, ChatHooks, ChatPlace, ChatReply } from "../../src/contracts/index.ts";
import { errorMessage } from "../../src/kernel/errors.ts";
import { parseMessageEvent, refsOf } from "./parse.ts";
import { type SlackNames, toPlainText } from "./plain.ts";
import { encodeRef } from "./refs.ts";
import { ACTION_ID } from "./render.ts";

export interface ListenContext {
  log: Logger;
  userName(id: string, fallback?: string): Promise<string>;
  mentions: SlackNames;
  /** Runs a store, retried in Socket Mode (where Slack does not resend). */
  stored(task: () => Promise<unknown>): Promise<void>;
  /** Work started after an ack, awaited on stop. */
  background: Set<Promise<unknown>>;
  canManage(userId: string): Promise<boolean>;
  /** A guest of the workspace (is_restricted, is_ultra_restricted); throws when Slack cannot say. */
  isGuest(userId: string): Promise<boolean>;
  /** The bridge's own user, learned from the first event. */
  botUserId?: string;
  /** BRIDGE_LANGUAGE's words: what the adapter itself says to a person. */
  words: Catalogue;
}

/** The listeners, whichever way the events arrive (events URL or Socket Mode). */
export function listen(app: App, hooks: ChatHooks, ctx: ListenContext) {
  const { log, userName, mentions, stored, background, canManage, isGuest } = ctx;
  const later = (what: string, task: () => Promise<unknown>) => {
    const p = task()
      .catch((err) => log.error({ err: errorMessage(err) }, `${what} failed`))
      .finally(() => background.delete(p));
    background.add(p);
  };

  app.event("message", async ({ event, context }) => {
    ctx.botUserId ??= context.botUserId;
    const r = parseMessageEvent(event, context.botUserId ?? ctx.botUserId);
    if (r.kind === "ignored") {
      log.debug({ reason: r.reason }, "slack message ignored");
      return;
    }
    if (r.kind !== "reply") {
      await stored(() => hooks.onEdit("slack", encodeRef(r.channel, r.ts), r.kind));
      return;
    }
    const refs = refsOf(r);
    const reply: ChatReply = {
      platform: "slack",
      // One Slack message, however often Slack retries its event: channel and ts.
      eventId: `${r.channel}:${r.ts}`,
      thread: refs.thread,
      message: refs.message,
      author: await userName(r.user),
      authorId: r.user,
      text: await toPlainText(r, mentions),
      hasAttachments: r.hasFiles,
    };
    // Asked inside the store: a Slack that cannot say who it is gets the event sent again.
    await stored(async () => hooks.onReply({ ...reply, guest: await isGuest(r.user) }));
  });

  app.command("/sms", async ({ command, ack, respond }) => {
    await ack();
    later("/sms", async () => {
      let text: string;
      try {
        const [manager, guest] = await Promise.all([
          canManage(command.user_id),
          isGuest(command.user_id),
        ]);
        text = await hooks.onCommand({
          platform: "slack",
          eventId: command.trigger_id,
          author: await userName(command.user_id, command.user_name),
          authorId: command.user_id,
          canManage: manager,
          guest,
          place: placeOf(command),
          args: command.text ?? "",
        });
      } catch (err) {
        log.error({ err: errorMessage(err) }, "/sms failed");
        text = ctx.words.chat.notQueuedNow;
      }
      await respond({ response_type: "ephemeral", replace_original: false, text });
    });
  });

  app.action(ACTION_ID, async ({ ack, action, body, respond }) => {
    await ack();
    const m = ACTION_ID.exec((action as { action_id?: string }).action_id ?? "");
    if (!m?.[1] || !m[2]) return;
    const actionTs = (action as { action_ts?: string }).action_ts;
    later("button", async () => {
      try {
        const [manager, guest] = await Promise.all([
          canManage(body.user.id),
          isGuest(body.user.id),
        ]);
        const refused = await hooks.onAction({
          platform: "slack",
          conversationId: Number(m[2]),
          action: m[1] as string,
          messageId: m[3] === undefined ? undefined : Number(m[3]),
          value: (action as { selected_user?: string }).selected_user,
          author: await userName(body.user.id),
          authorId: body.user.id,
          eventId: actionTs ? `${body.user.id}:${actionTs}` : undefined,
          canManage: manager,
          guest,
        });
        // Said to that person alone (an ephemeral message through the press's response_url).
        if (refused)
          await respond({ response_type: "ephemeral", replace_original: false, text: refused });
      } catch (err) {
        log.error({ err: errorMessage(err) }, "button failed");
        await respond({
          response_type: "ephemeral",
          replace_original: false,
          text: ctx.words.chat.didNotWork,
        });
      }
    });
  });
}

/**
 * Where a command was typed: its channel; a direct message (a `D…` conversation, Slack's
 * `directmessage`) or a group direct message (`mpdm-…`) is no channel of the bridge's.
 * https://docs.slack.dev/interactivity/implementing-slash-commands#app_command_handling
 */
export function placeOf(command: { channel_id: string; channel_name?: string }): ChatPlace {
  const name = command.channel_name ?? "";
  const direct =
    command.channel_id.startsWith("D") || name === "directmessage" || name.startsWith("mpdm-");
  return { channel: command.channel_id, direct };
}
