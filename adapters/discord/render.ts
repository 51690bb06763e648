// What the bridge shows on Discord: the conversation card (with its buttons), posts, the
// status line of an outbound SMS, and the reactions that show each status step reached.
// https://discord.com/developers/docs/components/reference#button
import { escapeMarkdown } from "discord.js";
import {
  type ActionButton,
  type Catalogue,
  type ChatForm,
  type ChatPost,
  type ConversationCard,
  costLine,
  fill,
  formatPhone,
  type StatusView,
  type Step,
  stepsReached,
  wordsOf,
} from "../../src/contracts/index.ts";

/** Discord refuses content over 2000 characters. */
const MAX_CONTENT = 2000;
/** Thread names are 1 to 100 characters. */
const MAX_NAME = 100;

/** Nobody is ever pinged by what the bridge posts (an SMS may say "@everyone"). */
export const NO_MENTIONS: { parse: [] } = { parse: [] };

/** Button custom ids carry the action, the conversation and the SMS: `ardary:close:42[:7]`. */
export function actionId(action: string, conversationId: number, messageId?: number): string {
  return `ardary:${action}:${conversationId}${messageId === undefined ? "" : `:${messageId}`}`;
}

export function parseActionId(
  customId: string,
): { action: string; conversationId: number; messageId?: number } | null {
  const m = /^ardary:([a-z-]+):(\d+)(?::(\d+))?$/.exec(customId);
  if (!m?.[1] || !m[2]) return null;
  return {
    action: m[1],
    conversationId: Number(m[2]),
    ...(m[3] === undefined ? {} : { messageId: Number(m[3]) }),
  };
}

/** A button that opens a form, and the modal it opens: `ardary-form:edit-contact:42`. */
export const formId = (action: string, conversationId: number) =>
  `ardary-form:${action}:${conversationId}`;

export function parseFormId(customId: string): { action: string; conversationId: number } | null {
  const m = /^ardary-form:([a-z-]+):(\d+)$/.exec(customId);
  return m?.[1] && m[2] ? { action: m[1], conversationId: Number(m[2]) } : null;
}

/**
 * A form as a modal (interaction response type 9): a title of at most 45 characters, then one
 * action row per field, each holding a text input (type 4; style 1 short, 2 paragraph).
 * https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal
 * https://discord.com/developers/docs/components/reference#text-input
 */
export function renderModal(form: ChatForm, customId: string) {
  return {
    custom_id: customId,
    title: clip(form.title, 45),
    components: form.fields.slice(0, 5).map((f) => ({
      type: 1,
      components: [
        {
          type: 4,
          custom_id: f.id,
          label: clip(f.label, 45),
          style: f.multiline ? 2 : 1,
          required: f.required === true,
          max_length: Math.min(f.maxLength, 4000),
          ...(f.value ? { value: f.value.slice(0, 4000) } : {}),
          ...(f.placeholder ? { placeholder: clip(f.placeholder, 100) } : {}),
        },
      ],
    })),
  };
}

/** Discord's button styles: primary, secondary, danger. */
const STYLE = { primary: 1, danger: 4 } as const;

/**
 * The core's buttons as action rows: the buttons in one (at most five), then each user select
 * in a row of its own (a select takes a whole row).
 * https://discord.com/developers/docs/components/reference#user-select
 */
export function actionRows(list: ActionButton[]) {
  const buttons = list.filter((b) => b.kind !== "user-select");
  const selects = list
    .filter((b) => b.kind === "user-select")
    .map((b) => ({
      type: 1,
      components: [
        {
          type: 5,
          custom_id: actionId(b.action, b.conversationId, b.messageId),
          placeholder: b.label,
          min_values: 1,
          max_values: 1,
        },
      ],
    }));
  return [...(buttons.length > 0 ? [actionRow(buttons)] : []), ...selects];
}

