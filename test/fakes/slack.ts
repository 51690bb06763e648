// A local fake Slack for the tests. It speaks Slack's real HTTP protocol, so the real
// @slack/web-api WebClient (`slackApiUrl: fake.apiUrl`) and Bolt work against it unmodified:
// POST /api/<method> with an application/x-www-form-urlencoded body (what WebClient 7/8
// sends: every non-scalar argument such as `blocks` JSON-encoded in a field, the token in
// `Authorization: Bearer`) or a JSON body with the Bearer header. Refusals are HTTP 200
// with {ok:false,error}; rate limits are HTTP 429 with Retry-After in whole seconds.
// It also serves POST /response/:id, the response_url of the commands and actions its
// signer sends (see slack-signer.ts).
//
// What real Slack does when chat.postMessage names a deleted parent in thread_ts: it does
// NOT fail. The reply is posted top-level in the channel, ok:true, and the answer's
// `message` has no thread_ts (slack-go/slack#1571, slackapi/python-slack-events-api#87,
// PostHog/posthog#83601). The fake does the same by default (`missingThread: "unthread"`;
// the post is recorded with `unthreaded: true`). `thread_not_found` is a
// conversations.replies error; `missingThread: "thread_not_found"` makes posts fail with it.
// A parent deleted while it has replies becomes a tombstone and the thread keeps working
// (deleteMessage); deleteThread removes the parent and every reply.

import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import type { FakeUsergroup } from "./slack-admin.ts";
import { type ApiConfig, callMethod, type Params } from "./slack-api.ts";
import {
  type UserMessageInput,
  userDeleteEvent,
  userEditEvent,
  userMessageEvent,
} from "./slack-events.ts";
import { type FakeShare, type FakeUpload, receiveUpload } from "./slack-files.ts";
import { createSlackSigner, type SlackReply, type SlackSigner } from "./slack-signer.ts";
import {
  BOT_USER_ID,
  type FakeChannel,
  type FakeEphemeral,
  type FakeMessage,
  type FakePost,
  type FakeRequest,
  type FakeResponse,
  type FakeUpdate,
  type FakeUser,
  type RateLimitOptions,
  SlackState,
  TEAM_ID,
} from "./slack-state.ts";
import { applyAnswer, type FakeView, viewSubmission } from "./slack-views.ts";

export { BOT_ID, BOT_USER_ID, TEAM_ID, TOMBSTONE_TEXT } from "./slack-state.ts";
export type {
  FakeChannel,
  FakeEphemeral,
  FakeMessage,
  FakePost,
  FakeRequest,
  FakeResponse,
  FakeShare,
  FakeUpdate,
  FakeUpload,
  FakeUser,
  FakeView,
  RateLimitOptions,
  UserMessageInput,
};

export interface FakeSlackOptions {
  /** The only token accepted (default "xoxb-test"). */
  botToken?: string;
  /** Secret the signer signs with; give the same one to the app under test. */
  signingSecret?: string;
  /** Channels that exist with the bot as member (default ["C0GENERAL"]). */
  channels?: string[];
  /** Workspace members for users.info (default U0ALICE and U0BOB); the bot is always there. */
  users?: Record<string, FakeUser>;
  /** User groups (usergroups.list, usergroups.users.list); none by default. */
  usergroups?: FakeUsergroup[];
  /** Per-channel token bucket for chat.postMessage; null (default) = no limit. */
  rateLimit?: RateLimitOptions | null;
  /** See the header comment; default "unthread" as real Slack. */
  missingThread?: ApiConfig["missingThread"];
  /**
   * Milliseconds the answer to a method takes to leave after the call took effect (a slow
   * network): e.g. a card visible in the channel before its poster knows its `ts`.
   */
  answerDelayMs?: Record<string, number>;
  /** Methods the fake receives and never answers: a Slack gone silent. */
  silentMethods?: string[];
}

