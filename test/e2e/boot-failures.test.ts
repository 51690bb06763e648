// A boot that cannot go on ends the process: non-zero exit, one line naming what to change.
// A database that does not answer yet is no such thing for `serve`: it waits for it, answering
// 503 meanwhile (a crash loop would only restart it into the same failure); `migrate` exits.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startServe } from "../support/cli.ts";
import { createTestDatabase, PG_ADMIN_URL } from "../support/db.ts";
import { until } from "../support/harness.ts";
import { startTcpProxy } from "../support/tcp-proxy.ts";
import { freePort } from "../support/world.ts";

const SECRET = "boot-callback-secret-0123456789";

describe("boot failures", { timeout: 30_000 }, () => {
  let dir: string;
  let holder: Server;
  let busyPort: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ardary-boot-"));
    holder = createServer();
    await new Promise<void>((r) => holder.listen(0, "0.0.0.0", r));
    busyPort = (holder.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((r) => holder.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("a busy port exits non-zero with one line naming PORT", async () => {
    const r = await runCli(["serve"], { PORT: String(busyPort), DATA_DIR: join(dir, "db") });
    console.log(`busy port: exited ${r.code} after ${r.ms} ms`);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error: port ${busyPort} is already in use \\(EADDRINUSE\\): set PORT to a free port`,
        ),
      ),
    ]);
  });

  it("migrate with an unreachable database exits non-zero with one line naming DATABASE_URL", async () => {
    const port = await freePort();
    const r = await runCli(["migrate"], {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/nowhere`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")).toEqual([
      expect.stringMatching(
        `^error: cannot reach the database at 127.0.0.1:${port} \\(ECONNREFUSED\\): check the host and port in DATABASE_URL`,
      ),
    ]);
  });

  it("serve with the database down stays up: one line naming DATABASE_URL, 503s", async () => {
    const port = await freePort();
    const httpPort = await freePort();
    const server = await startServe({
      PORT: String(httpPort),
      DATABASE_URL: `postgres://bridge:pa55-w0rd@127.0.0.1:${port}/nowhere`,
      ARDARY_CALLBACK_SECRET: SECRET,
    });
    try {
      const line = await server.line(/database unreachable at boot/);
      expect(line).toContain(`DATABASE_URL=postgres://bridge@12*****.1:${port}/nowhere`);
      expect(line).not.toContain("pa55-w0rd");
      expect(line).not.toContain("127.0.0.1");
      expect(JSON.parse(line)).toMatchObject({ code: "ECONNREFUSED" });
      const base = `http://127.0.0.1:${httpPort}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(503);
      const callback = await fetch(`${base}/ardary/callback/${SECRET}?message=%7B%7D`);
      expect(callback.status).toBe(503);
      expect(callback.headers.get("retry-after")).toBe("1");
      // Still trying, and still up: said once, not once per try.
      await new Promise((r) => setTimeout(r, 3500));
      expect(server.exited()).toBe(false);
      expect(server.lines().filter((l) => /database unreachable/.test(l))).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });

  it("serve started while the database is cut comes up once it answers: 503s, then 200", async () => {
    const db = await createTestDatabase();
    const proxy = await startTcpProxy("127.0.0.1", Number(new URL(PG_ADMIN_URL).port || 5432));
    proxy.cut();
    const httpPort = await freePort();
    const server = await startServe({
      PORT: String(httpPort),
      DATABASE_URL: db.url?.replace(/@[^/]+\//, `@127.0.0.1:${proxy.port}/`) ?? "",
      ARDARY_CALLBACK_SECRET: SECRET,
      ARDARY_MODE: "test",
    });
    const base = `http://127.0.0.1:${httpPort}`;
    const sms = { title: "incoming sms", from: "+15550700001", body: "are you open?" };
    const url = `${base}/ardary/callback/${SECRET}?message=${encodeURIComponent(JSON.stringify({ ...sms, date: "2026-11-27 10:00:00" }))}`;
    try {
      await server.line(/database unreachable at boot/);
      expect((await fetch(url)).status).toBe(503);
      expect((await fetch(`${base}/healthz`)).status).toBe(503);
      proxy.restore();
      const statuses: number[] = [];
      while (statuses.at(-1) !== 200) {
        statuses.push((await fetch(url)).status);
        if (statuses.length > 600) throw new Error(`never 200: ${statuses.join(",")}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(new Set(statuses)).toEqual(new Set(statuses.length > 1 ? [503, 200] : [200]));
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      await server.line(/database reachable: migrated and serving/);
      // Stored when answered 200; the worker acts on it (its message) right after.
      const check = postgres(db.url ?? "", { max: 1, onnotice: () => {} });
      const rows = await until(
        async () => {
          const r = await check`select body from messages`;
          return r.length > 0 ? r : undefined;
        },
        10_000,
        "the message",
      );
      expect(rows).toEqual([{ body: "are you open?" }]);
      await check.end();
      expect(server.exited()).toBe(false);
    } finally {
      await server.stop();
      await proxy.close();
      await db.drop();
    }
  });

  it("serve with a database host that does not exist exits at once naming DATABASE_URL", async () => {
    const r = await runCli(["serve"], {
      PORT: "0",
      DATABASE_URL: "postgres://postgres@db-host.invalid:5432/app",
    });
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")).toEqual([
      expect.stringMatching(
        /^error: the database host db-host\.invalid does not exist \(ENOTFOUND\): check the host in DATABASE_URL/,
      ),
    ]);
  });

  it("serve with a login the database refuses exits at once naming DATABASE_URL", async () => {
    const r = await runCli(["serve"], {
      PORT: "0",
      DATABASE_URL: PG_ADMIN_URL.replace(/\/\/[^@/]*@/, "//no_such_role_here@"),
    });
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")).toEqual([
      expect.stringMatching(/refused the login .*: check the user and password in DATABASE_URL/),
    ]);
  });

  it("a DATABASE_URL that is not a Postgres URL says what is expected", async () => {
    const r = await runCli(["migrate"], { DATABASE_URL: "mysql://h/db" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/DATABASE_URL: .*expected postgres:\/\/user:password@host:5432\/db/);
  });
});
