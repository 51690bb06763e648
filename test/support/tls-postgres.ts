// A throw-away PostgreSQL 15 that accepts TLS connections only (hostssl), with a self-signed
// certificate, listening on a non-loopback address of this machine: what Heroku Postgres looks
// like to the bridge. initdb refuses root, so the cluster runs as the `postgres` user.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";

const BIN = "/usr/lib/postgresql/15/bin";

export interface TlsPostgres {
  host: string;
  port: number;
  /** A bare URL, as Heroku gives it: no sslmode. */
  url: string;
  /** The server's certificate, which is its own CA (PEM), and its file. */
  ca: string;
  caFile: string;
  /** A certificate the server does not use (a wrong CA). */
  otherCaFile: string;
  stop(): Promise<void>;
}

/** The first non-internal IPv4 address of the machine. */
export function externalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function asPostgres(cmd: string, args: string[]) {
  return execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { stdio: "pipe" });
}

function selfSigned(dir: string, name: string, host: string): void {
  execFileSync(
    "openssl",
    [
      ...[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
      ],
      ...["-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.crt`)],
      ...["-subj", `/CN=${host}`, "-addext", `subjectAltName=IP:${host}`],
    ],
    { stdio: "pipe" },
  );
}

export async function startTlsPostgres(): Promise<TlsPostgres> {
  const host = externalAddress();
  if (!host)
    throw new Error("no non-loopback IPv4 address on this machine (add one to a dummy interface)");
  const dir = mkdtempSync(join(tmpdir(), "tls-pg-"));
  const data = join(dir, "data");
  execFileSync("chown", ["postgres:postgres", dir]);
  asPostgres(`${BIN}/initdb`, [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  selfSigned(data, "server", host);
  selfSigned(dir, "other", host);
  execFileSync("chown", ["postgres:postgres", join(data, "server.key"), join(data, "server.crt")]);
  execFileSync("chmod", ["600", join(data, "server.key")]);
  const port = await freePort();
  writeFileSync(
    join(data, "pg_hba.conf"),
    "local all all trust\nhostssl all all 0.0.0.0/0 trust\nhostssl all all ::/0 trust\n",
  );
  const server = spawn(
    "runuser",
    [
      ...["-u", "postgres", "--", `${BIN}/postgres`, "-D", data, "-p", String(port)],
      ...["-c", `listen_addresses=${host}`, "-c", `unix_socket_directories=${dir}`],
      ...["-c", "ssl=on", "-c", "ssl_cert_file=server.crt", "-c", "ssl_key_file=server.key"],
      ...["-c", "fsync=off", "-c", "shared_buffers=16MB"],
    ],
    { stdio: "ignore" },
  );
  for (let i = 0; ; i++) {
    try {
      execFileSync(`${BIN}/pg_isready`, ["-h", host, "-p", String(port), "-q"]);
      break;
    } catch {
      if (i > 100 || server.exitCode !== null) throw new Error("the TLS Postgres did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    host,
    port,
    url: `postgres://postgres@${host}:${port}/postgres`,
    ca: readFileSync(join(data, "server.crt"), "utf8"),
    caFile: join(data, "server.crt"),
    otherCaFile: join(dir, "other.crt"),
    async stop() {
      const exited = new Promise((r) => server.once("exit", r));
      asPostgres(`${BIN}/pg_ctl`, ["-D", data, "stop", "-m", "immediate"]);
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
