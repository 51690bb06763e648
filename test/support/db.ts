// Each test gets its own database: a fresh Postgres database (TEST_DB=postgres) or a fresh
// PGlite (TEST_DB=pglite), so tests never see each other's rows.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { type Database, migrateOpen, PGLITE_CONF, wrapPglite } from "../../src/db/database.ts";

export const TEST_DB = (process.env.TEST_DB ?? "postgres") as "postgres" | "pglite";
/** The server the tests use; CI makes sure it listens. */
export const PG_ADMIN_URL =
  process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  /** For the environment: DATABASE_URL, or DATA_DIR for PGlite. */
  env: { DATABASE_URL?: string; DATA_DIR: string };
  url?: string;
  /** An open in-memory PGlite, when the test runs in this process (fast: from a template). */
  open?(): Promise<Database>;
  drop(): Promise<void>;
}

let template: Promise<File | Blob> | undefined;

/** A migrated empty PGlite, made once per test process: loading it is 4× faster than initdb. */
async function pgliteFromTemplate(): Promise<Database> {
  template ??= (async () => {
    const client = new PGlite("memory://");
    await migrateOpen(await wrapPglite(client));
    const dump = await client.dumpDataDir("none");
    await client.close();
    return dump;
  })();
  // The bridge's own settings: with Postgres's default shared_buffers (128 MB), touched in full
  // at start, each test's database took 0.9 s to open instead of 0.55 s.
  return wrapPglite(new PGlite({ loadDataDir: await template, postgresqlconf: PGLITE_CONF }));
}

/**
 * A database of its own. `onDisk` asks for a PGlite folder rather than memory (needed when a
 * child process opens it, or when it must survive a restart).
 */
export async function createTestDatabase(
  options: { onDisk?: boolean } = {},
): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), "ardary-test-"));
  if (TEST_DB === "pglite") {
    return {
      env: { DATA_DIR: options.onDisk ? join(dataDir, "db") : "memory://" },
      open: options.onDisk ? undefined : pgliteFromTemplate,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `t_${randomBytes(6).toString("hex")}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    env: { DATABASE_URL: url, DATA_DIR: dataDir },
    url,
    async drop() {
      const a = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
