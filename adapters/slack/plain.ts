// A Slack message → the plain text of an SMS. From the event's rich_text blocks when present
// (what Slack's composer produces: https://docs.slack.dev/reference/block-kit/blocks/rich-text-block),
// from the mrkdwn `text` otherwise. Styles are dropped, lists keep "• " / "1. ", links read
// "label (url)", mentions "@name", channels "#name", emoji are the characters themselves.
import { emojiChar, emojiTable, fromUnified } from "./emoji.ts";

/** Names of the people and channels a message mentions (users.info / conversations.info). */
export interface SlackNames {
  user(id: string): Promise<string>;
  channel(id: string): Promise<string>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Slack escapes these three in message text (and in rich text's text elements). */
export function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** The SMS text of a message: its rich_text blocks if it has any, else its mrkdwn text. */
export async function toPlainText(
  message: { text: string; blocks?: unknown },
  names: SlackNames,
): Promise<string> {
  const rich = list(message.blocks).filter((b) => isObj(b) && b.type === "rich_text");
  if (rich.length > 0) return (await richTextToPlain(rich, names)).trim();
  return (await mrkdwnToPlain(message.text, names)).trim();
}

// ── rich_text ───────────────────────────────────────────────────────────────────────────────

/** rich_text blocks → text: one line per list item, sections and code blocks as typed. */
export async function richTextToPlain(blocks: unknown[], names: SlackNames): Promise<string> {
  const parts: string[] = [];
  for (const block of blocks) {
    for (const el of list(isObj(block) ? block.elements : undefined)) {
      if (!isObj(el)) continue;
      const text = await container(el, names);
      if (text === "") continue;
      const last = parts.at(-1);
      if (last !== undefined && !last.endsWith("\n")) parts.push("\n");
      parts.push(text);
    }
  }
  return parts.join("");
}

/** rich_text_section, _preformatted, _quote (inline elements) or rich_text_list (items). */
async function container(el: Obj, names: SlackNames): Promise<string> {
  if (el.type !== "rich_text_list") return inline(list(el.elements), names);
  const ordered = el.style === "ordered";
  const indent = typeof el.indent === "number" ? el.indent : 0;
  const offset = typeof el.offset === "number" ? el.offset : 0;
  const items: string[] = [];
  for (const [i, item] of list(el.elements).entries()) {
    const text = isObj(item) ? await container(item, names) : "";
    const mark = ordered ? `${offset + i + 1}. ` : "• ";
    items.push(`${"  ".repeat(indent)}${mark}${text.replace(/\n+$/, "")}`);
  }
  return items.join("\n");
}

async function inline(elements: unknown[], names: SlackNames): Promise<string> {
  let out = "";
  for (const el of elements) if (isObj(el)) out += await element(el, names);
  return out;
}

async function element(el: Obj, names: SlackNames): Promise<string> {
  switch (el.type) {
    case "text":
      return unescapeSlack(str(el.text) ?? "");
    case "link": {
      const url = str(el.url) ?? "";
      return link(url, el.text === undefined ? undefined : unescapeSlack(str(el.text) ?? ""));
    }
    case "user":
      return `@${await names.user(str(el.user_id) ?? "")}`;
    case "channel":
      return `#${await names.channel(str(el.channel_id) ?? "")}`;
    case "usergroup":
      return "@team";
    case "broadcast":
      return `@${str(el.range) ?? "here"}`;
    case "emoji":
      return emoji(el);
    case "date":
      return str(el.fallback) ?? dateText(el.timestamp);
    case "color":
      return str(el.value) ?? "";
    default:
      return unescapeSlack(str(el.text) ?? "");
  }
}

async function emoji(el: Obj): Promise<string> {
  const name = str(el.name) ?? "";
  const unicode = str(el.unicode);
  if (unicode && /^[0-9a-f]+(-[0-9a-f]+)*$/i.test(unicode)) return fromUnified(unicode);
  const tone = typeof el.skin_tone === "number" ? el.skin_tone : undefined;
  return emojiChar(await emojiTable(), name, tone) ?? `:${name}:`;
}

function dateText(timestamp: unknown): string {
  const s = typeof timestamp === "number" ? timestamp : Number(timestamp);
  if (!Number.isFinite(s)) return "";
  return `${new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** "label (url)", or the url alone when there is no label or the label is the url. */
function link(url: string, label: string | undefined): string {
  const shown = url.replace(/^mailto:/, "");
  if (!label || label === url || label === shown) return shown;
  return `${label} (${shown})`;
}

// ── mrkdwn ──────────────────────────────────────────────────────────────────────────────────

/** Characters that stand for a piece already turned into text (code, links, mentions). */
const HOLD = 0xe000;

/**
 * Slack mrkdwn → text: *bold* _italic_ ~strike~ `code` ```pre``` lose their marks,
 * `<https://x|label>` → `label (https://x)`, `<@U1>` → `@Name`, `<#C1|name>` → `#name`,
 * `<!here>` → `@here`, `:tada:` → 🎉 (with `::skin-tone-N:`), `&lt;&gt;&amp;` unescaped.
 */
export async function mrkdwnToPlain(text: string, names: SlackNames): Promise<string> {
  const held: string[] = [];
  const hold = (s: string) => String.fromCharCode(HOLD + held.push(s) - 1);
  // Code first: what is inside keeps its stars, colons and underscores.
  let t = text
    .replace(/```\n?([\s\S]*?)\n?```/g, (_, code: string) => hold(unescapeSlack(code)))
    .replace(/`([^`\n]+)`/g, (_, code: string) => hold(unescapeSlack(code)));
  const tokens = [...t.matchAll(/<([^<>\n]+)>/g)];
  const resolved = await Promise.all(tokens.map((m) => token(m[1] ?? "", names)));
  let i = 0;
  t = t.replace(/<([^<>\n]+)>/g, () => hold(resolved[i++] ?? ""));
  t = stripMarks(unescapeSlack(t));
  if (/:[a-z0-9_+'-]+:/.test(t)) {
    const table = await emojiTable();
    t = t.replace(
      /:([a-z0-9_+'-]+):(?::skin-tone-([2-6]):)?/g,
      (all, name: string, tone?: string) => emojiChar(table, name, tone) ?? all,
    );
  }
  return held.length === 0 ? t : t.replace(HELD, (c) => held[c.charCodeAt(0) - HOLD] ?? c);
}

const HELD = /[\ue000-\uf8ff]/g;
/** What may stand just before an opening mark, and just after a closing one. */
const BEFORE = `^|[\\s(\\[{"'“‘«*_~\\ue000-\\uf8ff]`;
const AFTER = `$|[\\s)\\]}.,;:!?"'”’»*_~\\ue000-\\uf8ff]`;

/** Bold, italic and strike marks around words (not inside them: snake_case stays). */
function stripMarks(text: string): string {
  let t = text;
  for (const mark of ["\\*", "_", "~"]) {
    const re = new RegExp(`(${BEFORE})${mark}(?=\\S)([^\\n]*?\\S)${mark}(?=${AFTER})`, "g");
    t = t.replace(re, "$1$2");
  }
  return t;
}

async function token(inner: string, names: SlackNames): Promise<string> {
  const bar = inner.indexOf("|");
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? undefined : unescapeSlack(inner.slice(bar + 1));
  const at = (name: string) => `@${name.replace(/^@/, "")}`;
  if (target.startsWith("@")) return at(label ?? (await names.user(target.slice(1))));
  if (target.startsWith("#")) return `#${label || (await names.channel(target.slice(1)))}`;
  if (target.startsWith("!subteam^")) return label ?? "@team";
  if (target.startsWith("!date^")) return label ?? "";
  if (target.startsWith("!")) return at(label ?? target.slice(1));
  return link(unescapeSlack(target), label);
}
