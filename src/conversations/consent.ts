// Who may be texted: the customer's own STOP (opt_outs, START lifts it; a forgotten customer's
// STOP is kept as a hash) and the team's Block (blocks, only Unblock lifts it).
import { createHash } from "node:crypto";
import { and, eq, inArray, isNotNull } from "drizzle-orm";
import { type Catalogue, wordsOf } from "../contracts/index.ts";
import type { Db } from "../db/database.ts";
import { blocks, forgotten, optOuts } from "../db/schema.ts";

export async function isOptedOut(db: Db, phone: string): Promise<boolean> {
  return (await optedOutAmong(db, [phone])).size > 0;
}

/** A forgotten customer's number is kept only as a hash (src/replies/retention.ts). */
export function phoneHash(phone: string): string {
  return createHash("sha256").update(`ardary-bridge:${phone}`).digest("hex");
}

/** Numbers among these that said STOP, forgotten customers' included (kept as a hash). */
export async function optedOutAmong(db: Db, phones: string[]): Promise<Set<string>> {
  if (phones.length === 0) return new Set();
  const rows = await db.select().from(optOuts).where(inArray(optOuts.phone, phones));
  const found = new Set(rows.map((r) => r.phone));
  const byHash = new Map(phones.map((p) => [phoneHash(p), p]));
  const erased = await db
    .select({ hash: forgotten.phoneHash })
    .from(forgotten)
    .where(and(inArray(forgotten.phoneHash, [...byHash.keys()]), isNotNull(forgotten.stopAt)));
  for (const e of erased) found.add(byHash.get(e.hash) ?? "");
  return found;
}

export async function setOptOut(db: Db, phone: string, source: "sms" | "provider") {
  await db.insert(optOuts).values({ phone, source }).onConflictDoNothing();
}

export async function clearOptOut(db: Db, phone: string): Promise<boolean> {
  const rows = await db.delete(optOuts).where(eq(optOuts.phone, phone)).returning();
  return rows.length > 0;
}

/** Numbers among these the team blocked. */
export async function blockedAmong(db: Db, phones: string[]): Promise<Set<string>> {
  if (phones.length === 0) return new Set();
  const rows = await db.select().from(blocks).where(inArray(blocks.phone, phones));
  return new Set(rows.map((r) => r.phone));
}

export async function isBlocked(db: Db, phone: string): Promise<boolean> {
  return (await blockedAmong(db, [phone])).size > 0;
}

/** Blocks a number; false when it already was. */
export async function setBlock(db: Db, phone: string, by: string): Promise<boolean> {
  const rows = await db
    .insert(blocks)
    .values({ phone, blockedBy: by })
    .onConflictDoNothing()
    .returning();
  return rows.length > 0;
}

/** Lifts a block; false when there was none. */
export async function clearBlock(db: Db, phone: string): Promise<boolean> {
  const rows = await db.delete(blocks).where(eq(blocks.phone, phone)).returning();
  return rows.length > 0;
}

/**
 * Why an SMS to this number that has not left will not go while this holds, in words, for its
 * post (StatusView.held); the sender's order: a Block before a STOP. Undefined when it will go.
 */
export async function holdOf(
  db: Db,
  phone: string,
  w: Catalogue = wordsOf(),
): Promise<string | undefined> {
  if (await isBlocked(db, phone)) return w.consent.holdBlocked;
  if (await isOptedOut(db, phone)) return w.consent.holdStop;
  return undefined;
}

/** Why an SMS to this number may not be sent now, in words; undefined when it may. */
export async function refusalOf(
  db: Db,
  phone: string,
  w: Catalogue = wordsOf(),
): Promise<string | undefined> {
  if (await isBlocked(db, phone)) return w.consent.refusedBlocked;
  if (await isOptedOut(db, phone)) return w.consent.refusedStop;
  return undefined;
}
