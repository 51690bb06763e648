// The `chat.deliver` job: tells a conversation's thread what happened. Opens the thread on
// first use; when the thread or its channel is gone, opens a new one that says so. Inbound SMS
// that piled up for one thread (behind a chat rate limit) go out as one post, in order.
import { randomUUID } from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import type { Logger } from "pino";
import {
  type Catalogue,
  type ChatAdapter,
  type ChatPost,
  fill,
  type Language,
  type StatusView,
  speak,
  type ThreadRef,
  wordsOf,
} from "../contracts/index.ts";
import { cancelButton, cardOf } from "../conversations/cards.ts";
import * as consent from "../conversations/consent.ts";
import {
  CHAT_JOB,
  type ChatJob,
  type ChatPayload,
  chatJob,
  type NOTICE_JOB,
  noticeJob,
} from "../conversations/kinds.ts";
import type { ReplyMode } from "../conversations/reply-mode.ts";
import * as store from "../conversations/store.ts";
import type { Db } from "../db/database.ts";
import { messages } from "../db/schema.ts";
import {
  DeferredError,
  errorMessage,
  RefusedError,
  RetryableError,
  refusalIn,
  ThreadGoneError,
} from "../kernel/errors.ts";
import { absorb, enqueue, followers, holdWith, type Job, unhold } from "../queue/jobs.ts";
import { channelPart, chatPart, type Degraded } from "./degraded.ts";

type NoticePayload = (typeof NOTICE_JOB)["schema"]["_output"];

export interface DeliveryOptions {
  db: Db;
  adapters: Map<string, ChatAdapter>;
  log: Logger;
  /**
   * The parts that refuse the bridge (src/flows/degraded.ts): a platform that refuses the token
   * holds its work; a channel that refuses the bot holds its conversations; an outage's end
   * releases what backs off.
   */
  degraded?: Degraded;
  /**
   * Each platform's default channel: a new conversation whose channel refuses the bot opens
   * there, and a channel's refusal is said there.
   */
  defaults?: Record<string, string>;
  /** New conversations waiting for a thread in one channel before the channel is told (100). */
  backlogNoticeAt?: number;
  /** CHAT_LINGER_MS: how long a busy thread's next SMS waits for more (LINGER_MS; 0: never). */
  lingerMs?: number;
  /** REPLY_MODE, which the cards show (default `send`). */
  replyMode?: ReplyMode;
  /** The provider's default sender name, which the cards show when a route names none. */
  defaultSender?: string;
  /** BRIDGE_LANGUAGE: the words of the cards, their buttons and the notes (default English). */
  language?: Language;
}

/** Most SMS merged into one post, and most characters. */
const MERGE_MAX = 25;
const MERGE_MAX_CHARS = 20_000;
/**
 * How long the next SMS of a busy thread (its last post carried several) waits by default for
 * others to share its post (CHAT_LINGER_MS): a thread that receives SMS faster than one a second
 * is updated every two seconds, in fewer, fuller posts, and a busy `serve` spends its CPU on
 * callbacks rather than on posts (bench figure 7). A quiet thread's SMS, and a backlog of
 * MERGE_MAX (a full post), go at once.
 */
const LINGER_MS = 2000;

/** `held`: why it will not go while it has not left (a STOP, a Block: consent.holdOf). */
function statusView(m: store.Message, held?: string): StatusView {
  return {
    status: m.status,
    sendAt: m.sendAt,
    sentAt: m.sentAt,
    receivedAt: m.receivedAt,
    segments: m.segments,
    encoding: m.encoding,
    error: m.error,
    held: m.status === "queued" ? held : undefined,
    sender: m.sender,
    marketing: m.marketing,
  };
}

/** `owner`: the conversation's owner, notified of a new SMS; `held`: as statusView's. */
function postOf(m: store.Message, w: Catalogue, owner?: string | null, held?: string): ChatPost {
  return m.direction === "in"
    ? {
        kind: "inbound",
        text: m.body,
        at: m.receivedAt ?? m.createdAt,
        mention: owner ?? undefined,
      }
    : {
        kind: "outbound",
        text: m.body,
        at: m.createdAt,
        author: m.author ?? undefined,
        status: statusView(m, held),
        // A scheduled SMS can be stopped until it leaves.
        actions: m.sendAt && m.status === "queued" ? [cancelButton(m.conversationId, m.id, w)] : [],
      };
}

