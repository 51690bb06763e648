#!/usr/bin/env node
// `npm run build`: compiles src/ and adapters/ to dist/ (ES modules, one chunk per lazily
// loaded adapter, packages left external), so the server starts without transpiling; and makes
// dist/pglite-template.tgz, an embedded database with the migrations applied, from which a
// first boot on PGlite starts instead of running initdb (about 3 s less).
// bin/ardary-bridge.js runs dist/ only. Runs as `npm ci`'s `prepare` step too: after a production
// install (`npm ci --omit=dev`, no esbuild) it keeps the dist/ already built, or says what to do.
// A dist/ newer than every source is kept (`--force` builds anyway): `npx ardary-bridge …` runs
// `prepare` on its first use, maybe while a server runs from dist/. A build never leaves dist/
// without its entry point: it is written aside and moved in, cli.js last.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";

const dist = new URL("../dist/", import.meta.url);
const migrations = new URL("../migrations/", import.meta.url);
const template = new URL("pglite-template.tgz", dist);

let build;
try {
  ({ build } = await import("esbuild"));
} catch {
  if (existsSync(new URL("cli.js", dist))) {
    console.log("build: esbuild is not installed (a production install): dist/ is kept as built");
    process.exit(0);
  }
  console.error(
    "build: dist/ is missing and esbuild is not installed: run `npm ci` without --omit=dev",
  );
  process.exit(1);
}

const mtime = (url) => statSync(url, { throwIfNoEntry: false })?.mtimeMs ?? 0;
/** Newest modification time of the files under `dir` (a URL ending in /). */
const newest = (dir) =>
  Math.max(0, ...readdirSync(dir, { recursive: true }).map((f) => mtime(new URL(f, dir))));
const root = new URL("../", import.meta.url);
const sources = Math.max(
  newest(new URL("src/", root)),
  newest(new URL("adapters/", root)),
  mtime(new URL(import.meta.url)),
  mtime(new URL("package-lock.json", root)),
);
const upToDate = mtime(new URL("cli.js", dist)) > sources && !process.argv.includes("--force");

mkdirSync(dist, { recursive: true });
if (!upToDate) {
  const staging = mkdtempSync(new URL(".build-", dist).pathname);
  await build({
    entryPoints: ["src/cli.ts"],
    outdir: staging,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: true,
    logLevel: "warning",
  });
  // Chunks are named by their content: the new ones go in beside the old, then cli.js (one
  // rename: a process starting now loads either build whole), then the old ones go.
  const built = readdirSync(staging).sort((a, b) => a.startsWith("cli.") - b.startsWith("cli."));
  for (const f of built) renameSync(`${staging}/${f}`, new URL(f, dist));
  rmSync(staging, { recursive: true, force: true });
  for (const f of readdirSync(dist))
    if (/\.js(\.map)?$/.test(f) && !built.includes(f)) rmSync(new URL(f, dist));
}
if (mtime(template) < newest(migrations)) {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const client = new PGlite("memory://");
  await migrate(drizzle(client), { migrationsFolder: migrations.pathname });
  const dump = await client.dumpDataDir("gzip");
  await client.close();
  writeFileSync(template, Buffer.from(await dump.arrayBuffer()));
}
