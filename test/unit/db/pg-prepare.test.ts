// Statements of few parameters are prepared on their connection (src/db/pg-prepare.ts): one
// round trip instead of two, parsed once. Seen from Postgres itself (pg_prepared_statements, on
// the connection a transaction reserves): a statement of 1 to 32 parameters is prepared once
// however often it runs, one of more is not, and one of none runs as a simple query.
// Postgres only (PGlite has no network round trip), so it runs once, with the unit tests.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDatabase, rowsOf } from "../../../src/db/database.ts";
import { PREPARE_UP_TO } from "../../../src/db/pg-prepare.ts";
import { createTestDatabase } from "../../support/db.ts";

describe("statements prepared on their connection", () => {
  it("prepares a statement of few parameters once, and none of many (Postgres only)", async () => {
    const tdb = await createTestDatabase();
    const database = await openDatabase({ url: tdb.url });
    try {
      const prepared = await database.db.transaction(async (tx) => {
        const count = async (like: string) =>
          Number(
            rowsOf<{ n: number }>(
              await tx.execute(
                sql.raw(`select count(*)::int as n from pg_prepared_statements
                  where statement like '${like.replaceAll("'", "''")}'`),
              ),
            )[0]?.n,
          );
        const few = Array.from({ length: PREPARE_UP_TO }, (_, i) => i);
        const many = Array.from({ length: PREPARE_UP_TO + 1 }, (_, i) => i);
        const list = (ns: number[]) =>
          sql.join(
            ns.map((n) => sql`${n}::int`),
            sql`, `,
          );
        for (let i = 0; i < 3; i++) {
          await tx.execute(sql`select 'few' as k, ${list(few)}`);
          await tx.execute(sql`select 'many' as k, ${list(many)}`);
          await tx.execute(sql.raw(`select 'none' as k, 1`));
        }
        return {
          few: await count("select 'few'%"),
          many: await count("select 'many'%"),
          none: await count("select 'none'%"),
        };
      });
      expect(prepared).toEqual({ few: 1, many: 0, none: 0 });
    } finally {
      await database.close();
      await tdb.drop();
    }
  });
});
