// Rates shared by every process of the database: one token bucket per key (a Slack channel's
// posts; a Discord channel's holds, heldFor), a row of `budgets` changed by one atomic
// statement, so N workers together stay under the platform's limit. The database's clock is the only clock (processes on several machines
// agree on it). Nothing here sleeps: a caller that must wait is told how long, and callers told
// to wait are given turns one interval apart, so that they do not all come back for the same
// token (each coming back costs the job queue a claim).
import { sql } from "drizzle-orm";
import type { Budget } from "../contracts/index.ts";
import { type Db, rowsOf } from "../db/database.ts";

const NOW_MS = sql`(extract(epoch from clock_timestamp()) * 1000)::float8`;

/** The budgets of one namespace (`<adapter>:<name>:<key>`), over the `budgets` table. */
export function sharedBudget(db: Db, namespace: string): Budget {
  const keyOf = (key: string) => `${namespace}:${key}`;
  return {
    async take(key, perSecond, burst) {
      const rate = sql`${perSecond}::float8`;
      const cap = sql`${burst}::float8`;
      // Tokens after the refill since the row's last change (old row values throughout; a
      // caller whose clock was read before the last change waited on its row lock: no refill).
      const refill = sql`least(${cap}, b.tokens + greatest(0, excluded.at_ms - b.at_ms) / 1000 * ${rate})`;
      const free = sql`(b.held_until_ms <= excluded.at_ms and ${refill} >= 1)`;
      // The caller's turn when it must wait: its token's refill, after those already told to
      // wait, and never inside a hold.
      const slot = sql`greatest(excluded.at_ms + (1 - ${refill}) / ${rate} * 1000, b.next_slot_ms, b.held_until_ms)`;
      const result = await db.execute(sql`
        insert into budgets as b (key, tokens, at_ms)
        values (${keyOf(key)}, ${cap} - 1, ${NOW_MS})
        on conflict (key) do update set
          tokens = case when ${free} then ${refill} - 1 else ${refill} end,
          at_ms = greatest(b.at_ms, excluded.at_ms),
          next_slot_ms = case when ${free} then b.next_slot_ms else ${slot} + 1000 / ${rate} end,
          wait_ms = case when ${free} then 0 else ceil(${slot} - excluded.at_ms) end
        returning wait_ms`);
      const [row] = rowsOf<{ wait_ms: number | string }>(result);
      return Math.max(0, Number(row?.wait_ms ?? 0));
    },
    async hold(key, ms) {
      await db.execute(sql`
        insert into budgets as b (key, tokens, at_ms, held_until_ms)
        values (${keyOf(key)}, 0, ${NOW_MS}, ${NOW_MS} + ${ms}::float8)
        on conflict (key) do update set
          held_until_ms = greatest(b.held_until_ms, excluded.held_until_ms)`);
    },
    async heldFor(...keys) {
      if (keys.length === 0) return 0;
      const names = sql.join(
        keys.map((k) => sql`${keyOf(k)}`),
        sql`, `,
      );
      const result = await db.execute(sql`
        select coalesce(max(held_until_ms), 0) - ${NOW_MS} as ms from budgets where key in (${names})`);
      const [row] = rowsOf<{ ms: number | string }>(result);
      return Math.max(0, Math.ceil(Number(row?.ms ?? 0)));
    },
  };
}
