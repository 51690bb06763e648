// The fields a text the team writes ahead may hold (a template, SMS_SIGNATURE): {first_name}
// and {name} (the customer's, from the contacts), {agent} and {agent_first_name} (the person
// sending). One filler for both, so they mean the same everywhere.
import { eq } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { contacts } from "../db/schema.ts";

export const FIELDS = ["first_name", "name", "agent", "agent_first_name"] as const;
export type Field = (typeof FIELDS)[number];

/** The fields, as a person writes them: "{first_name} {name} {agent} {agent_first_name}". */
export const FIELD_LIST = FIELDS.map((f) => `{${f}}`).join(" ");

const FIELD = /\{([^{}\s]*)\}/g;

export function fieldsOf(body: string): string[] {
  return [...body.matchAll(FIELD)].map((m) => m[1] ?? "");
}

/** The `{…}` a text holds that are not fields, as written ("{agnt}"). */
export function unknownFields(body: string): string[] {
  return [...new Set(fieldsOf(body))]
    .filter((f) => !FIELDS.includes(f as Field))
    .map((f) => `{${f}}`);
}

/**
 * The text with its fields filled for this customer and this author; `missing` lists the
 * fields that have no value here (or are not fields), and then nothing is filled.
 */
export async function fillFields(
  db: Db,
  body: string,
  o: { phone: string; author: string },
): Promise<{ text: string } | { missing: string[] }> {
  const used = [...new Set(fieldsOf(body))];
  if (used.length === 0) return { text: body };
  const [contact] = used.some((f) => f === "first_name" || f === "name")
    ? await db.select().from(contacts).where(eq(contacts.phone, o.phone))
    : [];
  const values: Record<Field, string> = {
    first_name: contact?.firstName?.trim() ?? "",
    name: [contact?.firstName, contact?.lastName].filter(Boolean).join(" ").trim(),
    agent: o.author.trim(),
    agent_first_name: o.author.trim().split(/\s+/)[0] ?? "",
  };
  const missing = used.filter((f) => !FIELDS.includes(f as Field) || !values[f as Field]);
  if (missing.length > 0) return { missing };
  return { text: body.replace(FIELD, (_, f: string) => values[f as Field]) };
}
