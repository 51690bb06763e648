// Canned answers. `/sms template add|list|remove` (and `ardary-bridge templates …`) keep them;
// a thread reply or a `/sms <number>` text that is `::name` (optionally followed by more text)
// is replaced by the template before sending, with {first_name}, {name}, {agent} and
// {agent_first_name} filled from the contact and the author. An unknown template or a field
// with no value is refused with an explanation, and nothing is sent. A template saved with
// `--marketing` makes a marketing SMS of every send that uses it (src/replies/marketing.ts).

import { asc, eq } from "drizzle-orm";
import { type Catalogue, fill, verbatim, wordsOf } from "../contracts/index.ts";
import type { ChatCommand } from "../conversations/features.ts";
import { FIELD_LIST, fillFields, unknownFields } from "../conversations/fields.ts";
import type { Db } from "../db/database.ts";
import { templates } from "../db/schema.ts";
import { formatPhone } from "../kernel/phone.ts";
import { MARKETING_OPTION } from "./marketing.ts";

export type Template = typeof templates.$inferSelect;

const NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export const TEMPLATE_USAGE =
  "/sms template add <name> [--marketing] <text> | template list | template remove <name>  (fields: {first_name} {name} {agent} {agent_first_name}; use with ::name; --marketing: every send of it is a marketing SMS)";

/** Why a template name or body is not acceptable, in words; undefined when it is. */
export function templateProblem(name: string, body: string): string | undefined {
  if (!NAME.test(name))
    return `"${name}" is not a template name: use letters, digits, - or _ (up to 40), e.g. opening-hours`;
  if (body.trim() === "") return "a template needs a text after its name";
  const unknown = unknownFields(body);
  if (unknown.length > 0)
    return `unknown field ${unknown.join(", ")}: the fields are ${FIELD_LIST}`;
  return undefined;
}

/** Adds or replaces a template; returns the problem in words when refused. */
export async function addTemplate(
  db: Db,
  name: string,
  body: string,
  by: string,
  marketing = false,
): Promise<{ replaced: boolean } | { problem: string }> {
  const key = name.toLowerCase();
  const problem = templateProblem(key, body);
  if (problem) return { problem };
  const existed = await getTemplate(db, key);
  await db
    .insert(templates)
    .values({ name: key, body: body.trim(), marketing, createdBy: by })
    .onConflictDoUpdate({
      target: templates.name,
      set: { body: body.trim(), marketing, createdBy: by, createdAt: new Date() },
    });
  return { replaced: existed !== undefined };
}

export async function removeTemplate(db: Db, name: string): Promise<boolean> {
  const rows = await db.delete(templates).where(eq(templates.name, name.toLowerCase())).returning();
  return rows.length > 0;
}

export async function listTemplates(db: Db): Promise<Template[]> {
  return db.select().from(templates).orderBy(asc(templates.name));
}

export async function getTemplate(db: Db, name: string): Promise<Template | undefined> {
  const [row] = await db.select().from(templates).where(eq(templates.name, name.toLowerCase()));
  return row;
}

export type Expansion =
  | { kind: "none" }
  | { kind: "expanded"; name: string; text: string; marketing: boolean }
  | { kind: "refused"; reason: string };

/**
 * `::name [more text]` → the template's text with its fields filled, followed by the rest;
 * `none` when the text is not a template use.
 */
export async function expandTemplate(
  db: Db,
  text: string,
  o: { phone: string; author: string; words?: Catalogue },
): Promise<Expansion> {
  const w = (o.words ?? wordsOf()).templates;
  const m = /^::([^\s]+)(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!m?.[1]) return { kind: "none" };
  const name = m[1].toLowerCase();
  const template = await getTemplate(db, name);
  if (!template) {
    const known = (await listTemplates(db)).map((t) => `::${t.name}`);
    const list = known.length > 0 ? fill(w.known, { list: known.join(", ") }) : w.noneYet;
    return { kind: "refused", reason: fill(w.unknown, { name, known: list }) };
  }
  const filled = await fillFields(db, template.body, o);
  if ("missing" in filled) {
    const { missing } = filled;
    const what = missing.includes("name") && !missing.includes("first_name") ? w.name : w.firstName;
    const who = missing.some((f) => f === "first_name" || f === "name")
      ? fill(w.noValue, { phone: formatPhone(o.phone), what })
      : "";
    const fields = missing.map((f) => `{${f}}`).join(", ");
    return { kind: "refused", reason: fill(w.needs, { name, fields, who }) };
  }
  const rest = m[2]?.trim();
  return {
    kind: "expanded",
    name,
    text: rest ? `${filled.text} ${rest}` : filled.text,
    marketing: template.marketing,
  };
}

/** `/sms template …` in chat; the CLI's `templates` shares the same functions. */
export async function templateCommand(
  db: Db,
  args: string,
  author: string,
  /** Chat's words (BRIDGE_LANGUAGE's); absent: the command line's English. */
  words?: Catalogue,
): Promise<string> {
  const w = (words ?? wordsOf()).templates;
  const m = /^\s*(\S+)?\s*(\S+)?\s*([\s\S]*)$/.exec(args);
  const [verb = "", name = "", body = ""] = [m?.[1]?.toLowerCase(), m?.[2], m?.[3]];
  if (verb === "list") {
    const all = await listTemplates(db);
    if (all.length === 0) return w.none;
    return (
      [w.title]
        // A person's text, shown as written (speak escapes it for the platform).
        .concat(all.map((t) => `::${t.name}${t.marketing ? w.marketing : ""}  ${verbatim(t.body)}`))
        .join("\n")
    );
  }
  if (verb === "add" && name) {
    // `add <name> --marketing <text>`: every send of it is a marketing SMS.
    const marketing = body.startsWith(`${MARKETING_OPTION} `) || body === MARKETING_OPTION;
    const text = marketing ? body.slice(MARKETING_OPTION.length).trim() : body;
    const r = await addTemplate(db, name, text, author, marketing);
    if ("problem" in r) return fill(w.notSaved, { why: r.problem });
    return fill(r.replaced ? w.replaced : w.added, {
      name: name.toLowerCase(),
      marketing: marketing ? w.asMarketing : "",
    });
  }
  if (verb === "remove" && name) {
    const removed = await removeTemplate(db, name);
    return fill(removed ? w.removed : w.noTemplate, { name: name.toLowerCase() });
  }
  return fill(w.usage, { usage: words ? words.help.template : TEMPLATE_USAGE });
}

/** `/sms template …`: adding and removing are for managers; listing is open. */
export const TEMPLATE_COMMAND: ChatCommand = {
  name: "template",
  usage: (w) => w.help.template,
  act: (args) => (/^\s*(add|remove)\b/i.test(args) ? "templates" : "read"),
  run: (input, args, ctx) =>
    templateCommand(ctx.db, args, input.author, wordsOf(ctx.config.language)),
};
