// sslmode as libpq documents it, read from DATABASE_URL and the PG* variables: which host gets
// TLS, what is checked, and what postgres.js is given (src/db/pg-options.ts). A real TLS-only
// Postgres is in test/e2e/postgres-tls.test.ts.
import { describe, expect, it } from "vitest";
import { pgConnection } from "../../../src/db/pg-options.ts";

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

  it("a socket directory (libpq's host parameter, or the host percent-encoded) is postgres.js's path, not a server parameter", () => {
    const query = pgConnection("postgres://u@localhost/db?host=/var/run/postgresql", {});
    expect(query.link).toEqual({ ssl: false, path: "/var/run/postgresql/.s.PGSQL.5432" });
    expect(new URL(query.url).searchParams.has("host")).toBe(false);
    const encoded = pgConnection("postgresql://u@%2Ftmp%2F:6000/db", {});
    expect(encoded.link).toEqual({ ssl: false, path: "/tmp/.s.PGSQL.6000" });
    expect(pgConnection("postgres://u@db.example.com/db", {}).link.path).toBeUndefined();
    // A user and no host, as libpq writes it: no URL to WHATWG until the host is filled in.
    const hostless = pgConnection("postgres://u@/db?host=/var/run/postgresql", {});
    expect(hostless.link).toEqual({ ssl: false, path: "/var/run/postgresql/.s.PGSQL.5432" });
    expect(new URL(hostless.url).username).toBe("u");
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
