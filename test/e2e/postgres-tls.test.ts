// TLS to Postgres as hosted Postgres needs it: a TLS-only server (hostssl, self-signed
// certificate, a PostgreSQL started for the test) on a non-loopback address, reached with the
// bare URL Heroku gives. (sslmode read from the URL: test/unit/db/pg-options.test.ts.)
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { migrateDatabase, openDatabase, rowsOf } from "../../src/db/database.ts";
import { pgConnection } from "../../src/db/pg-options.ts";
import { startTlsPostgres, type TlsPostgres } from "../support/tls-postgres.ts";

const run = promisify(execFile);

describe("a TLS-only Postgres with a self-signed certificate", { timeout: 30_000 }, () => {
  let pg: TlsPostgres;
  beforeAll(async () => {
    pg = await startTlsPostgres();
  }, 30_000);
  afterAll(async () => {
    await pg?.stop();
  });

  it("a bare URL connects over TLS, and the migrations run", async () => {
    await migrateDatabase({ url: pg.url });
    const database = await openDatabase({ url: pg.url });
    try {
      const rows = rowsOf<{ ssl: boolean }>(
        await database.db.execute(sql`select ssl from pg_stat_ssl where pid = pg_backend_pid()`),
      );
      expect(rows).toEqual([{ ssl: true }]);
    } finally {
      await database.close();
    }
  });

  it("sslmode=disable is refused with one line naming DATABASE_URL, and a non-zero exit", async () => {
    const env = { ...process.env, DATABASE_URL: `${pg.url}?sslmode=disable`, PGSSLMODE: "" };
    const failed = await run("node", ["bin/ardary-bridge.js", "migrate"], { env }).catch((e) => e);
    expect(failed.code).toBe(1);
    const lines = String(failed.stderr).trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /accepts TLS connections only: remove sslmode=disable from DATABASE_URL: no pg_hba.conf entry/,
    );
  });

  it("verify-full with the server's CA works; with another CA it says what to set", async () => {
    vi.stubEnv("PGSSLROOTCERT", pg.caFile);
    try {
      await migrateDatabase({ url: `${pg.url}?sslmode=verify-full` });
    } finally {
      vi.unstubAllEnvs();
    }
    vi.stubEnv("DATABASE_CA_CERT", pg.ca);
    const database = await openDatabase({ url: `${pg.url}?sslmode=verify-full` });
    try {
      const rows = rowsOf<{ ssl: boolean }>(
        await database.db.execute(sql`select ssl from pg_stat_ssl where pid = pg_backend_pid()`),
      );
      expect(rows).toEqual([{ ssl: true }]);
    } finally {
      await database.close();
      vi.unstubAllEnvs();
    }
    const wrong = `${pg.url}?sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.otherCaFile)}`;
    await expect(migrateDatabase({ url: wrong })).rejects.toThrow(
      /certificate was refused .* give its CA in DATABASE_CA_CERT or PGSSLROOTCERT/,
    );
    // The same through postgres.js alone: the options are all the library needs.
    const c = pgConnection(`${pg.url}?sslmode=require`, {});
    const client = postgres(c.url, { ssl: c.ssl, max: 1 });
    expect(await client`select 1 as one`).toEqual([{ one: 1 }]);
    await client.end();
  });
});
