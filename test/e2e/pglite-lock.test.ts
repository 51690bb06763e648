// One opener per PGlite folder: a second `serve` refuses, CLI commands go through the running
// server, and a lock left by a killed process is taken over.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.ts";
import { LOCK_FILE, lockDataDir } from "../../src/db/pglite-lock.ts";
import { runCli } from "../support/cli.ts";

describe("the PGlite lock", { timeout: 120_000 }, () => {
  let dir: string;
  let server: ChildProcess | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ardary-lock-"));
  });
  afterEach(async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server?.once("exit", r));
      server.kill("SIGKILL");
      await exited;
    }
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("a folder is opened once per process and released on close", async () => {
    const dataDir = join(dir, "db");
    const database = await openDatabase({ dataDir });
    await expect(openDatabase({ dataDir })).rejects.toThrow(
      `DATA_DIR ${dataDir} is already open in this process`,
    );
    await database.close();
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    const again = await openDatabase({ dataDir });
    await again.close();
  });

  it("a lock left by a process that is gone is taken over", () => {
    const gone = spawnSync("node", ["-e", "process.stdout.write(String(process.pid))"]);
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: Number(gone.stdout), command: "serve", since: "then" }),
    );
    const release = lockDataDir(dir);
    release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("a second serve refuses; migrate and jobs go through the running server; a kill leaves a lock the next opener takes over", async () => {
    const dataDir = join(dir, "db");
    mkdirSync(dataDir);
    const env = { PORT: "0", DATA_DIR: dataDir };
    server = spawn("node", ["bin/ardary-bridge.js", "serve"], {
      env: { ...process.env, LOG_LEVEL: "silent", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    server.stderr?.on("data", (d) => {
      stderr += String(d);
    });
    for (let i = 0; !existsSync(join(dataDir, "server.json")); i++) {
      if (i > 300 || server.exitCode !== null)
        throw new Error(
          `the server did not start (exit ${server.exitCode}): ${stderr.slice(0, 500)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
    const second = await runCli(["serve"], env);
    expect(second.code).toBe(1);
    expect(second.stderr.split("\n")).toEqual([
      expect.stringMatching(
        `^error: DATA_DIR ${dataDir} is in use by another ardary-bridge process \\(pid ${server.pid}, "serve", .*stop it first, or set DATA_DIR to another folder`,
      ),
    ]);
    const migrate = await runCli(["migrate"], env);
    expect(migrate).toMatchObject({ code: 0, stderr: "" });
    expect(migrate.stdout).toMatch(`migrations applied by the running server (pid ${server.pid})`);
    const jobs = await runCli(["jobs"], env);
    expect(jobs).toMatchObject({ code: 0, stderr: "" });
    expect(jobs.stdout).toMatch(/Pending jobs:/);

    const exited = new Promise((r) => server?.once("exit", r));
    server.kill("SIGKILL");
    await exited;
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);
    const alone = await runCli(["jobs"], env);
    expect(alone).toMatchObject({ code: 0, stderr: "" });
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });
});
