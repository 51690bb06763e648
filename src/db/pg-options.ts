// How the bridge talks TLS to Postgres, and what it says when the connection fails.
// Hosted Postgres (Heroku, Render, RDS…) gives a DATABASE_URL without `sslmode` and refuses
// plain connections, so any non-local host gets TLS unless the URL or PGSSLMODE says otherwise.
// `sslmode` values mean what libpq documents:
//   disable      plain connection
//   allow        plain or TLS, whichever the server accepts (tried here TLS first, as `prefer`)
//   prefer       TLS when the server offers it, else plain (no certificate check)
//   require      TLS, certificate not checked; with a CA given it is checked (as libpq does)
//   verify-ca    TLS, certificate signed by the CA
//   verify-full  TLS, certificate signed by the CA and naming the host
// The CA: `sslrootcert=<file>` in the URL, PGSSLROOTCERT (a file) or DATABASE_CA_CERT (the PEM
// itself, for platforms where a variable is easier than a file); without one, verify-* use the
// system's CAs. `sslrootcert=system` means verify-full against the system's CAs.
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";

export const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];
export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";

export interface PgConnection {
  /** The URL without the libpq TLS parameters (postgres.js would send them to the server). */
  url: string;
  /** postgres.js's `ssl` option. */
  ssl: false | "prefer" | ConnectionOptions;
  mode: SslMode;
  /** Where the mode came from, for messages: "DATABASE_URL", "PGSSLMODE" or "default". */
  modeFrom: "DATABASE_URL" | "PGSSLMODE" | "default";
  host: string;
  port: number;
  /**
   * postgres.js's options that the URL decides: `ssl`, and `path`, the Unix socket, when the host
   * is a directory (`?host=/var/run/postgresql`, or `%2Fvar%2Frun%2Fpostgresql` as the host).
   */
  link: { ssl: PgConnection["ssl"]; path?: string };
}

/** URL parameters that are libpq's TLS settings, read here and not sent to the server. */
const TLS_PARAMS = ["sslmode", "sslrootcert", "sslcert", "sslkey"];

/** The host is this machine: a Unix socket, localhost or a loopback address. */
export function isLocalHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return (
    h === "" ||
    h.startsWith("/") ||
    h === "localhost" ||
    h.endsWith(".localhost") ||
    h === "::1" ||
    (isIP(h) === 4 && h.startsWith("127."))
  );
}

/**
 * libpq's `postgresql://user@/db?host=/var/run/postgresql` (a user, no host, the socket's directory
 * in `host`) is not a URL to WHATWG (nor to postgres.js): the empty host is said `localhost`, and
 * the socket is still used (pgConnection reads `host`). The settings check reads the URL so too.
 */
export function withSocketHost(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^/?#@]*@)(?=[/?]|$)/i, "$1localhost");
}

/** Reads the TLS settings of a DATABASE_URL (and PG* variables) into postgres.js options. */
export function pgConnection(rawUrl: string, env: NodeJS.ProcessEnv = process.env): PgConnection {
  const url = new URL(withSocketHost(rawUrl));
  const q = url.searchParams;
  const host = decodeURIComponent(q.get("host") ?? url.hostname);
  const port = Number(url.port || 5432);
  const fromUrl = q.get("sslmode") ?? undefined;
  const fromEnv = env.PGSSLMODE?.trim() || undefined;
  const rootcert = q.get("sslrootcert") ?? (env.PGSSLROOTCERT?.trim() || undefined);
  const inlineCa = env.DATABASE_CA_CERT?.trim() || undefined;
  const modeFrom = fromUrl ? "DATABASE_URL" : fromEnv ? "PGSSLMODE" : "default";
  let mode = (fromUrl ?? fromEnv ?? (isLocalHost(host) ? "disable" : "require")) as SslMode;
  if (!SSL_MODES.includes(mode)) {
    throw new Error(
      `sslmode "${mode}" (from ${modeFrom}) is not one of ${SSL_MODES.join(", ")}: fix ${modeFrom}`,
    );
  }
  if (rootcert === "system" && modeFrom === "default") mode = "verify-full";
  const ca =
    inlineCa ??
    (rootcert && rootcert !== "system" ? readCa(rootcert, q.has("sslrootcert")) : undefined);
  // libpq: "if a root CA file exists, sslmode=require behaves like verify-ca".
  if (mode === "require" && ca) mode = "verify-ca";
  const client = clientCert(q.get("sslcert"), q.get("sslkey"));
  for (const p of TLS_PARAMS) q.delete(p);
  // A socket directory: libpq's `host` parameter, which postgres.js would send to the server.
  const path = host.startsWith("/") ? `${host.replace(/\/+$/, "")}/.s.PGSQL.${port}` : undefined;
  if (path) q.delete("host");
  const ssl: PgConnection["ssl"] =
    mode === "disable"
      ? false
      : mode === "allow" || mode === "prefer"
        ? "prefer"
        : mode === "require"
          ? { rejectUnauthorized: false, ...client }
          : {
              rejectUnauthorized: true,
              ...(ca ? { ca } : {}),
              ...client,
              // verify-ca checks the chain only; verify-full also the host name (Node's default).
              ...(mode === "verify-ca" ? { checkServerIdentity: () => undefined } : {}),
              ...(isIP(host) ? { host } : { servername: host }),
            };
  return {
    url: url.toString(),
    ssl,
    mode,
    modeFrom,
    host,
    port,
    link: path ? { ssl, path } : { ssl },
  };
}

