// Block Kit for the bridge's posts: the conversation card (the thread's parent), SMS in and
// out, notes, failures, and an outbound SMS's status line; plus the reactions that show an
// SMS's status on a person's own message. Limits: https://docs.slack.dev/reference/block-kit/blocks
import type { ChatPost, ConversationCard, MessageStatus, StatusView } from "../../src/contracts.ts";
import { formatPhone } from "../../src/contracts.ts";

export type Block = { type: string; [key: string]: unknown };
export interface Rendered {
  /** Notification / fallback text (mrkdwn). */
  text: string;
  blocks: Block[];
}

/** Action ids carry the conversation id: `conv:<action>:<id>`. */
export const ACTION_ID = /^conv:(close|reopen|block):(\d+)$/;
export const actionId = (action: "close" | "reopen" | "block", conversationId: number) =>
  `conv:${action}:${conversationId}`;

/** Slack needs `&`, `<` and `>` escaped in any text it parses. */
function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A time each reader sees in their own zone; the fallback is ISO-8601 (UTC). */
function slackTime(at: Date, format = "{date_short_pretty} {time_secs}"): string {
  return `<!date^${Math.floor(at.getTime() / 1000)}^${format}|${at.toISOString()}>`;
}

const mrkdwn = (text: string) => ({ type: "mrkdwn", text });

/** Sections of at most 3000 characters (Slack's limit), at most `max` of them. */
function sections(text: string, max = 40): Block[] {
  const out: Block[] = [];
  for (let i = 0; i < text.length && out.length < max; i += 3000) {
    out.push({ type: "section", text: mrkdwn(text.slice(i, i + 3000)) });
  }
  return out.length > 0 ? out : [{ type: "section", text: mrkdwn(" ") }];
}

/** Quotes each line of an SMS so it stands apart from our own words. */
const quote = (text: string) =>
  escapeText(text)
    .split("\n")
    .map((l) => `>${l}`)
    .join("\n");

export function renderCard(card: ConversationCard): Rendered {
  const phone = formatPhone(card.phone);
  const who = card.contactName ? `${escapeText(card.contactName)} · ${phone}` : phone;
  const state = [card.open ? "🟢 open" : "⚪ closed"];
  if (card.optedOut) state.push("🚫 opted out (STOP): SMS are not sent");
  const blocks: Block[] = [
    { type: "section", text: mrkdwn(`:speech_balloon: *SMS conversation* with *${who}*`) },
    { type: "context", elements: [mrkdwn(state.join(" · "))] },
  ];
  if (card.lastMessage) {
    const arrow = card.lastMessage.direction === "in" ? "📩 last in" : "📤 last out";
    const excerpt = card.lastMessage.text.replace(/\s+/g, " ").slice(0, 150);
    blocks.push({
      type: "context",
      elements: [mrkdwn(`${arrow} ${slackTime(card.lastMessage.at)}: ${escapeText(excerpt)}`)],
    });
  }
  const buttons: Block[] = [
    card.open
      ? button("Close", actionId("close", card.conversationId), card.conversationId)
      : button("Reopen", actionId("reopen", card.conversationId), card.conversationId),
  ];
  if (!card.optedOut) {
    buttons.push({
      ...button("Block number", actionId("block", card.conversationId), card.conversationId),
      style: "danger",
      confirm: {
        title: { type: "plain_text", text: "Block this number?" },
        text: mrkdwn(`No SMS will be sent to ${phone} any more.`),
        confirm: { type: "plain_text", text: "Block" },
        deny: { type: "plain_text", text: "Cancel" },
      },
    });
  }
  blocks.push({ type: "actions", block_id: "conversation", elements: buttons });
  return { text: `SMS conversation with ${who}${card.open ? "" : " (closed)"}`, blocks };
}

function button(text: string, action_id: string, conversationId: number): Block {
  return {
    type: "button",
    text: { type: "plain_text", text },
    action_id,
    value: String(conversationId),
  };
}

export function renderPost(post: ChatPost): Rendered {
  switch (post.kind) {
    case "inbound": {
      const when = post.at ? ` ${slackTime(post.at)}` : "";
      const body = `📩 *SMS*${when}\n${quote(post.text)}`;
      return { text: `📩 ${escapeText(post.text)}`, blocks: sections(body) };
    }
    case "outbound": {
      const by = post.author ? ` by ${escapeText(post.author)}` : "";
      const body = `📤 *SMS sent from Slack*${by}\n${quote(post.text)}`;
      const blocks = sections(body);
      if (post.status) {
        blocks.push({ type: "context", elements: [mrkdwn(statusLine(post.status))] });
      }
      return { text: `📤 ${escapeText(post.text)}`, blocks };
    }
    case "note":
      return {
        text: escapeText(post.text),
        blocks: [{ type: "context", elements: [mrkdwn(`📝 ${escapeText(post.text)}`)] }],
      };
    case "failure":
      return { text: escapeText(post.text), blocks: sections(`*${escapeText(post.text)}*`) };
  }
}

/** Several SMS that piled up behind the rate limit, in one post, each with its time. */
export function renderMany(posts: ChatPost[]): Rendered {
  if (posts.length === 1 && posts[0]) return renderPost(posts[0]);
  const lines = posts.map((p) => {
    const when = p.at ? `${slackTime(p.at, "{time_secs}")} ` : "";
    return `${when}${quote(p.text)}`;
  });
  const body = `📩 *${posts.length} SMS*\n${lines.join("\n")}`;
  return {
    text: `📩 ${posts.map((p) => escapeText(p.text)).join("\n")}`,
    blocks: sections(body),
  };
}

/** Steps an SMS has reached, in order; a later step implies the earlier ones. */
export function stepsReached(s: StatusView): MessageStatus[] {
  if (s.status === "failed") {
    const steps: MessageStatus[] = ["queued"];
    if (s.sentAt) steps.push("sent");
    steps.push("failed");
    return steps;
  }
  const rank = ["queued", "submitted", "sent", "received"] as const;
  let reached = rank.indexOf(s.status);
  if (s.receivedAt) reached = 3;
  else if (s.sentAt) reached = Math.max(reached, 2);
  return rank.slice(0, reached + 1);
}

/** `⏳ queued · 📤 sent 10:01 · 📱 received 10:02 · 3 SMS, UCS-2`, or the failure and why. */
export function statusLine(s: StatusView): string {
  const parts: string[] = [];
  for (const step of stepsReached(s)) {
    if (step === "queued") parts.push("⏳ queued");
    else if (step === "submitted") parts.push("📨 accepted by the provider");
    else if (step === "sent") parts.push(`📤 sent${s.sentAt ? ` ${slackTime(s.sentAt)}` : ""}`);
    else if (step === "received")
      parts.push(`📱 received${s.receivedAt ? ` ${slackTime(s.receivedAt)}` : ""}`);
    else parts.push(`❌ failed${s.error ? `: ${escapeText(s.error)}` : ""}`);
  }
  if (s.segments && s.segments > 1) {
    parts.push(`${s.segments} SMS${s.encoding ? `, ${s.encoding}` : ""}`);
  }
  return parts.join(" · ");
}

/** The reaction of each step on a person's message. */
const REACTION: Record<MessageStatus, string> = {
  queued: "hourglass_flowing_sand",
  submitted: "outbox_tray",
  sent: "white_check_mark",
  received: "iphone",
  failed: "x",
};

export function reactionsFor(s: StatusView): string[] {
  return stepsReached(s).map((step) => REACTION[step]);
}