/** Buttons as one action row (at most five). */
export function actionRow(list: ActionButton[]) {
  return {
    type: 1,
    components: list.slice(0, 5).map((b) => ({
      type: 2,
      style: b.style ? STYLE[b.style] : 2,
      label: b.label,
      custom_id:
        b.kind === "form"
          ? formId(b.action, b.conversationId)
          : actionId(b.action, b.conversationId, b.messageId),
    })),
  };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function threadName(card: ConversationCard): string {
  const phone = formatPhone(card.phone);
  return clip(card.contactName ? `${card.contactName} · ${phone}` : phone, MAX_NAME);
}

/** Forum tag names that show the conversation's state (the forum must have them). */
export function cardTags(card: ConversationCard): string[] {
  if (card.optedOut || card.blocked) return ["opted-out"];
  return [card.open ? "open" : "closed"];
}

/** An embed's description holds at most 4096 characters; a message's embeds 6000 together. */
const MAX_DESCRIPTION = 4096;
const MAX_EMBEDS_TOTAL = 6000;

/**
 * How much of `text` (escaped already: escaping is costly on long text, so it is done once) a
 * piece of at most `limit` characters takes: cut at a space or a line break where there is one,
 * never inside an emoji's surrogate pair nor between an escaping backslash and what it escapes.
 */
function cut(text: string, limit: number): number {
  if (limit <= 0) return 0;
  let n = Math.min(text.length, limit);
  if (n < text.length) {
    const space = Math.max(text.lastIndexOf(" ", n - 1), text.lastIndexOf("\n", n - 1));
    if (space >= n / 2) n = space + 1;
    else if (/[\uD800-\uDBFF]/.test(text.charAt(n - 1))) n -= 1;
  }
  while (n > 1 && n < text.length && text.charAt(n - 1) === "\\") n -= 1;
  return n;
}

/** Escaped text in a message's embeds (4096 each, 6000 together); `rest` is what they cannot hold. */
function inEmbeds(text: string): { embeds: { description: string }[]; rest: string } {
  const embeds: { description: string }[] = [];
  let rest = text;
  for (let room = MAX_EMBEDS_TOTAL; rest.length > 0 && embeds.length < 10; ) {
    const n = cut(rest, Math.min(MAX_DESCRIPTION, room));
    if (n === 0) break;
    embeds.push({ description: rest.slice(0, n) });
    room -= n;
    rest = rest.slice(n);
  }
  return { embeds, rest };
}

/** Escaped text in pieces of at most `limit` characters each: nothing lost. */
function pieces(text: string, limit: number): string[] {
  const out: string[] = [];
  for (let rest = text; rest.length > 0; ) {
    const n = Math.max(1, cut(rest, limit));
    out.push(rest.slice(0, n));
    rest = rest.slice(n);
  }
  return out;
}

/**
 * The card and what it carries: who, which number, open or closed, opted out; the first SMS
 * whole (a new conversation costs one post); the last message; its buttons. The first SMS is
 * in the message's content when everything fits in Discord's 2000 characters, otherwise in
 * embeds (4096 each, 6000 together); `more` is what even those cannot hold (an SMS of thousands
 * of characters), posted in the thread when it opens.
 */
export function layoutCard(card: ConversationCard, w: Catalogue = wordsOf()) {
  const who = card.contactName
    ? `**${escapeMarkdown(card.contactName)}** · ${formatPhone(card.phone)}`
    : `**${formatPhone(card.phone)}**`;
  const c = w.card;
  const since = card.waitingSince && `<t:${Math.floor(card.waitingSince.getTime() / 1000)}:R>`;
  const state = [
    !card.open ? c.closed : since ? fill(c.waitingForUs, { since }) : c.waitingForCustomer,
    card.owner ? `👤 <@${card.owner}>` : c.nobodyClaimed,
    ...(card.optedOut ? [w.discord.optedOut] : []),
    ...(card.blocked ? [w.discord.blocked] : []),
    ...(card.contactProblem ? [`⚠️ ${escapeMarkdown(card.contactProblem)}`] : []),
    ...(card.sender ? [fill(c.sendsAs, { sender: escapeMarkdown(card.sender) })] : []),
    card.replyMode === "explicit" ? c.explicitMode : c.sendMode,
  ].join(" · ");
  const head = [`📱 ${who}`, state];
  const first = card.first;
  const last = card.lastMessage;
  const tail: string[] = [];
  // The last message, unless it is the first SMS the card already shows.
  if (last && !(first && last.direction === "in" && last.text === first.text)) {
    const arrow = last.direction === "in" ? "📩" : "➡️";
    tail.push(`-# ${arrow} ${clip(last.text.replace(/\s+/g, " "), 120)}`);
  }
  const body = (content: string, embeds: { description: string }[] = []) => ({
    content: clip(content, MAX_CONTENT),
    allowed_mentions: NO_MENTIONS,
    // Always said: an edit that leaves them out would keep the embeds it had.
    embeds,
    components: actionRows(card.actions),
  });
  const sms = first ? `📩 ${escapeMarkdown(first.text)}` : undefined;
  const inline = [...head, ...(sms ? [sms] : []), ...tail].join("\n");
  if (!sms || inline.length <= MAX_CONTENT) return { body: body(inline), more: [] };
  // Too long for the content: the SMS in embeds, whole; what they cannot hold, in the thread.
  const { embeds, rest } = inEmbeds(sms);
  const cont = w.discord.continued;
  const more = pieces(rest, MAX_CONTENT - cont.length).map((p) => cont + p);
  const note = more.length > 0 ? [w.discord.restInThread] : [];
  return { body: body([...head, ...tail, ...note].join("\n"), embeds), more };
}

/** The card as a message body (posted, or edited in place). */
export function renderCard(card: ConversationCard, w: Catalogue = wordsOf()) {
  return layoutCard(card, w).body;
}

/** Each step's emoji (its reaction too) and its words on a status line. */
function steps(w: Catalogue): Record<Step, { emoji: string; label: string }> {
  const d = w.discord;
  return {
    scheduled: { emoji: "🕒", label: d.stepScheduled },
    held: { emoji: "🚫", label: d.stepHeld },
    queued: { emoji: "⏳", label: d.stepQueued },
    submitted: { emoji: "📤", label: d.stepSubmitted },
    unknown: { emoji: "⚠️", label: d.stepUnknown },
    sent: { emoji: "✅", label: d.stepSent },
    received: { emoji: "📬", label: d.stepReceived },
    failed: { emoji: "❌", label: d.stepFailed },
    cancelled: { emoji: "🚫", label: d.stepCancelled },
  };
}
const STEPS = steps(wordsOf());

/**
 * The emoji a person's message carries for its SMS, in the order they are added. None for
 * `held`: reactions are only added, and a START or an Unblock may lift the hold.
 */
export function statusReactions(view: StatusView): string[] {
  return stepsReached(view).flatMap(({ step }) => (step === "held" ? [] : [STEPS[step].emoji]));
}

/** A time each reader sees in their own zone (Discord's timestamp markup). */
const time = (d: Date) => `<t:${Math.floor(d.getTime() / 1000)}:T>`;

export function statusLine(view: StatusView, w: Catalogue = wordsOf()): string {
  const words = steps(w);
  const list = stepsReached(view).map(({ step, at }) => {
    const said = `${words[step].emoji} ${words[step].label}${at ? ` ${time(at)}` : ""}`;
    return step === "held" && view.held ? `${said}: ${view.held}` : said;
  });
  if (view.status === "failed" && view.error) list[list.length - 1] += `: ${view.error}`;
  if ((view.segments ?? 1) > 1 || view.encoding?.startsWith("Unicode"))
    list.push(costLine(view.segments ?? 1, view.encoding));
  if (view.sender) list.push(fill(w.status.from, { sender: escapeMarkdown(view.sender) }));
  if (view.marketing) list.unshift(w.status.marketing);
  return list.join(" · ");
}

/**
 * The channel's one notice of a backlog of new conversations. No time is promised: Discord
 * publishes no fixed pace (its limits are read from each answer's headers, and a 429 may come
 * at any count), so the notice says what sets the pace instead of guessing a figure.
 */
export function renderBacklog(waiting: number, w: Catalogue = wordsOf()): string {
  return fill(w.discord.backlog, { waiting });
}

/**
 * One post in a thread. SMS text is escaped so it reads as the customer wrote it, and shown
 * whole: in the content when it fits in Discord's 2000 characters, otherwise in embeds (6000
 * together: far more than an SMS holds).
 */
export function renderPost(post: ChatPost, w: Catalogue = wordsOf()) {
  // The one person to notify, named first; nobody else is ever pinged.
  const who = post.mention ? `<@${post.mention}> ` : "";
  let content: string;
  let embeds: { description: string }[] = [];
  if (post.kind === "inbound" || post.kind === "outbound") {
    const by =
      post.kind === "inbound"
        ? "📩 "
        : post.author
          ? `**${escapeMarkdown(post.author)}** → SMS: `
          : "➡️ SMS: ";
    const status = post.status ? `\n-# ${statusLine(post.status, w)}` : "";
    const text = escapeMarkdown(post.text);
    content = who + by + text + status;
    if (content.length > MAX_CONTENT) {
      const shown = inEmbeds(text);
      embeds = shown.embeds;
      const cutShort = shown.rest
        ? `\n${fill(w.discord.cutShort, { count: shown.rest.length })}`
        : "";
      content = who + by.trimEnd() + status + cutShort;
    }
  } else {
    content = who + post.text;
  }
  return {
    content: clip(content, MAX_CONTENT),
    allowed_mentions: post.mention ? { parse: [], users: [post.mention] } : NO_MENTIONS,
    // Always said, as the buttons: an edit that leaves them out keeps the old ones.
    embeds,
    // An edit that drops the buttons must say so: an empty list removes them.
    components: actionRows(post.actions ?? []),
  };
}
