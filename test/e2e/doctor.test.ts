// `ardary-bridge doctor` run as people run it (bin/ardary-bridge.js, the build): the setup page's
// checks in a terminal, ✓ ⚠️ ✗ per line; exit 0 only when nothing is ✗, 1 otherwise, 2 for a
// wrong option; `--json` for scripts. A configuration that does not load and a database that does
// not answer are ✗ lines, not crashes; with the embedded database it asks the running server.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { runCli, startServe } from "../support/cli.ts";

describe("ardary-bridge doctor", { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ardary-doctor-"));
  let sim: Simulator;
  let n = 0;
  /** A working set-up with no chat platform: the simulator as the provider, PGlite of its own. */
  const env = () => ({
    DATA_DIR: join(dir, `data-${++n}`),
    ARDARY_API_URL: sim.apiUrl,
    ARDARY_ACCESS_KEY: "sim-key",
    ARDARY_LOGIN: "sim@example.com",
    ARDARY_MODE: "prod",
  });
  beforeAll(async () => {
    sim = await startSimulator({ accessKey: "sim-key", login: "sim@example.com" });
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exits 0 when nothing is ✗ (⚠️ lines are said, not failed)", async () => {
    const r = await runCli(["doctor"], env(), 40_000);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ardary-bridge doctor: \d+ to look at \(⚠️\)$/m);
    expect(r.stdout).toMatch(/^✓ Database$/m);
    expect(r.stdout).toMatch(/^ {4}✓ Credentials: ARDARY_ACCESS_KEY and ARDARY_LOGIN are set$/m);
    expect(r.stdout).toMatch(/^ {4}⚠️ Last called back: never$/m);
    expect(r.stdout).toMatch(/^ {7}\$ npx ardary-bridge callback-url$/m);
    expect(r.stdout).not.toContain("sim-key");
  });

  it("exits 1 when a line is ✗, and --json says the same", async () => {
    const missing = { ...env(), ARDARY_ACCESS_KEY: "", ARDARY_LOGIN: "" };
    const text = await runCli(["doctor"], missing, 40_000);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      /^ {4}✗ Credentials: ARDARY_ACCESS_KEY and ARDARY_LOGIN are not set/m,
    );
    expect(text.stdout).toMatch(/^ {7}→ set ARDARY_ACCESS_KEY and ARDARY_LOGIN/m);
    const json = await runCli(["doctor", "--json"], missing, 40_000);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as {
      ok: boolean;
      parts: { id: string; state: string; lines: { id: string; state: string }[] }[];
    };
    expect(report.ok).toBe(false);
    const ardary = report.parts.find((p) => p.id === "ardary");
    expect(ardary?.state).toBe("fail");
    expect(ardary?.lines.find((l) => l.id === "credentials")?.state).toBe("fail");
    expect(report.parts.map((p) => p.id)).toEqual(["database", "ardary", "slack", "discord"]);
  });

  it("a configuration that does not load: ✗ naming the variable, exit 1", async () => {
    const r = await runCli(["doctor"], { ...env(), PORT: "not-a-port" }, 40_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ Configuration$/m);
    expect(r.stdout).toMatch(/^ {4}✗ PORT: /m);
  });

  it("a database that does not answer: ✗, exit 1", async () => {
    const r = await runCli(
      ["doctor"],
      { ...env(), DATABASE_URL: "postgres://nobody@127.0.0.1:1/not_here" },
      40_000,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ Database$/m);
    expect(r.stdout).toMatch(/^ {4}✗ Connection: /m);
  });

  it("a wrong option: the usage, exit 2", async () => {
    const r = await runCli(["doctor", "--yaml"], env());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Usage: ardary-bridge doctor [--json]");
  });

  it("asks the running server when it holds the embedded database", async () => {
    const e = env();
    const serve = await startServe({ ...e, PORT: "0", LOG_LEVEL: "info" });
    try {
      await serve.line(/ardary-bridge listening/);
      const r = await runCli(["doctor", "--json"], e, 40_000);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as { process: string };
      // The report was made by the server (its pid is in DATA_DIR/server.json), not by doctor.
      const server = JSON.parse(readFileSync(join(e.DATA_DIR, "server.json"), "utf8")) as {
        pid: number;
      };
      expect(report.process).toContain(`(pid ${server.pid})`);
    } finally {
      await serve.stop();
    }
  });
});

describe("ardary-bridge slack manifest", { timeout: 60_000 }, () => {
  it("prints the manifest with PUBLIC_URL filled in; without it, says what to set", async () => {
    const env = { DATA_DIR: "memory://" };
    const made = await runCli(["slack", "manifest"], {
      ...env,
      PUBLIC_URL: "https://sms.example.com",
    });
    expect(made.code).toBe(0);
    expect(made.stdout.match(/https:\/\/sms\.example\.com\/slack\/events/g)).toHaveLength(3);
    expect(made.stdout).not.toContain("YOUR-HOST");
    const unknown = await runCli(["slack", "manifest"], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toContain("PUBLIC_URL is not set");
    expect(unknown.stderr).toContain("--socket-mode");
    const socket = await runCli(["slack", "manifest", "--socket-mode"], env);
    expect(socket.code).toBe(0);
    expect(socket.stdout).toContain("socket_mode_enabled: true");
  });
});
