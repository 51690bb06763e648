#!/usr/bin/env node
// Entry point of the `ardary-bridge` command: runs the build in dist/ (made by `npm ci`'s
// `prepare` script, the platform's build step, or `npm run build`). Development runs the
// sources with `npm run dev` (tsx); the command itself needs no compiler at run time.
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const path = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));

if (!existsSync(path("dist/cli.js"))) {
  console.error(
    "error: dist/ is missing: run `npm ci` (its prepare step builds) or `npm run build`, then try again",
  );
  process.exit(1);
}

/** Newest modification time under `dir` (0 when the sources are not shipped, as in Docker). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${entry.name}`;
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

const built = statSync(path("dist/cli.js")).mtimeMs;
if (Math.max(newest(path("src")), newest(path("adapters"))) > built) {
  console.error(
    "warning: src/ changed since the last build: run `npm run build` to use the change",
  );
}
await import("../dist/cli.js");
