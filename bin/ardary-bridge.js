#!/usr/bin/env node
// Entry point of the `ardary-bridge` command. Runs the build in dist/ (`npm run build`) when it
// is newer than every source file; otherwise runs the TypeScript sources through tsx, so an
// edit is never shadowed by a stale build.
import { readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url);

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function buildIsFresh() {
  try {
    const built = statSync(fileURLToPath(new URL("dist/cli.js", root))).mtimeMs;
    return ["src", "adapters"].every((d) => newest(fileURLToPath(new URL(d, root))) < built);
  } catch {
    return false;
  }
}

if (buildIsFresh()) {
  await import("../dist/cli.js");
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli.ts");
}
