// TLS to Postgres as hosted Postgres needs it: a TLS-only server (hostssl, self-signed
// certificate) on a non-loopback address, reached with the bare URL Heroku gives.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { migrateDatabase, openDatabase, rowsOf } from "../../src/db/database.ts";
import { pgConnection } from "../../src/db/pg-options.ts";
import { startTlsPostgres, type TlsPostgres } from "../support/tls-postgres.ts";

const run = promisify(execFile);

describe("sslmode as libpq documents it", () => {
  it("a local host is plain, any other host uses TLS without checking, unless told", () => {
    expect(pgConnection("postgres://u@127.0.0.1/db", {}).ssl).toBe(false);
    expect(pgConnection("postgres://u@localhost/db", {}).ssl).toBe(false);
    const remote = pgConnection("postgres://u@db.example.com:6543/db", {});
    expect(remote).toMatchObject({ mode: "require", modeFrom: "default", port: 6543 });
    expect(remote.ssl).toEqual({ rejectUnauthorized: false });
    expect(pgConnection("postgres://u@127.0.0.1/db", { PGSSLMODE: "require" }).mode).toBe(
      "require",
    );
    expect(
      pgConnection("postgres://u@h/db?sslmode=disable", { PGSSLMODE: "require" }),
    ).toMatchObject({ ssl: false, modeFrom: "DATABASE_URL" });
    expect(pgConnection("postgres://u@h/db?sslmode=prefer", {}).ssl).toBe("prefer");
    expect(pgConnection("postgres://u@h/db?sslmode=allow", {}).ssl).toBe("prefer");
  });

  it("verify-full checks the name, verify-ca the chain only; a CA turns require into verify-ca", () => {
    const full = pgConnection("postgres://u@db.example.com/db?sslmode=verify-full", {
      DATABASE_CA_CERT: "PEM",
    });
    expect(full.ssl).toEqual({ rejectUnauthorized: true, ca: "PEM", servername: "db.example.com" });
    const ca = pgConnection("postgres://u@db.example.com/db?sslmode=verify-ca", {});
    expect(ca.ssl).toMatchObject({ rejectUnauthorized: true });
    expect(
      (ca.ssl as { checkServerIdentity: () => unknown }).checkServerIdentity(),
    ).toBeUndefined();
    expect(pgConnection("postgres://u@h.example/db", { DATABASE_CA_CERT: "PEM" }).mode).toBe(
      "verify-ca",
    );
    expect(pgConnection("postgres://u@h.example/db?sslrootcert=system", {}).mode).toBe(
      "verify-full",
    );
  });

  it("the TLS parameters stay out of what postgres.js sends to the server", () => {
    const c = pgConnection("postgres://u@h.example/db?sslmode=require&application_name=x", {});
    expect(c.url).toBe("postgres://u@h.example/db?application_name=x");
  });

  it("an unknown sslmode is one line naming where it came from", () => {
    expect(() => pgConnection("postgres://u@h/db", { PGSSLMODE: "on" })).toThrow(
      /sslmode "on" \(from PGSSLMODE\) is not one of disable, allow, prefer, require, verify-ca, verify-full: fix PGSSLMODE/,
    );
  });
});

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
