// `node bin/run-ts.js bench/profile-boot.ts [fresh|again]`: where a PGlite `serve`'s boot goes,
// spawn → first 200 on /healthz (figure 6's row "PGlite, fresh DATA_DIR"). Runs `ardary-bridge
// serve` (dist/, as deployed, with the Procfile's node flags) on a fresh DATA_DIR (or, with
// `again`, on the folder a first boot made) under `node --cpu-prof`, with the fake Slack and the
// provider's simulator, as figure 6 does; stops it at its first 200 and prints the boot's time
// and its self time by package and by function. The ms are of the profiled run (the profiler
// slows it a little). KEEP=1 keeps the profile and prints where (open it in Chrome's DevTools).
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startSimulator } from "../adapters/ardary/simulator/index.ts";
import { startFakeSlack } from "../test/fakes/slack.ts";
import { SECRET, SIM_KEY, SIM_LOGIN } from "../test/support/harness.ts";
import { freePort, sleep } from "../test/support/world.ts";
import { deployedNodeFlags } from "./figures/footprint-load.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const again = process.argv.includes("again");

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function where(url: string): string {
  if (url === "") return "(native / V8)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith("node:")) return "node internals";
  if (url.includes("/dist/")) return "ours (dist/)";
  return url;
}

const sim = await startSimulator({ accessKey: SIM_KEY, login: SIM_LOGIN });
const fake = await startFakeSlack();
const work = mkdtempSync(join(tmpdir(), "ardary-boot-"));
const dataDir = join(work, "db");

async function boot(profileDir?: string): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...deployedNodeFlags(),
      ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
      "bin/ardary-bridge.js",
      "serve",
    ],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        PORT: String(port),
        DATA_DIR: dataDir,
        ARDARY_API_URL: sim.apiUrl,
        ARDARY_ACCESS_KEY: SIM_KEY,
        ARDARY_LOGIN: SIM_LOGIN,
        ARDARY_MODE: "prod",
        ARDARY_CALLBACK_SECRET: SECRET,
        SLACK_BOT_TOKEN: fake.botToken,
        SLACK_SIGNING_SECRET: fake.signingSecret,
        SLACK_CHANNEL: "C0GENERAL",
        SLACK_API_URL: fake.apiUrl,
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    if (i > 6000 || child.exitCode !== null) throw new Error("serve did not start");
    await sleep(5);
  }
  const ms = performance.now() - t0;
  child.kill("SIGTERM");
  await exited;
  return ms;
}

if (again) await boot();
const dir = join(work, "prof");
const ms = await boot(dir);
await sim.close();
await fake.close();

const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error("no profile written");
const prof = JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile;
if (!process.env.KEEP) rmSync(work, { recursive: true, force: true });
else console.log(work);
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
// The boot's samples only: from the profile's start (the process's) to its first 200.
const end = prof.startTime + ms * 1000;
const self = new Map<number, number>();
let t = prof.startTime;
prof.samples.forEach((id, i) => {
  const dt = prof.timeDeltas[i] ?? 0;
  t += dt;
  if (t <= end) self.set(id, (self.get(id) ?? 0) + dt);
});
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const [id, us] of self) {
  const f = byId.get(id)?.callFrame;
  if (!f) continue;
  const name = `${f.functionName || "(anonymous)"} ${where(f.url)}${f.url ? `:${f.lineNumber + 1}` : ""}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  byPackage.set(where(f.url), (byPackage.get(where(f.url)) ?? 0) + us);
}
const top = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`)
    .join("\n");
console.log(
  `boot to the first 200 on /healthz (${again ? "existing" : "fresh"} DATA_DIR, profiled): ${ms.toFixed(0)} ms`,
);
console.log(`\nself time by package:\n${top(byPackage, 14)}`);
console.log(`\nself time by function:\n${top(byFunction, 30)}`);
process.exit(0);
