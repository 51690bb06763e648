// One contact edited: from the card's "Edit contact" button (a form: name, company, notes) or
// `ardary-bridge contacts set <number> --name … --company … --notes …`. Both save through
// contacts.ts's saveContactsIn, as an import does: the contact is synced to the provider again
// (addContact, by the job) and the cards and thread titles of its conversations show the change.

import { parseArgs } from "node:util";
import { eq } from "drizzle-orm";
import type { ChatForm } from "../contracts/index.ts";
import { type Catalogue, fill, speak, verbatim, wordsOf } from "../contracts/index.ts";
import type { FormHandler } from "../conversations/features.ts";
import { chatJob } from "../conversations/kinds.ts";
import type { Db } from "../db/database.ts";
import { contacts } from "../db/schema.ts";
import { formatPhone, toE164 } from "../kernel/phone.ts";
import { type Contact, saveContactsIn, splitName } from "./contacts.ts";

export const EDIT_CONTACT = "edit-contact";

/** What a person can change, and how long each may be. */
const LIMITS = { name: 100, company: 100, notes: 1000 } as const;
type Editable = keyof typeof LIMITS;
export type ContactChanges = Partial<Record<Editable, string>>;

export const fullName = (c: Pick<Contact, "firstName" | "lastName"> | undefined) =>
  [c?.firstName, c?.lastName].filter(Boolean).join(" ");

async function contactOf(db: Db, phone: string): Promise<Contact | undefined> {
  const [row] = await db.select().from(contacts).where(eq(contacts.phone, phone));
  return row;
}

/** Each value's problem in words (too long, a name without letters); undefined when every one can be saved. */
export function contactProblems(
  values: ContactChanges,
  w: Catalogue = wordsOf(),
): Record<string, string> | undefined {
  const errors: Record<string, string> = {};
  for (const [field, max] of Object.entries(LIMITS)) {
    const v = values[field as Editable];
    if (v !== undefined && v.length > max) errors[field] = fill(w.form.tooLong, { max });
  }
  // A number pasted as the name would hide the number behind itself on every card.
  if (values.name && !errors.name && !/\p{L}/u.test(values.name)) errors.name = w.form.nameLetters;
  return Object.keys(errors).length > 0 ? errors : undefined;
}

/**
 * Changes one contact (a value absent is kept; "" clears it) through the same path as an
 * import. Returns what changed, in words (empty when nothing did: nothing is saved).
 */
export async function saveContact(
  tx: Db,
  phone: string,
  changes: ContactChanges,
  w: Catalogue = wordsOf(),
) {
  const before = await contactOf(tx, phone);
  const was = {
    name: fullName(before),
    company: before?.company ?? "",
    notes: before?.notes ?? "",
  };
  const now = {
    name: changes.name?.trim() ?? was.name,
    company: changes.company?.trim() ?? was.company,
    notes: changes.notes?.trim() ?? was.notes,
  };
  const changed = (Object.keys(now) as Editable[]).filter((k) => now[k] !== was[k]);
  if (changed.length === 0) return [];
  await saveContactsIn(
    tx,
    [
      {
        phone,
        // An unchanged name keeps how it was split (an import's first_name may hold two words).
        ...(changed.includes("name") || !before
          ? splitName(now.name)
          : { firstName: before.firstName, lastName: before.lastName }),
        company: now.company || null,
        notes: now.notes || null,
        email: before?.email ?? null,
        address: before?.address ?? null,
        fields: {},
        syncState: "pending",
        syncError: null,
      },
    ],
    true,
  );
  const field = (k: Editable) => (k === "name" ? w.form.fieldName : w.form.fieldCompany);
  return changed.map((k) =>
    k === "notes"
      ? w.form.changedNotes
      : now[k]
        ? // What a person typed: said as written in chat (speak), and by the CLI.
          fill(w.form.changedTo, { field: field(k), value: verbatim(now[k]) })
        : fill(w.form.cleared, { field: field(k) }),
  );
}

/** The card's form: name, company and notes, as they are now. */
async function contactForm(db: Db, phone: string, w: Catalogue): Promise<ChatForm> {
  const c = await contactOf(db, phone);
  return {
    title: w.form.title,
    submitLabel: w.form.save,
    intro: fill(w.form.intro, { phone: formatPhone(phone) }),
    fields: [
      {
        id: "name",
        label: w.form.name,
        value: fullName(c),
        maxLength: LIMITS.name,
        placeholder: w.form.namePlaceholder,
      },
      { id: "company", label: w.form.company, value: c?.company ?? "", maxLength: LIMITS.company },
      {
        id: "notes",
        label: w.form.notes,
        value: c?.notes ?? "",
        maxLength: LIMITS.notes,
        multiline: true,
      },
    ],
  };
}

/** The Edit contact form, for the card's button. */
export const CONTACT_FORMS: Record<string, FormHandler> = {
  [EDIT_CONTACT]: {
    open: (db, conv, words) => contactForm(db, conv.phone, words),
    check: (values, words) => contactProblems(values, words),
    async submit(tx, conv, { author, values }, _log, words) {
      const changes = {
        name: values.name ?? "",
        company: values.company ?? "",
        notes: values.notes ?? "",
      };
      const changed = await saveContact(tx, conv.phone, changes, words);
      if (changed.length === 0) return [];
      return chatJob(conv, {
        type: "note",
        text: fill(words.form.edited, { author, changes: changed.join(", ") }),
      });
    },
  },
};

export const CONTACTS_SET_USAGE =
  "ardary-bridge contacts set <number> [--name <name>] [--company <company>] [--notes <notes>]";

/** `ardary-bridge contacts set <number> --name … --company … --notes …` (an empty value clears). */
export async function contactsSetCli(
  db: Db,
  args: string[],
  defaultCountry?: string,
): Promise<{ lines: string[]; code: number }> {
  let parsed: { values: ContactChanges; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        name: { type: "string" },
        company: { type: "string" },
        notes: { type: "string" },
      },
    });
  } catch (err) {
    return { lines: [(err as Error).message, `Usage: ${CONTACTS_SET_USAGE}`], code: 2 };
  }
  const [given = ""] = parsed.positionals;
  const phone = toE164(given, defaultCountry);
  if (!phone) {
    const hint = defaultCountry ? "" : " (set PHONE_DEFAULT_COUNTRY to read national numbers)";
    return { lines: [`"${given}" is not a phone number${hint}`], code: 2 };
  }
  const changes: ContactChanges = parsed.values;
  if (Object.keys(changes).length === 0)
    return { lines: ["nothing to change: give --name, --company or --notes"], code: 2 };
  const problems = contactProblems(changes);
  if (problems) return { lines: Object.entries(problems).map(([k, p]) => `--${k}: ${p}`), code: 2 };
  const changed = await db.transaction((tx) => saveContact(tx, phone, changes));
  return {
    lines: [
      changed.length === 0
        ? `${formatPhone(phone)}: nothing changed`
        : `${formatPhone(phone)}: ${speak(changed.join(", "))}; it is being added to the provider and its cards updated`,
    ],
    code: 0,
  };
}
