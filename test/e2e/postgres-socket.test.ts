// DATABASE_URL naming a Unix socket, the three ways libpq reads one: `?host=<directory>` with no
// host, a user and no host (`postgres://user@/db?host=…`), and the directory percent-encoded as
// the host. The bridge connects over the socket (Postgres sees no client address), migrates and
// answers; a directory with no socket is one line naming DATABASE_URL. (TCP and TLS:
// test/e2e/postgres-tls.test.ts; the URL's parameters: test/unit/db/pg-options.test.ts.)
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase, rowsOf } from "../../src/db/database.ts";
import { PG_ADMIN_URL } from "../support/db.ts";

const run = promisify(execFile);

describe("a DATABASE_URL that names a Unix socket", { timeout: 30_000 }, () => {
  const name = `t_socket_${process.pid}`;
  let dir = "";
  beforeAll(async () => {
    const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
    try {
      const [row] = await admin<
        { dirs: string }[]
      >`select current_setting('unix_socket_directories') as dirs`;
      dir = (row?.dirs ?? "").split(",")[0]?.trim() ?? "";
      await admin.unsafe(`drop database if exists ${name}`);
      await admin.unsafe(`create database ${name}`);
    } finally {
      await admin.end();
    }
    expect(dir).toMatch(/^\//);
  });
  afterAll(async () => {
    const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
    await admin.end();
  });

  it("each of libpq's three forms connects over the socket, migrates and answers the command line", async () => {
    const user = new URL(PG_ADMIN_URL).username || "postgres";
    const forms = [
      `postgres:///${name}?host=${dir}&user=${user}`,
      `postgres://${user}@/${name}?host=${dir}`,
      `postgresql://${user}@${encodeURIComponent(dir)}/${name}`,
    ];
    // Given straight to the database's functions, as the settings give it.
    for (const form of forms) {
      await migrateDatabase({ url: form });
      const database = await openDatabase({ url: form });
      try {
        const rows = rowsOf<{ addr: string | null; db: string }>(
          await database.db.execute(
            sql`select inet_client_addr() as addr, current_database() as db`,
          ),
        );
        // A Unix socket has no client address.
        expect(rows, form).toEqual([{ addr: null, db: name }]);
      } finally {
        await database.close();
      }
      const env = { ...process.env, DATABASE_URL: form };
      const r = await run("node", ["bin/ardary-bridge.js", "routes", "list"], { env });
      expect(r.stdout, form).toContain("no routes");
    }
  });

  it("a directory with no socket is one line naming DATABASE_URL", async () => {
    const env = { ...process.env, DATABASE_URL: `postgres:///${name}?host=/nonexistent` };
    const failed = await run("node", ["bin/ardary-bridge.js", "migrate"], { env }).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("no database socket at /nonexistent/.s.PGSQL.5432 (ENOENT)");
    expect(failed.stderr).toContain("DATABASE_URL");
  });
});
