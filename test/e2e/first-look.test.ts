// The README's three commands for a first look, run as written: install (done: this test runs
// inside the installed project), `npm run try`, then `npx ardary-bridge tail`, which must show
// the customer's SMS. Then `conversations` lists the conversation. The trial leaves no traces:
// it keeps its data beside DATA_DIR, not in it, and ignores the shell's DATABASE_URL (here one
// that nothing answers) and chat variables (here a Slack nothing answers).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";

/** The commands of the README's first shell block under "Run it", comments removed. */
function firstLook(): string[] {
  const readme = readFileSync("README.md", "utf8");
  const block = /## Run it[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  return block
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter(Boolean);
}

/** Starts `command` in its own process group; resolves once stdout matches `until`. */
function start(command: string, env: Record<string, string>, until: RegExp) {
  const [cmd, ...args] = command.split(/\s+/) as [string, ...string[]];
  const child = spawn(cmd, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  const seen = new Promise<string>((resolve, reject) => {
    const check = (d: Buffer) => {
      out += d;
      if (until.test(out)) resolve(out);
    };
    child.stdout?.on("data", check);
    child.stderr?.on("data", (d) => {
      out += d;
    });
    child.once("exit", (code) => reject(new Error(`${command} exited ${code}:\n${out}`)));
  });
  return { child, seen };
}

function stop(child: ChildProcess) {
  if (child.pid && child.exitCode === null && child.signalCode === null) {
    process.kill(-child.pid, "SIGTERM"); // the group this test started: npm and its node
  }
}

describe("first look", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ardary-first-look-"));
  const started: ChildProcess[] = [];
  afterAll(() => {
    for (const c of started) stop(c);
    rmSync(dir, { recursive: true, force: true });
  });

  it("install, try, tail: the customer's SMS shows", async () => {
    const commands = firstLook();
    expect(commands).toEqual(["npm ci", "npm run try", "npx ardary-bridge tail"]);
    expect(existsSync("node_modules/.package-lock.json")).toBe(true); // `npm ci` is done
    const env = {
      PORT: "0",
      DATA_DIR: join(dir, "data"),
      LOG_LEVEL: "warn",
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/not_here",
      SLACK_BOT_TOKEN: "xoxb-from-the-shell",
      SLACK_SIGNING_SECRET: "from-the-shell",
      SLACK_CHANNEL: "C0SHELL",
      SLACK_API_URL: "http://127.0.0.1:1/api/",
    };
    const trial = start(commands[1] as string, env, /A customer writes in now/);
    started.push(trial.child);
    const banner = await trial.seen;
    const tail = start(
      commands[2] as string,
      env,
      /← SMS from \+33 6 12 34 56 78: Hello! Is my order on its way\?/,
    );
    started.push(tail.child);
    await tail.seen;
    const list = await runCli(["conversations"], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^#1 {2}\+33 6 12 34 56 78 +open +1 SMS/m);
    expect(list.stderr).toContain("the trial runs");

    // Its data is beside DATA_DIR, not in it; the shell's Slack is not on.
    expect(existsSync(join(dir, "data-try", "PG_VERSION"))).toBe(true);
    expect(existsSync(join(dir, "data"))).toBe(false);
    const url = /the bridge at (http:\/\/\S+),/.exec(banner)?.[1];
    const page = await (await fetch(`${url}/`)).text();
    expect(page).toMatch(/data-part="slack" data-state="warn"/);
    expect(page).toContain("no chat platform is on");
  });
});
