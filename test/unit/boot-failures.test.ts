// A boot that cannot go on ends the process: non-zero exit, one line naming what to change.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";

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

  it("an unreachable database exits non-zero with one line naming DATABASE_URL", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const r = await runCli(["serve"], {
      PORT: "0",
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/nowhere`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")).toEqual([
      expect.stringMatching(
        `^error: cannot reach the database at 127.0.0.1:${port} \\(ECONNREFUSED\\): check the host and port in DATABASE_URL`,
      ),
    ]);
  });

  it("a DATABASE_URL that is not a Postgres URL says what is expected", async () => {
    const r = await runCli(["migrate"], { DATABASE_URL: "mysql://h/db" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/DATABASE_URL: .*expected postgres:\/\/user:password@host:5432\/db/);
  });
});
