// Block Kit for the bridge's posts: the conversation card (the thread's parent), SMS in and
// out, notes, failures, and an outbound SMS's status line; plus the reactions that show an
// SMS's status on a person's own message. Limits: https://docs.slack.dev/reference/block-kit/blocks
import type {
  ActionButton,
  Catalogue,
  ChatDialect,
  ChatPost,
  ConversationCard,
  StatusView,
  Step,
} from "../../src/contracts/index.ts";
import { costLine, fill, formatPhone, stepsReached, wordsOf } from "../../src/contracts/index.ts";

/** Slack's mrkdwn for the core's markup: bold is `*…*`; commands are typed as the core writes them. */
export function slackDialect(w: Catalogue = wordsOf(), managerGroup?: string): ChatDialect {
  return {
    bold: (text) => `*${text}*`,
    command: (text) => text,
    verbatim: escapeText,
    // Who manages: SLACK_MANAGER_GROUP's members when it is set, else the workspace's admins.
    managers: managerGroup
      ? fill(w.slack.managersGroup, { group: managerGroup })
      : w.slack.managers,
  };
}

/** A catalogue's text in mrkdwn, its placeholders filled (after: a value's `**` stays as it is). */
function say(template: string, values: Record<string, string | number> = {}): string {
  return fill(template.replace(/\*\*([^*\n]+)\*\*/g, "*$1*"), values);
}

export type Block = { type: string; [key: string]: unknown };
export interface Rendered {
  /** Notification / fallback text (mrkdwn). */
  text: string;
  blocks: Block[];
}

/** Action ids carry the action, the conversation and the SMS it is about: `conv:<action>:<id>[:<sms>]`. */
export const ACTION_ID = /^conv:([a-z-]+):(\d+)(?::(\d+))?$/;
export const actionId = (action: string, conversationId: number, messageId?: number) =>
  `conv:${action}:${conversationId}${messageId === undefined ? "" : `:${messageId}`}`;
/** A button that opens a form (a modal): `form:<action>:<id>` (forms.ts). */
export const FORM_ID = /^form:([a-z-]+):(\d+)$/;

/** The core's buttons as a Block Kit actions block. */
export function actionsBlock(
  list: ActionButton[],
  blockId?: string,
  w: Catalogue = wordsOf(),
): Block {
  return {
    type: "actions",
    ...(blockId ? { block_id: blockId } : {}),
    elements: list.map((b) =>
      b.kind === "user-select"
        ? {
            type: "users_select",
            action_id: actionId(b.action, b.conversationId, b.messageId),
            placeholder: { type: "plain_text", text: b.label },
          }
        : button(b, w),
    ),
  };
}

function button(b: ActionButton, w: Catalogue): Block {
  return {
    type: "button",
    text: { type: "plain_text", text: b.label },
    action_id:
      b.kind === "form"
        ? `form:${b.action}:${b.conversationId}`
        : actionId(b.action, b.conversationId, b.messageId),
    value: String(b.conversationId),
    ...(b.style ? { style: b.style } : {}),
    ...(b.confirm
      ? {
          confirm: {
            title: { type: "plain_text", text: `${b.label}?` },
            text: mrkdwn(escapeText(b.confirm)),
            confirm: { type: "plain_text", text: b.label },
            deny: { type: "plain_text", text: w.buttons.cancel },
          },
        }
      : {}),
  };
}

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

export function renderCard(card: ConversationCard, w: Catalogue = wordsOf()): Rendered {
  const phone = formatPhone(card.phone);
  const who = card.contactName ? `${escapeText(card.contactName)} · ${phone}` : phone;
  const c = w.card;
  const state = [
    !card.open
      ? c.closed
      : card.waitingSince
        ? say(c.waitingForUs, { since: slackTime(card.waitingSince) })
        : c.waitingForCustomer,
    card.owner ? `👤 <@${card.owner}>` : c.nobodyClaimed,
  ];
  if (card.optedOut) state.push(w.slack.optedOut);
  if (card.blocked) state.push(w.slack.blocked);
  if (card.contactProblem) state.push(`⚠️ ${escapeText(card.contactProblem)}`);
  if (card.sender) state.push(say(c.sendsAs, { sender: escapeText(card.sender) }));
  state.push(card.replyMode === "explicit" ? c.explicitMode : c.sendMode);
  const blocks: Block[] = [
    { type: "section", text: mrkdwn(say(w.slack.title, { who })) },
    { type: "context", elements: [mrkdwn(state.join(" · "))] },
  ];
  // The first SMS shown whole under the card (a new conversation costs one post).
  if (card.first) blocks.push(...renderPost(card.first, w).blocks);
  const last = card.lastMessage;
  if (last && !(card.first && last.direction === "in" && last.text === card.first.text)) {
    const arrow = last.direction === "in" ? w.slack.lastIn : w.slack.lastOut;
    const excerpt = last.text.replace(/\s+/g, " ").slice(0, 150);
    blocks.push({
      type: "context",
      elements: [mrkdwn(`${arrow} ${slackTime(last.at)}: ${escapeText(excerpt)}`)],
    });
  }
  if (card.actions.length > 0) blocks.push(actionsBlock(card.actions, "conversation", w));
  const text = say(w.slack.fallback, { who }) + (card.open ? "" : w.slack.fallbackClosed);
  return { text: card.first ? `${text}\n${renderPost(card.first, w).text}` : text, blocks };
}

