#!/usr/bin/env node
// `npm run build`: compiles src/ and adapters/ to dist/ (ES modules, one chunk per lazily
// loaded adapter, packages left external), so the server starts without transpiling; and makes
// dist/pglite-template.tgz, an embedded database with the migrations applied, from which a
// first boot on PGlite starts instead of running initdb (about 3 s less).
// bin/ardary-bridge.js runs dist/ only. Runs as `npm ci`'s `prepare` step too: after a production
// install (`npm ci --omit=dev`, no esbuild) it keeps the dist/ already built, or says what to do.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";

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

mkdirSync(dist, { recursive: true });
for (const f of readdirSync(dist)) if (/\.js(\.map)?$/.test(f)) rmSync(new URL(f, dist));
await build({
  entryPoints: ["src/cli.ts"],
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});

const mtime = (url) => statSync(url, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const newestMigration = Math.max(
  ...readdirSync(migrations, { recursive: true }).map((f) => mtime(new URL(f, migrations))),
);
if (mtime(template) < newestMigration) {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const client = new PGlite("memory://");
  await migrate(drizzle(client), { migrationsFolder: migrations.pathname });
  const dump = await client.dumpDataDir("gzip");
  await client.close();
  writeFileSync(template, Buffer.from(await dump.arrayBuffer()));
}
