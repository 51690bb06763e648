// The Slack adapter: Bolt (ExpressReceiver) mounted in our own Express app for events, `/sms`
// and buttons on POST /slack/events; a paced WebClient of its own for the worker's posts.
import { App, ExpressReceiver } from "@slack/bolt";
import type { Router } from "express";
import type { Logger } from "pino";
import {
  type Budget,
  type Catalogue,
  type ChatAdapter,
  type ChatPost,
  type MessageRef,
  type StateStore,
  type ThreadRef,
  wordsOf,
} from "../../src/contracts/index.ts";
import { errorMessage, ThreadGoneError } from "../../src/kernel/errors.ts";
import { createSlackApi } from "./api.ts";
import { boltLogger } from "./bolt-logger.ts";
import { listenForms } from "./forms.ts";
import { slackGate } from "./gate.ts";
import { type ListenContext, listen } from "./listeners.ts";
import { managerCheck, resolveSlackChannel, slackThreadLink } from "./manage.ts";
import { cachedNames } from "./names.ts";
import { findCard, findPosted, metadataFor } from "./once.ts";
import type { PacerOptions } from "./pacer.ts";
import { peopleOf } from "./people.ts";
import type { SlackNames } from "./plain.ts";
import { decodeRef, encodeRef, mustDecodeRef } from "./refs.ts";
import { slackErrorCode } from "./refusals.ts";
import {
  type Rendered,
  reactionsFor,
  renderBacklog,
  renderCard,
  renderMany,
  renderPost,
  slackDialect,
} from "./render.ts";
import { slackReports } from "./report.ts";
import { slackChecks } from "./setup.ts";

export interface SlackAdapterOptions {
  botToken: string;
  /** Verifies the events URL's requests; not needed in Socket Mode. */
  signingSecret?: string;
  /** App-level token (SLACK_APP_TOKEN): Socket Mode instead of the public events URL. */
  appToken?: string;
  /** Default channel (SLACK_CHANNEL): new threads go there when their own channel is gone. */
  channel: string;
  /** Web API base (SLACK_API_URL), for local fakes. */
  apiUrl?: string;
  log: Logger;
  /** Where the events URL is mounted; absent in a process without HTTP. */
  router?: Router;
  pacing?: PacerOptions;
  /** The channels' post budgets, shared by every process (`services.budget("posts")`). */
  budget: Budget;
  /**
   * An inbound SMS in a thread quiet for this long is also sent to the channel
   * (reply_broadcast). Default one hour.
   */
  broadcastAfterMs?: number;
  /** SLACK_MANAGER_GROUP: the user group whose members manage the bridge (else admins). */
  managerGroup?: string;
  /** Where the last event's time is kept for the setup page, across processes. */
  state?: StateStore;
  /** BRIDGE_LANGUAGE's words (default English). */
  words?: Catalogue;
}

/** The last event's time is written at most this often (a busy channel sends many). */
const EVENT_NOTE_MS = 60_000;

/** Piled-up SMS of a thread go out as one post: `postMany` is always there. */
export type SlackAdapter = ChatAdapter & Required<Pick<ChatAdapter, "postMany">>;

