// `npm run fuzz -- [N] [seed]`: starts the built server (PGlite in a temporary folder, or
// DATABASE_URL when set) against the Ardary simulator, sends N generated callbacks (default
// 2000) of the classes in test/support/fuzz-cases.ts, and prints the answers by status, the
// answers that were not the expected ones, and any log line holding the secret, a phone number
// or a message body. Exits 1 when an answer was unexpected or a log line leaked.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator } from "../adapters/ardary/simulator/index.ts";
import { generateCases, leaksIn, runCases } from "../test/support/fuzz-cases.ts";
import { freePort } from "../test/support/world.ts";

const n = Number(process.argv[2] ?? 2000);
const seed = Number(process.argv[3] ?? 1);
/** Letters only, none a hex digit first: a bad %-escape before it stays bad. */
const SECRET = "ZqXvKjWpQmYbNcRtLsHgMzVuTy";

const dir = mkdtempSync(join(tmpdir(), "ardary-fuzz-"));
const sim = await startSimulator({ accessKey: "fuzz-key", login: "fuzz@example.com" });
const port = await freePort();
const lines: string[] = [];
const child: ChildProcess = spawn("node", ["bin/ardary-bridge.js", "serve"], {
  env: {
    ...process.env,
    PORT: String(port),
    DATA_DIR: join(dir, "db"),
    ARDARY_API_URL: sim.apiUrl,
    ARDARY_ACCESS_KEY: "fuzz-key",
    ARDARY_LOGIN: "fuzz@example.com",
    ARDARY_CALLBACK_SECRET: SECRET,
    LOG_LEVEL: "trace",
  },
  stdio: ["ignore", "pipe", "pipe"],
});
for (const s of [child.stdout, child.stderr])
  s?.on("data", (d: Buffer) => lines.push(...d.toString().split("\n").filter(Boolean)));
const base = `http://127.0.0.1:${port}`;
try {
  for (let i = 0; ; i++) {
    if ((await fetch(`${base}/healthz`).catch(() => null))?.ok) break;
    if (i > 600) throw new Error("the server did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  const cases = generateCases(seed, n, SECRET);
  const started = performance.now();
  const result = await runCases(base, cases);
  const seconds = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 500)); // the last log lines
  const leaks = leaksIn(lines, SECRET, cases, seed);
  console.log(`fuzz: ${n} requests, seed ${seed}, ${seconds.toFixed(1)} s`);
  console.log("answers by status:", result.byStatus);
  console.log("unexpected answers:", result.unexpected);
  console.log(`503 answers tried again: ${result.retried503}`);
  console.log(`log lines: ${lines.length}, leaking: ${leaks.length}`);
  for (const l of leaks.slice(0, 10)) console.log(`  ${l.slice(0, 300)}`);
  process.exitCode = Object.keys(result.unexpected).length > 0 || leaks.length > 0 ? 1 : 0;
} finally {
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}
