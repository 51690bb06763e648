// The `chat.deliver` job: tells a conversation's thread what happened. Opens the thread on
// first use; when the thread or its channel is gone, opens a new one that says so.
import { eq } from "drizzle-orm";
import type { Logger } from "pino";
import type { ChatJob } from "./bridge.ts";
import type { ChatAdapter, ChatPost, StatusView, ThreadRef } from "./contracts.ts";
import type { Db } from "./db.ts";
import { ThreadGoneError } from "./errors.ts";
import type { Job } from "./jobs.ts";
import { messages } from "./schema.ts";
import * as store from "./store.ts";

export interface DeliveryOptions {
  db: Db;
  adapters: Map<string, ChatAdapter>;
  log: Logger;
}

export function statusView(m: store.Message): StatusView {
  return {
    status: m.status,
    sentAt: m.sentAt,
    receivedAt: m.receivedAt,
    segments: m.segments,
    encoding: m.encoding,
    error: m.error,
  };
}

function postOf(m: store.Message): ChatPost {
  return m.direction === "in"
    ? { kind: "inbound", text: m.body, at: m.receivedAt ?? m.createdAt }
    : {
        kind: "outbound",
        text: m.body,
        at: m.createdAt,
        author: m.author ?? undefined,
        status: statusView(m),
      };
}

export function createChatDelivery(o: DeliveryOptions) {
  return async function deliver(job: Job): Promise<void> {
    const p = job.payload as ChatJob & { conversationId: number };
    let conv = await store.getConversation(o.db, p.conversationId);
    if (!conv) return;
    const adapter = o.adapters.get(conv.platform);
    if (!adapter) {
      o.log.warn({ platform: conv.platform }, "chat platform not enabled: thread update dropped");
      return;
    }
    const openThread = async (previous: string | null): Promise<ThreadRef> => {
      if (!conv) throw new Error("unreachable");
      const card = await store.cardOf(o.db, conv);
      const thread = await adapter.openThread(conv.channel ?? "", card);
      await store.setThread(o.db, conv.id, thread, previous);
      if (previous) {
        await adapter.post(thread, {
          kind: "note",
          text: `The previous thread of this conversation (${previous}) is gone or cannot be reached: the conversation goes on here.`,
        });
      }
      conv = { ...conv, threadRef: thread, previousThreadRef: previous };
      return thread;
    };
    const thread = conv.threadRef ?? (await openThread(null));
    try {
      await run(p, thread);
    } catch (err) {
      if (!(err instanceof ThreadGoneError) || p.type === "status") throw err;
      o.log.warn({ conversation: conv.id }, "thread gone: opening a new one");
      await run(p, await openThread(thread));
    }

    async function run(job: ChatJob, thread: ThreadRef): Promise<void> {
      if (!conv || !adapter) return;
      if (job.type === "note") {
        await adapter.post(thread, { kind: job.failure ? "failure" : "note", text: job.text });
      } else if (job.type === "card") {
        await adapter.updateCard(thread, await store.cardOf(o.db, conv));
      } else {
        const m = await store.getMessage(o.db, job.messageId);
        if (!m) return;
        if (job.type === "message") {
          if (m.chatRef) return; // posted by an earlier attempt
          const ref = await adapter.post(thread, postOf(m));
          await o.db
            .update(messages)
            .set({ chatRef: ref, ownPost: true })
            .where(eq(messages.id, m.id));
        } else if (m.chatRef) {
          try {
            if (m.ownPost) await adapter.update(m.chatRef, postOf(m));
            else await adapter.react(m.chatRef, statusView(m));
          } catch (err) {
            if (!(err instanceof ThreadGoneError)) throw err;
            o.log.info({ conversation: conv.id }, "status not shown: the chat message is gone");
          }
        }
      }
    }
  };
}