function readCa(path: string, fromUrl: boolean): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const where = fromUrl ? "sslrootcert in DATABASE_URL" : "PGSSLROOTCERT";
    throw new Error(`cannot read the database CA file ${path} (${where}): ${codeOf(err)}`);
  }
}

/** A client certificate (`sslcert` and `sslkey` files in the URL), for servers that ask one. */
function clientCert(cert: string | null, key: string | null): ConnectionOptions {
  if (!cert || !key) return {};
  return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}

function codeOf(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e?.code ?? e?.message ?? String(err);
}

/**
 * An error whose message is one line saying which variable to change. `transient`: the database
 * did not answer (refused, reset, timed out, unreachable network, DNS not answering): it may come
 * back, so a server waits for it; otherwise the configuration is wrong (a host name that does not
 * exist, a login or TLS refused, no such database) and waiting cannot help.
 */
export class DatabaseConnectError extends Error {
  constructor(
    message: string,
    cause?: unknown,
    readonly transient = false,
  ) {
    super(message, { cause });
    this.name = "DatabaseConnectError";
  }
}

/** Connection failures that say "not now" rather than "wrong". */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/**
 * A DATABASE_URL fit for a log line: no password, the host masked (its first two and last two
 * characters), the port and the database name kept.
 */
export function maskedDatabaseUrl(rawUrl: string): string {
  try {
    const url = new URL(rawUrl);
    const host = decodeURIComponent(url.hostname).replace(/^\[|\]$/g, "");
    const masked =
      host.length <= 4
        ? "*".repeat(Math.max(host.length, 3))
        : `${host.slice(0, 2)}${"*".repeat(Math.min(host.length - 4, 8))}${host.slice(-2)}`;
    const user = url.username ? `${decodeURIComponent(url.username)}@` : "";
    return `${url.protocol}//${user}${masked}:${url.port || 5432}${url.pathname}`;
  } catch {
    return "(not a URL)";
  }
}

const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Turns a failure to connect into one line naming DATABASE_URL (or the variable at fault). */
export function explainConnectError(err: unknown, conn: PgConnection): Error {
  if (err instanceof DatabaseConnectError) return err;
  const e = err as { code?: string; message?: string; errno?: string };
  const code = String(e?.code ?? e?.errno ?? "");
  const message = String(e?.message ?? err).split("\n")[0] ?? "";
  const where = `${conn.host}:${conn.port}`;
  const said = (m: string, transient = false) => new DatabaseConnectError(m, err, transient);
  if (/no encryption|SSL off|requires? (ssl|encryption)/i.test(message) && !conn.ssl) {
    const fix =
      conn.modeFrom === "default"
        ? "add ?sslmode=require to DATABASE_URL"
        : conn.modeFrom === "PGSSLMODE"
          ? "unset PGSSLMODE (or set it to require)"
          : "remove sslmode=disable from DATABASE_URL";
    return said(`the database at ${where} accepts TLS connections only: ${fix}`);
  }
  if (TLS_CODES.has(code)) {
    return said(
      `the database's TLS certificate was refused (${code}) with sslmode=${conn.mode}: ` +
        "give its CA in DATABASE_CA_CERT or PGSSLROOTCERT, or set sslmode=require in DATABASE_URL to encrypt without checking",
    );
  }
  if (
    conn.ssl &&
    conn.ssl !== "prefer" &&
    /secure TLS connection|ECONNRESET|wrong version/i.test(`${code} ${message}`)
  ) {
    return said(
      `the database at ${where} did not accept a TLS connection (${code || message}): ` +
        "set sslmode=disable in DATABASE_URL if it has no TLS (a private network only)",
    );
  }
  if (code === "ENOENT" && conn.link.path) {
    // The socket is not there (yet): Postgres not started, or another directory or port.
    return said(
      `no database socket at ${conn.link.path} (ENOENT): check that Postgres runs there, and the host (the socket's directory) and port in DATABASE_URL`,
      true,
    );
  }
  if (code === "ENOTFOUND") {
    return said(
      `the database host ${conn.host} does not exist (ENOTFOUND): check the host in DATABASE_URL`,
    );
  }
  if (UNREACHABLE.has(code)) {
    return said(
      `cannot reach the database at ${where} (${code}): check the host and port in DATABASE_URL`,
      true,
    );
  }
  if (code === "28P01" || code === "28000") {
    return said(
      `the database at ${where} refused the login (${message}): check the user and password in DATABASE_URL`,
    );
  }
  if (code === "3D000") {
    return said(`${message} at ${where}: check the database name in DATABASE_URL`);
  }
  return err instanceof Error ? err : new Error(message);
}