export function createChatDelivery(o: DeliveryOptions) {
  const words = wordsOf(o.language);
  const cardSettings = {
    replyMode: o.replyMode ?? "send",
    defaultSender: o.defaultSender,
    words,
  };

  /**
   * The address a person can open of a thread, kept on the conversation (the export runs
   * without the chat platforms). Best effort: a platform that cannot say now is asked again at
   * the next card update.
   */
  async function urlOf(adapter: ChatAdapter, thread: ThreadRef): Promise<string | null> {
    try {
      return (await adapter.threadUrl?.(thread)) ?? null;
    } catch (err) {
      o.log.info({ err: errorMessage(err) }, "thread address not known yet");
      return null;
    }
  }

  /**
   * The conversations this process saw refused by their channel, and that channel's part: their
   * next jobs wait for the channel's turn without asking the platform again.
   */
  const waitingIn = new Map<number, string>();

  /** Holds what a refusal holds, says it once, and returns the wait to throw. */
  async function refusedBy(
    err: RefusedError,
    platform: string,
    conv: { id: number; channel: string | null } | undefined,
  ): Promise<DeferredError> {
    if (!o.degraded) return new DeferredError(err.message, 60_000);
    const why = { reason: err.message, fix: err.fix };
    if (err.scope === "account") return o.degraded.refused(chatPart(platform), why);
    const home = o.defaults?.[platform];
    const channel = err.channel ?? conv?.channel ?? home ?? "";
    const part = channelPart(platform, channel);
    if (conv) waitingIn.set(conv.id, part);
    return o.degraded.refused(part, why, async () => {
      // Said in the default channel, unless that is the channel that refuses the bot.
      if (!home || home === channel) return;
      const said = refusalIn({ ...why, said: err.said }, o.language);
      await enqueue(
        o.db,
        noticeJob(
          platform,
          home,
          fill(words.notes.cannotPost, { channel, why: said.reason, fix: said.fix }),
        ),
      );
    });
  }

  /**
   * Runs work that calls `platform` for conversation `conv` (or a notice), behind the parts that
   * refuse it: a refusal becomes a wait, a failure for now marks an outage, a success ends the
   * wait of what a hold or an outage kept back.
   */
  async function behindHolds<T>(
    platform: string,
    conv: { id: number; channel: string | null } | undefined,
    extra: string[],
    work: () => Promise<T>,
  ): Promise<T> {
    const channel = conv ? waitingIn.get(conv.id) : undefined;
    const parts = [chatPart(platform), ...(channel ? [channel] : []), ...extra];
    const wait = await o.degraded?.turn(...parts);
    if (wait) throw wait;
    let result: T;
    try {
      result = await work();
    } catch (err) {
      if (err instanceof RefusedError) throw await refusedBy(err, platform, conv);
      if (err instanceof RetryableError && !(err instanceof DeferredError))
        await o.degraded?.failing(chatPart(platform), errorMessage(err));
      throw err;
    }
    for (const part of parts) await o.degraded?.worked(part);
    if (conv) waitingIn.delete(conv.id);
    return result;
  }

  /**
   * The inbound SMS whose `message` jobs wait right behind this one in the thread's queue
   * (consecutive, nothing else between), not yet posted: they can share its post. Their jobs
   * cannot be claimed meanwhile, since this one of the same ordering key is running.
   */
  async function pileUp(
    first: store.Message,
    behind: Job<ChatPayload>[],
  ): Promise<{ jobIds: number[]; list: store.Message[] }> {
    const candidates: { jobId: number; messageId: number }[] = [];
    for (const j of behind) {
      if (j.payload.type !== "message") break;
      candidates.push({ jobId: j.id, messageId: j.payload.messageId });
    }
    if (candidates.length === 0) return { jobIds: [], list: [] };
    const byId = new Map(
      (
        await store.getMessages(
          o.db,
          candidates.map((c) => c.messageId),
        )
      ).map((m) => [m.id, m]),
    );
    const jobIds: number[] = [];
    const list: store.Message[] = [];
    let chars = first.body.length;
    for (const c of candidates) {
      const m = byId.get(c.messageId);
      if (m?.direction !== "in" || m.chatRef || m.conversationId !== first.conversationId) break;
      chars += m.body.length;
      if (chars > MERGE_MAX_CHARS) break;
      jobIds.push(c.jobId);
      list.push(m);
    }
    return { jobIds, list };
  }

  // ── scale: a new conversation costs one post; a backlog is said once ────────────────────────
  /** The inbound SMS a new thread's card can carry (an adapter that shows it), if this job's. */
  async function firstOf(p: ChatPayload): Promise<store.Message | undefined> {
    if (p.type !== "message") return undefined;
    const conv = await store.getConversation(o.db, p.conversationId);
    if (!conv || !o.adapters.get(conv.platform)?.cardCarriesFirst) return undefined;
    const m = await store.getMessage(o.db, p.messageId);
    return m?.direction === "in" && !m.chatRef ? m : undefined;
  }

  /**
   * A channel whose new conversations pile up says so once, at the top (every process agrees
   * through a setting); said again only after the backlog has drained. Always undefined.
   */
  async function noticeBacklog(platform: string, channel: string | null): Promise<undefined> {
    const adapter = o.adapters.get(platform);
    if (!adapter?.announceBacklog) return;
    const key = `backlog:${platform}:${channel ?? ""}`;
    const waiting = await store.waitingForThread(o.db, platform, channel);
    if (waiting <= 1) {
      await store.deleteSetting(o.db, key);
      return;
    }
    if (waiting < (o.backlogNoticeAt ?? 100)) return;
    const mark = `${Date.now()}:${randomUUID()}`;
    if ((await store.initSetting(o.db, key, mark)) !== mark) return;
    try {
      await adapter.announceBacklog(channel ?? "", waiting);
    } catch (err) {
      await store.deleteSetting(o.db, key);
      // Its turn has not come (the channel's pace): the job waits, and says it then.
      if (err instanceof DeferredError) throw err;
      o.log.warn({ err: errorMessage(err) }, "backlog notice not posted");
    }
  }
  // ── end of scale ──────────────────────────────────────────────────────────────────────────

  /** `chat.notice`: a note at the top of a channel, once, behind its platform's and channel's holds. */
  async function notice(job: Job<NoticePayload>): Promise<void> {
    const { platform, channel, text } = job.payload;
    const adapter = o.adapters.get(platform);
    if (!adapter) return;
    const retry = job.attempts > 1 || job.resumed === true;
    await behindHolds(platform, undefined, [channelPart(platform, channel)], async () => {
      if (adapter.announce) await adapter.announce(channel, text, { key: `job:${job.id}`, retry });
    });
  }

  /**
   * Threads whose last post carried several SMS, by conversation id: until when their next SMS
   * waits (LINGER_MS). This process's own, dropped as they are read; a job another process takes
   * does not wait, which costs a post, never an SMS.
   */
  const busy = new Map<number, number>();
  const lingerMs = o.lingerMs ?? LINGER_MS;
  function lingerAfter(conversationId: number): void {
    const now = Date.now();
    // Threads that went quiet leave no trace.
    if (busy.size >= 10_000) for (const [id, until] of busy) if (until <= now) busy.delete(id);
    busy.set(conversationId, now + lingerMs);
  }

  /**
   * The SMS `ids` posted as `ref`, and the jobs of those the post carried for others absorbed:
   * one statement (a round trip is what a statement costs here: bench/README, seventh round).
   */
  async function recordPost(ids: number[], ref: string, absorbed: number[]): Promise<void> {
    const mark = o.db
      .update(messages)
      .set({ chatRef: ref, ownPost: true })
      .where(inArray(messages.id, ids));
    if (absorbed.length === 0) await mark;
    else await absorb(o.db, absorbed, mark.getSQL());
  }

  // The chat.deliver handler, with the chat.notice handler beside it (they share the holds).
  return Object.assign(deliver, { notice });

  async function deliver(current: Job<ChatPayload>): Promise<void> {
    const p = current.payload;
    // A busy thread's next SMS waits for the SMS after it to share its post (read nothing first).
    const until = busy.get(p.conversationId);
    if (until !== undefined) {
      busy.delete(p.conversationId);
      const left = until - Date.now();
      if (left > 0 && p.type === "message" && current.attempts <= 1 && !current.resumed)
        throw new DeferredError("a busy thread's next post waits for the SMS after it", left);
    }
    // A post's SMS and the jobs right behind it are read with its conversation, not after it:
    // two round trips less before the post (bench figure 3).
    const [conversation, read] = await Promise.all([
      store.getConversation(o.db, p.conversationId),
      p.type === "message"
        ? Promise.all([
            store.getMessage(o.db, p.messageId),
            followers(o.db, current, CHAT_JOB, MERGE_MAX),
          ])
        : undefined,
    ]);
    if (!conversation) return;
    await behindHolds(conversation.platform, conversation, [], () =>
      deliverNow(current, conversation, read && { message: read[0], behind: read[1] }),
    );
  }

  async function deliverNow(
    current: Job<ChatPayload>,
    found: store.Conversation,
    /** A message job's SMS and the jobs behind it, read with the conversation (first run only). */
    read?: { message: store.Message | undefined; behind: Job<ChatPayload>[] },
  ): Promise<void> {
    const p = current.payload;
    // Every post carries the job's key; a job taken again (a failed attempt, or a lease that ran
    // out under a killed worker) may have posted already: the adapter looks before posting.
    const key = `job:${current.id}`;
    const retry = current.attempts > 1 || current.resumed === true;
    let conv: store.Conversation | undefined = found;
    const adapter = o.adapters.get(conv.platform);
    if (!adapter) {
      o.log.warn({ platform: conv.platform }, "chat platform not enabled: thread update dropped");
      return;
    }
    /**
     * `cardKey`: the card's own key (its posts have theirs: a Discord nonce must differ), the
     * same on every attempt, so that a card made by a killed attempt is found, not made again.
     * `moved`: a route moved the conversation (its old thread is still there).
     */
    const openThread = async (
      previous: string | null,
      cardKey: string,
      moved = false,
      first?: store.Message,
    ): Promise<ThreadRef> => {
      if (!conv) throw new Error("unreachable");
      /** The conversation as this job read it: the channel its new thread is opened for. */
      const opening = conv;
      const card = await cardOf(o.db, conv, cardSettings);
      if (first) card.first = postOf(first, words);
      const once = { key: cardKey, retry };
      // A new conversation whose channel refuses the bot opens in the default channel (said
      // there once) rather than wait unseen; one that had a thread waits for its channel.
      const home = o.defaults?.[conv.platform];
      const routed = conv.channel ?? "";
      const fallback = previous === null && home !== undefined && routed !== "" && routed !== home;
      const routedPart = channelPart(conv.platform, routed);
      const held = fallback ? await o.degraded?.turn(routedPart) : undefined;
      let thread: ThreadRef;
      try {
        if (held) throw held;
        thread = await adapter.openThread(routed, card, once);
        if (fallback) await o.degraded?.worked(routedPart);
      } catch (err) {
        const refused = err instanceof RefusedError && err.scope === "channel";
        if (!fallback || !home || !(refused || err === held)) throw err;
        if (refused && (err.channel ?? routed) === home) throw err;
        if (refused) await refusedBy(err, conv.platform, undefined);
        o.log.warn(
          { conversation: conv.id },
          "its channel refuses the bot: thread opened in the default channel",
        );
        thread = await adapter.openThread(home, card, once);
      }
      const threadUrl = await urlOf(adapter, thread);
      await o.db.transaction(async (tx) => {
        const kept = await store.setThread(
          tx,
          opening.id,
          thread,
          previous,
          threadUrl,
          opening.channel,
        );
        if (!kept)
          o.log.info(
            { conversation: opening.id },
            "moved while its thread opened: its next post opens one in its new channel",
          );
        // The card carries the first SMS: its chat ref is the thread's (cards.ts, cardOf).
        if (first)
          await tx
            .update(messages)
            .set({ chatRef: thread, ownPost: false })
            .where(eq(messages.id, first.id));
      });
      conv = { ...conv, threadRef: thread, previousThreadRef: previous, threadUrl };
      if (previous) {
        const text = moved
          ? fill(words.notes.moved, { link: adapter.threadLink?.(previous) ?? previous })
          : fill(words.notes.previousGone, { previous });
        try {
          await adapter.post(thread, { kind: "note", text, key: `${key}:note`, retry });
        } catch (err) {
          // The new thread is saved: the note must not be lost with this attempt (a rate limit
          // may hold it back), so it becomes a job of its own, right behind this one.
          o.log.info({ err: errorMessage(err) }, "note on the new thread queued for later");
          await enqueue(o.db, ...chatJob(conv, { type: "note", text }));
        }
      }
      return thread;
    };
    // What was read before is still true unless a thread was opened here: its card carries the
    // first SMS, which it marks posted.
    const fresh = conv.threadRef ? read : undefined;
    const thread =
      conv.threadRef ??
      (await noticeBacklog(conv.platform, conv.channel)) ??
      (await openThread(conv.previousThreadRef, `${key}:card`, true, await firstOf(p)));
    try {
      await run(p, thread, fresh);
    } catch (err) {
      if (!(err instanceof ThreadGoneError) || p.type === "status") throw err;
      o.log.warn({ conversation: conv.id }, "thread gone: opening a new one");
      await run(p, await openThread(thread, `${key}:new-card`));
    }

    /**
     * The post an earlier attempt of this job made (a worker killed before saving it), found by
     * its key: this SMS's chat ref, and the SMS it merged (their jobs, still waiting behind this
     * one, carry keys the post carries) are done with it. False when there is none.
     */
    async function foundEarlier(m: store.Message, thread: ThreadRef): Promise<boolean> {
      const found = await adapter?.findPost?.(thread, key);
      if (!found) return false;
      const carried = new Set(found.keys);
      const merged = (await followers(o.db, current, CHAT_JOB, MERGE_MAX)).filter(
        (j) => j.payload.type === "message" && carried.has(`job:${j.id}`),
      );
      const ids = [
        m.id,
        ...merged.map((j) => (j.payload.type === "message" ? j.payload.messageId : 0)),
      ];
      await recordPost(
        ids,
        found.ref,
        merged.map((j) => j.id),
      );
      return true;
    }

    async function run(job: ChatJob, thread: ThreadRef, ready?: typeof read): Promise<void> {
      if (!conv || !adapter) return;
      if (job.type === "note") {
        await adapter.post(thread, {
          kind: job.failure ? "failure" : "note",
          // The core's markup in the platform's words (bold, commands).
          text: speak(job.text, adapter.dialect),
          actions: job.actions,
          key,
          retry,
          mention: job.mention,
        });
      } else if (job.type === "whisper") {
        const text = speak(job.text, adapter.dialect);
        if (adapter.whisper) await adapter.whisper(thread, job.userId, text);
        else await adapter.post(thread, { kind: "note", text, key, retry });
      } else if (job.type === "card") {
        await adapter.updateCard(thread, await cardOf(o.db, conv, cardSettings));
        // A thread opened before its address was kept (or when the platform could not say).
        const url = conv.threadUrl ? null : await urlOf(adapter, thread);
        if (url) await store.setThreadUrl(o.db, conv.id, thread, url);
      } else {
        const m = ready ? ready.message : await store.getMessage(o.db, job.messageId);
        if (!m) return;
        // An SMS that has not left says so when a STOP or a Block means it will not go.
        const held =
          m.direction === "out" && m.status === "queued"
            ? await consent.holdOf(o.db, conv.phone, words)
            : undefined;
        if (job.type === "message") {
          if (m.chatRef) return; // posted by an earlier attempt
          // An earlier attempt may have posted it merged with the SMS behind it: they are done too.
          const looked = retry && adapter.findPost !== undefined;
          if (looked && (await foundEarlier(m, thread))) return;
          // A retry posts its own SMS alone: what an earlier attempt merged is not known here.
          const more =
            m.direction === "in" && adapter.postMany && !retry
              ? await pileUp(
                  m,
                  ready?.behind ?? (await followers(o.db, current, CHAT_JOB, MERGE_MAX)),
                )
              : undefined;
          // The merged SMS's jobs are held under this one's lease while the post is made: if
          // this worker dies before recording it, they are taken again as retries, each finding
          // its key in the post, instead of being posted a second time.
          if (
            more &&
            more.list.length > 0 &&
            adapter.postMany &&
            (await holdWith(o.db, current, more.jobIds))
          ) {
            const all = [m, ...more.list];
            const keys = [key, ...more.jobIds.map((id) => `job:${id}`)];
            let ref: string;
            try {
              ref = await adapter.postMany(
                thread,
                all.map((x, i) => ({
                  ...postOf(x, words, i === 0 ? conv?.ownerId : null),
                  key: keys[i],
                })),
              );
            } catch (err) {
              await unhold(o.db, current, more.jobIds);
              throw err;
            }
            await recordPost(
              all.map((x) => x.id),
              ref,
              more.jobIds,
            );
            // A busy thread: what comes in the next LINGER_MS shares its next post; a backlog
            // (a full post) goes on at the channel's pace.
            if (all.length < MERGE_MAX && lingerMs > 0) lingerAfter(conv.id);
            return;
          }
          const ref = await adapter.post(thread, {
            ...postOf(m, words, conv.ownerId, held),
            key,
            retry: retry && !looked,
          });
          await o.db
            .update(messages)
            .set({ chatRef: ref, ownPost: true })
            .where(eq(messages.id, m.id));
        } else if (m.chatRef) {
          try {
            if (m.ownPost) await adapter.update(m.chatRef, postOf(m, words, null, held));
            else await adapter.react(m.chatRef, statusView(m, held));
          } catch (err) {
            if (!(err instanceof ThreadGoneError)) throw err;
            o.log.info({ conversation: conv.id }, "status not shown: the chat message is gone");
          }
        }
      }
    }
  }
}
