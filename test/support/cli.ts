// Runs the `ardary-bridge` command (bin/ardary-bridge.js, i.e. dist/) as a child process.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** Runs the command; resolves with its exit code, stderr and how long it ran. */
export function runCli(args: string[], env: Record<string, string>, killAfterMs = 20_000) {
  const started = Date.now();
  const child = spawn("node", ["bin/ardary-bridge.js", ...args], {
    env: { ...process.env, LOG_LEVEL: "silent", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  // A hang is a failure of its own: the child is stopped and reported as such.
  const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  return new Promise<{ code: number | null; stderr: string; stdout: string; ms: number }>(
    (resolve) =>
      child.once("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, stderr: stderr.trim(), stdout, ms: Date.now() - started });
      }),
  );
}

/**
 * The command line of a process type as the `Procfile` deploys it (`web`, `worker`), split
 * for `spawn`: tests that measure a process run it the way a platform does.
 */
export function procfileCommand(type: string): [string, string[]] {
  const line = readFileSync("Procfile", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${type}:`));
  if (!line) throw new Error(`no ${type} process in the Procfile`);
  const [command, ...args] = line
    .slice(type.length + 1)
    .trim()
    .split(/\s+/);
  return [command as string, args];
}

/**
 * SIGTERM (SIGKILL after 10 s) and resolves once `child` has exited; at once if it already has
 * (a server that crashed at boot must fail its test, not hang it until the timeout).
 */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

export interface RunningServe {
  /** Resolves with the first stdout line matching `re` (a log line). */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  lines(): string[];
  exited(): boolean;
  /** SIGTERM, then SIGKILL after 10 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/** Starts `serve` (logs at `LOG_LEVEL`, info unless given) and keeps its stdout lines. */
export async function startServe(env: Record<string, string>): Promise<RunningServe> {
  const child = spawn("node", ["bin/ardary-bridge.js", "serve"], {
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: string[] = [];
  let rest = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    const parts = (rest + d).split("\n");
    rest = parts.pop() ?? "";
    out.push(...parts);
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  let done = false;
  const exit = new Promise<void>((r) =>
    child.once("exit", () => {
      done = true;
      r();
    }),
  );
  return {
    async line(re, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = out.find((l) => re.test(l));
        if (found) return found;
        if (done || Date.now() > deadline)
          throw new Error(`no line ${re} (exited: ${done}): ${out.join("\n")}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    lines: () => [...out],
    exited: () => done,
    async stop() {
      if (done) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