/** The channel's one notice of a backlog of new conversations, with the time it takes. */
export function renderBacklog(waiting: number, perSecond: number, w = wordsOf()): string {
  const seconds = Math.ceil(waiting / perSecond);
  const eta = seconds < 90 ? `~${seconds} s` : `~${Math.round(seconds / 60)} min`;
  return say(w.slack.backlog, { waiting, eta });
}

export function renderPost(post: ChatPost, w: Catalogue = wordsOf()): Rendered {
  const r = renderBody(post, w);
  if (post.actions?.length) r.blocks.push(actionsBlock(post.actions, undefined, w));
  return r;
}

function renderBody(post: ChatPost, w: Catalogue): Rendered {
  const r = renderKind(post, w);
  if (!post.mention) return r;
  // The person to notify, named first: Slack notifies a mention in the text and the blocks.
  const who = `<@${post.mention}> `;
  const [first, ...rest] = r.blocks;
  const withWho = (b: Block | undefined): Block | undefined => {
    if (b?.type === "section")
      return { ...b, text: mrkdwn(who + (b.text as { text: string }).text) };
    if (b?.type === "context") {
      const [e, ...more] = b.elements as { text: string }[];
      return { ...b, elements: [mrkdwn(who + (e?.text ?? "")), ...more] };
    }
    return b;
  };
  return { text: who + r.text, blocks: [withWho(first), ...rest].filter((b) => b !== undefined) };
}

function renderKind(post: ChatPost, w: Catalogue): Rendered {
  switch (post.kind) {
    case "inbound": {
      const when = post.at ? ` ${slackTime(post.at)}` : "";
      const body = `${say(w.slack.inbound)}${when}\n${quote(post.text)}`;
      return { text: `📩 ${escapeText(post.text)}`, blocks: sections(body) };
    }
    case "outbound": {
      const by = post.author ? say(w.slack.outboundBy, { author: escapeText(post.author) }) : "";
      const body = `${say(w.slack.outbound)}${by}\n${quote(post.text)}`;
      const blocks = sections(body);
      if (post.status) {
        blocks.push({ type: "context", elements: [mrkdwn(statusLine(post.status, w))] });
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
export function renderMany(posts: ChatPost[], w: Catalogue = wordsOf()): Rendered {
  if (posts.length === 1 && posts[0]) return renderPost(posts[0], w);
  const lines = posts.map((p) => {
    const when = p.at ? `${slackTime(p.at, "{time_secs}")} ` : "";
    return `${when}${quote(p.text)}`;
  });
  const who = posts[0]?.mention ? `<@${posts[0].mention}> ` : "";
  const body = `${who}${say(w.slack.many, { count: posts.length })}\n${lines.join("\n")}`;
  return {
    text: `${who}📩 ${posts.map((p) => escapeText(p.text)).join("\n")}`,
    blocks: sections(body),
  };
}

/**
 * `⏳ queued · 📤 sent 10:01 · 📱 received 10:02 · 3 SMS, UCS-2 · ✉️ from Acme`, or the failure
 * and why; a marketing SMS says so first.
 */
export function statusLine(s: StatusView, w: Catalogue = wordsOf()): string {
  const words = stepWords(w);
  const parts = stepsReached(s).map(({ step, at }) => {
    const when = at ? ` ${slackTime(at)}` : "";
    if (step === "failed") return `${words.failed}${s.error ? `: ${escapeText(s.error)}` : ""}`;
    if (step === "held") return `${words.held}: ${escapeText(s.held ?? "")}`;
    if (step === "unknown") return w.slack.stepUnknownLong;
    return `${words[step]}${when}`;
  });
  if ((s.segments ?? 1) > 1 || s.encoding?.startsWith("Unicode"))
    parts.push(escapeText(costLine(s.segments ?? 1, s.encoding)));
  if (s.sender) parts.push(say(w.status.from, { sender: escapeText(s.sender) }));
  if (s.marketing) parts.unshift(w.status.marketing);
  return parts.join(" · ");
}

/** Each step's words on a status line. */
function stepWords(w: Catalogue): Record<Step, string> {
  const s = w.slack;
  return {
    scheduled: s.stepScheduled,
    held: s.stepHeld,
    queued: s.stepQueued,
    submitted: s.stepSubmitted,
    unknown: s.stepUnknown,
    sent: s.stepSent,
    received: s.stepReceived,
    failed: s.stepFailed,
    cancelled: s.stepCancelled,
  };
}

/**
 * The reaction of each step on a person's message. None for `held`: reactions are only added,
 * and a START or an Unblock may lift the hold (the thread's STOP or Block note says it).
 */
const REACTION: Record<Exclude<Step, "held">, string> = {
  scheduled: "clock3",
  queued: "hourglass_flowing_sand",
  submitted: "outbox_tray",
  unknown: "warning",
  sent: "white_check_mark",
  received: "iphone",
  failed: "x",
  cancelled: "no_entry_sign",
};

export function reactionsFor(s: StatusView): string[] {
  return stepsReached(s).flatMap(({ step }) => (step === "held" ? [] : [REACTION[step]]));
}
