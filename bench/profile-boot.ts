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
import { SIM_KEY, SIM_LOGIN } from "../test/support/harness.ts";
import { freePort, sleep } from "../test/support/world.ts";
import { deployedNodeFlags } from "./figures/footprint-load.ts";
import { type CpuProfile, selfTime, sums, top } from "./profile.ts";
import { servedEnv } from "./served.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const again = process.argv.includes("again");

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
      env: { ...servedEnv(sim, fake), PORT: String(port), DATA_DIR: dataDir },
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
const prof = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
if (!process.env.KEEP) rmSync(work, { recursive: true, force: true });
else console.log(work);
// The boot's samples only: from the profile's start (the process's) to its first 200.
const { byFunction, byPackage } = sums(
  prof,
  selfTime(prof, prof.startTime, prof.startTime + ms * 1000),
);
const inMs = (k: string, us: number) => `  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`;
console.log(
  `boot to the first 200 on /healthz (${again ? "existing" : "fresh"} DATA_DIR, profiled): ${ms.toFixed(0)} ms`,
);
console.log(`\nself time by package:\n${top(byPackage, 14, inMs)}`);
console.log(`\nself time by function:\n${top(byFunction, 30, inMs)}`);
process.exit(0);