export function createSlackAdapter(o: SlackAdapterOptions): SlackAdapter {
  const log = o.log.child({ platform: "slack" });
  const words = o.words ?? wordsOf();
  const api = createSlackApi({
    botToken: o.botToken,
    apiUrl: o.apiUrl,
    pacing: o.pacing,
    budget: o.budget,
  });
  const broadcastAfterMs = o.broadcastAfterMs ?? 60 * 60_000;
  /** Reactions already on a message (a cache: Slack's already_reacted is the real check). */
  const reacted = new Map<MessageRef, Set<string>>();
  /** Last post per thread, to tell an old thread (whose new activity is broadcast). */
  const lastActivity = new Map<ThreadRef, number>();
  const background = new Set<Promise<unknown>>();
  let _botUserId: string | undefined;
  /** The workspace's address (auth.test), for links to threads. */
  let teamUrl: Promise<string | undefined> | undefined;
  /** Who the bot is (auth.test), once Slack said it. */
  let me: { botId?: string; botUserId?: string } | undefined;
  /** When the last auth.test for an event was refused: asked again a minute later, not per event. */
  let refusedAt = Number.NEGATIVE_INFINITY;

  /** auth.test: who the bot is; RefusedError when Slack refuses the token. */
  async function whoAmI(): Promise<void> {
    const r = await api.plain("auth.test", (c) => c.auth.test());
    me = { botId: r.bot_id, botUserId: r.user_id };
    if (r.url) teamUrl ??= Promise.resolve(r.url);
  }

  /**
   * Bolt's authorize: never refuses an event. A token Slack refuses must not stop the events
   * (a thread reply still becomes an SMS, stored before Slack's 200), nor end the process: Bolt's
   * own check at start (auth.test, its rejection unhandled) did. Our listeners tell the bridge's
   * own posts by their bot_id, so an unknown bot id is no harm.
   */
  async function authorize() {
    if (!me && Date.now() - refusedAt > 60_000) {
      await whoAmI().catch((err) => {
        refusedAt = Date.now();
        log.debug({ err: errorMessage(err) }, "Slack auth.test failed: events still taken");
      });
    }
    return { botToken: o.botToken, botId: me?.botId, botUserId: me?.botUserId };
  }
  /** The Socket Mode app, stopped with the adapter. */
  let app: App | undefined;
  /** When this process last received anything from Slack, and last wrote it down. */
  let lastEvent: number | undefined;
  let lastNoted = 0;
  const noteEvent = () => {
    lastEvent = Date.now();
    if (!o.state || lastEvent - lastNoted < EVENT_NOTE_MS) return;
    lastNoted = lastEvent;
    o.state
      .set("last_event_at", new Date(lastEvent).toISOString())
      .catch((err) => log.warn({ err: errorMessage(err) }, "Slack: last event time not kept"));
  };

  /** Who a person is (users.info, kept a minute): name, admin, guest. */
  const person = peopleOf(api.client);
  /** A person's name (cached); the id when Slack cannot say. */
  const userName = cachedNames("users.info", async (id) => (await person(id)).name, log);
  /** A guest of the workspace (a multi- or single-channel guest); throws when Slack cannot say. */
  const isGuest = async (id: string) => (await person(id)).guest;
  /** A channel's name (conversations.info, cached). */
  const channelName = cachedNames(
    "conversations.info",
    async (id) => (await api.client.conversations.info({ channel: id })).channel?.name,
    log,
    1000,
  );
  const canManage = managerCheck(api.client, o.managerGroup, person, log);
  const mentions: SlackNames = { user: (id) => userName(id), channel: (id) => channelName(id) };
  const reports = slackReports(api);

  /**
   * Posts in a thread; a parent that is gone makes Slack post top-level: undone, and said.
   * A retry first looks for the post an earlier attempt made (once.ts).
   */
  async function postInThread(
    thread: ThreadRef,
    r: Rendered,
    posts: ChatPost[],
    broadcast = false,
  ): Promise<MessageRef> {
    const { channel, ts } = mustDecodeRef(thread);
    const first = posts[0];
    if (first?.retry && first.key) {
      const found = await findPosted(api, channel, ts, first.key);
      if (found) return encodeRef(channel, found.ts);
    }
    const res = await api.call(
      channel,
      "chat.postMessage",
      (c) =>
        c.chat.postMessage({
          channel,
          thread_ts: ts,
          text: r.text,
          blocks: r.blocks,
          unfurl_links: false,
          unfurl_media: false,
          reply_broadcast: broadcast,
          metadata: metadataFor(posts),
        }),
      true,
    );
    const posted = String(res.ts);
    if (res.message?.thread_ts !== ts) {
      // Real Slack answers ok and posts top-level when the parent was deleted.
      await api
        .call(channel, "chat.delete", (c) => c.chat.delete({ channel, ts: posted }))
        .catch((err) => log.warn({ err: errorMessage(err) }, "stray top-level post not deleted"));
      throw new ThreadGoneError(`Slack thread ${thread} is gone`);
    }
    lastActivity.set(thread, Date.now());
    return encodeRef(channel, posted);
  }

  /**
   * New activity on an old thread must be seen in the channel. Updating the card does not
   * move it (an edit never brings a message back to the bottom of the channel), so an inbound
   * SMS in a thread quiet for `broadcastAfterMs` is also sent to the channel: once, not every
   * message of a lively thread. After a restart the thread's age is its parent's.
   */
  function isOld(thread: ThreadRef): boolean {
    const last = lastActivity.get(thread) ?? Number(mustDecodeRef(thread).ts) * 1000;
    return Date.now() - last >= broadcastAfterMs;
  }

  const adapter: SlackAdapter = {
    platform: "slack",
    cardCarriesFirst: true,
    dialect: slackDialect(words, o.managerGroup),

    check: whoAmI,

    async announce(channel, text, once) {
      const ch = channel || o.channel;
      // Once per key: a retry first looks for the note an earlier attempt made.
      if (once?.retry && (await findCard(api, ch, once.key))) return;
      await api.call(
        ch,
        "chat.postMessage",
        (c) =>
          c.chat.postMessage({
            channel: ch,
            text,
            unfurl_links: false,
            metadata: once ? metadataFor([once]) : undefined,
          }),
        true,
      );
    },

    async announceBacklog(channel, waiting) {
      const ch = channel || o.channel;
      const text = renderBacklog(waiting, o.pacing?.perSecond ?? 1, words);
      await api.call(
        ch,
        "chat.postMessage",
        (c) => c.chat.postMessage({ channel: ch, text }),
        true,
      );
    },

    async openThread(channel, card, once) {
      const r = renderCard(card, words);
      // The card carries its key; a retry first looks for the card an earlier attempt made.
      const post = async (ch: string): Promise<string> => {
        const found = once?.retry ? await findCard(api, ch, once.key) : undefined;
        if (found) return found;
        const res = await api.call(
          ch,
          "chat.postMessage",
          (c) =>
            c.chat.postMessage({
              channel: ch,
              text: r.text,
              blocks: r.blocks,
              unfurl_links: false,
              metadata: once ? metadataFor([once]) : undefined,
            }),
          true,
        );
        return String(res.ts);
      };
      let target = channel || o.channel;
      let ts: string;
      try {
        ts = await post(target);
      } catch (err) {
        // The routed channel is gone: the default channel takes the thread rather than nothing.
        if (!(err instanceof ThreadGoneError) || target === o.channel) throw err;
        log.warn(
          { channel: target, err: errorMessage(err) },
          "channel unusable: thread opened in the default channel",
        );
        target = o.channel;
        ts = await post(target);
      }
      const thread = encodeRef(target, ts);
      lastActivity.set(thread, Date.now());
      return thread;
    },

    async post(thread, post) {
      const broadcast = post.kind === "inbound" && isOld(thread);
      return postInThread(thread, renderPost(post, words), [post], broadcast);
    },

    async postMany(thread, posts) {
      const broadcast = posts[0]?.kind === "inbound" && isOld(thread);
      return postInThread(thread, renderMany(posts, words), posts, broadcast);
    },

    async findPost(thread, key) {
      const { channel, ts } = mustDecodeRef(thread);
      const found = await findPosted(api, channel, ts, key);
      return found && { ref: encodeRef(channel, found.ts), keys: found.keys };
    },

    async update(message, post) {
      const { channel, ts } = mustDecodeRef(message);
      const r = renderPost(post, words);
      await api.call(channel, "chat.update", (c) =>
        c.chat.update({ channel, ts, text: r.text, blocks: r.blocks }),
      );
    },

    async react(message, status) {
      const { channel, ts } = mustDecodeRef(message);
      const done = reacted.get(message) ?? new Set<string>();
      for (const name of reactionsFor(status)) {
        if (done.has(name)) continue;
        try {
          await api.call(channel, "reactions.add", (c) =>
            c.reactions.add({ channel, timestamp: ts, name }),
          );
        } catch (err) {
          if (slackErrorCode((err as { cause?: unknown }).cause) !== "already_reacted") throw err;
        }
        done.add(name);
        reacted.set(message, done);
      }
      if (reacted.size > 10_000) reacted.delete(reacted.keys().next().value as string);
    },

    async whisper(thread, userId, text) {
      const { channel, ts } = mustDecodeRef(thread);
      await api.call(channel, "chat.postEphemeral", (c) =>
        c.chat.postEphemeral({ channel, user: userId, thread_ts: ts, text }),
      );
    },

    async threadUrl(thread) {
      const ref = decodeRef(thread);
      teamUrl ??= api.client.auth
        .test()
        .then((r) => r.url)
        .catch(() => undefined);
      const base = await teamUrl;
      // Slack's permalink form: <workspace>/archives/<channel>/p<ts without its dot>.
      return ref && base ? `${base}archives/${ref.channel}/p${ref.ts.replace(".", "")}` : undefined;
    },

    async updateCard(thread, card) {
      const { channel, ts } = mustDecodeRef(thread);
      const r = renderCard(card, words);
      await api.call(channel, "chat.update", (c) =>
        c.chat.update({ channel, ts, text: r.text, blocks: r.blocks }),
      );
    },

    threadLink(thread) {
      const r = decodeRef(thread);
      return r ? slackThreadLink(r.channel, r.ts) : thread;
    },

    resolveChannel: (text) => resolveSlackChannel(api.client, text),

    postReport: (channel, report) => reports.postReport(channel, report),
    checkChannel: (channel) => reports.checkChannel(channel),
    setupChecks: (ctx) =>
      slackChecks(
        {
          client: api.client,
          channel: o.channel,
          socketMode: Boolean(o.appToken),
          async lastEvent() {
            const kept = await o.state?.get("last_event_at").catch(() => undefined);
            const times = [lastEvent ?? 0, kept ? Date.parse(kept) : 0];
            const newest = Math.max(...times.filter((t) => Number.isFinite(t)));
            return newest > 0 ? new Date(newest) : undefined;
          },
        },
        ctx,
      ),

    async start(hooks) {
      /** Bolt over `receiver`, listening for events, commands, buttons and forms. */
      const boltApp = (receiver: App["receiver"]) => {
        const made = new App({
          receiver,
          authorize,
          clientOptions: o.apiUrl ? { slackApiUrl: o.apiUrl } : {},
          logger: boltLogger(log),
        });
        // Anything from Slack (an event, a command, a button) says the way in works.
        made.use(async ({ next }) => {
          noteEvent();
          await next();
        });
        listen(made, hooks, listenContext);
        listenForms(made, hooks, listenContext);
        return made;
      };
      if (o.appToken) {
        const { socketModeReceiver } = await import("./socket.ts");
        const receiver = socketModeReceiver({
          appToken: o.appToken,
          apiUrl: o.apiUrl,
          logger: boltLogger(log),
        });
        app = boltApp(receiver);
        await app.start();
        log.info("Slack: connected in Socket Mode (no public events URL needed)");
        return;
      }
      if (!o.signingSecret)
        throw new Error("SLACK_SIGNING_SECRET is required without SLACK_APP_TOKEN");
      const receiver = new ExpressReceiver({
        signingSecret: o.signingSecret,
        endpoints: "/slack/events",
        // Events are stored before Slack gets its 200: a failure answers 500 and Slack
        // retries (the same event makes one SMS). Commands and buttons ack at once and do
        // their work after, so they always answer within Slack's 3 seconds.
        processBeforeResponse: true,
        logger: boltLogger(log),
      });
      boltApp(receiver);
      // No JSON parser runs before this router: Bolt verifies the signature on the raw body.
      o.router?.use("/slack/events", slackGate());
      o.router?.use(receiver.router);
    },

    async stop() {
      await app?.stop().catch(() => {});
      await Promise.allSettled([...background]);
    },
  };

  /**
   * Over the events URL a failed store answers 500 and Slack sends the event again. Socket Mode
   * acknowledges an event before it is handled (Bolt does), so the store is retried here.
   */
  async function stored(task: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await task();
        return;
      } catch (err) {
        if (!o.appToken || attempt >= 6) throw err;
        log.warn({ err: errorMessage(err), attempt }, "storing a Slack event failed: retrying");
        await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
      }
    }
  }
  const listenContext: ListenContext = {
    words,
    log,
    userName,
    mentions,
    stored,
    background,
    canManage,
    isGuest,
  };

  return adapter;
}

export { decodeRef, encodeRef };