export interface FakeSlack {
  /** http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  /** http://127.0.0.1:PORT/api/ — give it to WebClient as slackApiUrl. */
  apiUrl: string;
  botToken: string;
  signingSecret: string;
  /** Signs and sends events, commands and actions as Slack does (response_url: this fake). */
  signer: SlackSigner;
  posts: FakePost[];
  requests: FakeRequest[];
  updates: FakeUpdate[];
  ephemerals: FakeEphemeral[];
  responses: FakeResponse[];
  /** Modals opened with views.open, in order (open, or closed by a submission). */
  views: FakeView[];
  /** Files shared in channels (files.completeUploadExternal), with their bytes. */
  shares: FakeShare[];
  /** The bot token's scopes: remove one to see what the app does without it. */
  scopes: Set<string>;
  /**
   * The person submits an open modal (what they typed, by block_id; other inputs keep their
   * initial value): the view_submission is sent to `targetUrl`, and the answer applied (the
   * modal closes, or keeps the errors).
   */
  submitView(
    target: string | ((payload: Record<string, unknown>) => Promise<SlackReply>),
    viewId: string,
    typed?: Record<string, string>,
  ): Promise<SlackReply>;
  /** Every live message of the channel, parents and replies, in ts order. */
  messages(channel: string): FakeMessage[];
  /** Messages shown in the channel itself: parents, tombstones and broadcast replies. */
  topLevel(channel: string): FakeMessage[];
  /** The parent then its replies, in order; [] once the thread is gone. */
  thread(channel: string, ts: string): FakeMessage[];
  /** Reaction names on a message, in the order they were added. */
  reactions(channel: string, ts: string): string[];
  /** A person's message stored in the channel; returns the `message` event Slack sends. */
  userMessage(input: UserMessageInput): Record<string, unknown>;
  /** A person edits their message; returns the message_changed event. */
  editUserMessage(channel: string, ts: string, text: string): Record<string, unknown>;
  /** A person deletes their message; returns the message_deleted event. */
  deleteUserMessage(channel: string, ts: string): Record<string, unknown>;
  /** A person deletes one message (a parent with replies becomes a tombstone). */
  deleteMessage(channel: string, ts: string): void;
  /** The parent and all its replies disappear. */
  deleteThread(channel: string, ts: string): void;
  archiveChannel(id: string): void;
  deleteChannel(id: string): void;
  removeBot(channel: string): void;
  /**
   * The bot token stops working: every Web API call answers {ok:false,error} (`token_revoked`
   * by default; `account_inactive`, `invalid_auth`), as Slack does for a revoked token or an
   * uninstalled app, until `restoreToken`.
   */
  revokeToken(error?: "token_revoked" | "account_inactive" | "invalid_auth"): void;
  /** The same token works again (the app reinstalled, the account reactivated). */
  restoreToken(): void;
  /** An outage: every Web API call answers HTTP 503 for `ms` (as Slack during an incident). */
  unavailable(ms: number): void;
  /** Creates the channel (or restores it: unarchived, undeleted, bot a member). */
  addChannel(id: string, options?: { name?: string; member?: boolean }): void;
  /**
   * Answers 429 to calls naming this channel for `ms` (all methods, or only `methods`); `*`:
   * calls naming any channel (a method's workspace-wide limit, as Slack's tiers).
   */
  rateLimit(channel: string, ms: number, methods?: string[]): void;
  /** A response_url on this fake; POSTs to it land in `responses`. */
  responseUrl(id?: string): string;
  /** Polls every 10 ms until `predicate` returns a truthy value, which it resolves to. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** The token a Web API request carries: Authorization: Bearer, else a `token` form field. */
function tokenOf(req: express.Request, params: Params): string | undefined {
  const header = req.get("authorization");
  if (header?.startsWith("Bearer ")) return header.slice("Bearer ".length);
  // Slack reads the token from the body only for form bodies, never from JSON ones.
  if (!req.is("application/json") && typeof params.token === "string") return params.token;
  return undefined;
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botToken = options.botToken ?? "xoxb-test";
  const signingSecret = options.signingSecret ?? "test-signing-secret";
  const config: ApiConfig = { botToken, missingThread: options.missingThread ?? "unthread" };
  const state = new SlackState(options.rateLimit ?? null);
  for (const id of options.channels ?? ["C0GENERAL"]) state.addChannel(id);
  const users = options.users ?? {
    U0ALICE: { name: "alice", real_name: "Alice Martin" },
    U0BOB: { name: "bob", real_name: "Bob Durand" },
  };
  state.users.set(BOT_USER_ID, { name: "ardary-bridge", real_name: "Ardary Bridge" });
  for (const [id, user] of Object.entries(users)) state.users.set(id, user);
  state.usergroups.push(...(options.usergroups ?? []));

  const app = express();
  // The upload URL files.getUploadURLExternal hands out: raw bytes or a multipart form, as
  // Slack takes them; it answers 200 "OK - <length>".
  app.post("/upload/v1/:id", express.raw({ type: () => true, limit: "20mb" }), async (req, res) => {
    let data = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const type = req.get("content-type") ?? "";
    if (type.startsWith("multipart/form-data")) {
      const form = await new globalThis.Response(new Uint8Array(data), {
        headers: { "content-type": type },
      })
        .formData()
        .catch(() => undefined);
      const file = [...(form?.values() ?? [])].find((v) => typeof v !== "string");
      data = file ? Buffer.from(await (file as Blob).arrayBuffer()) : Buffer.alloc(0);
    }
    if (!receiveUpload(state, req.params.id, data)) {
      res.status(404).type("text/plain").send("not found");
      return;
    }
    res.type("text/plain").send(`OK - ${data.length}`);
  });
  app.use(express.urlencoded({ extended: false }), express.json({ limit: "5mb" }));
  let downUntil = 0;
  app.all("/api/:method", async (req, res) => {
    if (Date.now() < downUntil) {
      const at = Date.now();
      state.requests.push({ method: req.params.method, at, status: 503, ok: false });
      res.status(503).type("text/plain").send("Service Unavailable");
      return;
    }
    const params: Params = {
      ...(req.query as Params),
      ...((req.body as Params | undefined) ?? {}),
    };
    const method = req.params.method;
    if (options.silentMethods?.includes(method)) {
      state.requests.push({ method, at: Date.now(), status: 0, ok: false });
      return; // received, never answered
    }
    const answer = callMethod(state, config, method, params, tokenOf(req, params));
    const error = answer.body.ok === true ? undefined : String(answer.body.error);
    state.requests.push({
      method,
      ...(typeof params.channel === "string" ? { channel: params.channel } : {}),
      at: Date.now(),
      status: answer.status,
      ok: answer.body.ok === true,
      ...(error ? { error } : {}),
      ...(answer.retryAfter !== undefined ? { retryAfter: answer.retryAfter } : {}),
    });
    if (answer.retryAfter !== undefined) res.set("Retry-After", String(answer.retryAfter));
    res.set("X-OAuth-Scopes", [...state.scopes].join(","));
    const delay = options.answerDelayMs?.[method];
    if (delay) await new Promise((r) => setTimeout(r, delay));
    res.status(answer.status).json(answer.body);
  });
  app.post("/response/:id", (req, res) => {
    state.responses.push({ id: req.params.id, body: req.body, at: Date.now() });
    res.type("text/plain").send("ok");
  });

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, "127.0.0.1", (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.baseUrl = url;
  const channel = (id: string): FakeChannel => {
    const found = state.channels.get(id);
    if (!found) throw new Error(`fake Slack: no channel ${id}`);
    return found;
  };
  const responseUrl = (id: string = randomUUID()) => `${url}/response/${id}`;

  const fake: FakeSlack = {
    url,
    apiUrl: `${url}/api/`,
    botToken,
    signingSecret,
    signer: createSlackSigner({
      signingSecret,
      teamId: TEAM_ID,
      botUserId: BOT_USER_ID,
      responseUrl,
      onTrigger: (id, user) => state.triggers.set(id, { user, at: Date.now(), used: false }),
      lookupMessage: (ch, ts) => state.message(ch, ts),
    }),
    posts: state.posts,
    requests: state.requests,
    updates: state.updates,
    ephemerals: state.ephemerals,
    responses: state.responses,
    views: state.views,
    shares: state.shares,
    scopes: state.scopes,
    async submitView(target, viewId, typed = {}) {
      const open = state.views.find((v) => v.id === viewId);
      if (open?.state !== "open") throw new Error(`fake Slack: no open view ${viewId}`);
      const user = { id: open.user, name: state.users.get(open.user)?.name ?? open.user };
      const trigger = `${Date.now()}.${Math.floor(Math.random() * 1e12)}.${randomUUID().replace(/-/g, "")}`;
      state.triggers.set(trigger, { user: open.user, at: Date.now(), used: false });
      const payload = viewSubmission(open, typed, trigger, user);
      // Over the request URL, or another way (Socket Mode: the ack's payload is the answer).
      const reply =
        typeof target === "string"
          ? await fake.signer.send(
              target,
              new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
              "application/x-www-form-urlencoded",
            )
          : await target(payload);
      applyAnswer(open, reply.status, reply.body);
      return reply;
    },
    messages: (ch) => state.messages(ch),
    topLevel: (ch) =>
      state.messages(ch).filter((m) => !m.thread_ts || m.subtype === "thread_broadcast"),
    thread: (ch, ts) => state.thread(ch, ts),
    reactions: (ch, ts) => state.message(ch, ts)?.reactions.map((r) => r.name) ?? [],
    userMessage: (input) => userMessageEvent(state, input),
    editUserMessage: (ch, ts, text) => userEditEvent(state, ch, ts, text),
    deleteUserMessage: (ch, ts) => userDeleteEvent(state, ch, ts),
    deleteMessage: (ch, ts) => void state.deleteMessage(ch, ts),
    deleteThread: (ch, ts) => state.deleteThread(ch, ts),
    archiveChannel(id) {
      channel(id).archived = true;
    },
    deleteChannel(id) {
      channel(id).deleted = true;
    },
    removeBot(id) {
      channel(id).member = false;
    },
    revokeToken(error = "token_revoked") {
      config.refused = error;
    },
    restoreToken() {
      config.refused = undefined;
    },
    unavailable(ms) {
      downUntil = Date.now() + ms;
    },
    addChannel(id, opts = {}) {
      const existing = state.channels.get(id);
      if (!existing) return void state.addChannel(id, opts);
      Object.assign(existing, { archived: false, deleted: false, member: opts.member ?? true });
    },
    rateLimit: (ch, ms, methods) => state.forceRateLimit(ch, ms, methods),
    responseUrl,
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = predicate();
        if (value) return value;
        if (Date.now() > deadline)
          throw new Error(`fake Slack: waitFor timed out after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
  return fake;
}
