#!/usr/bin/env node
// `npm run build`: compiles src/ and adapters/ to dist/ (ES modules, one chunk per lazily
// loaded adapter, the packages bundled in but those that must stay files: EXTERNAL), so the
// server starts without transpiling or resolving some 800 package files; and makes
// dist/pglite-template.tar, an embedded database with the migrations applied, from which a
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
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";

const dist = new URL("../dist/", import.meta.url);
const migrations = new URL("../migrations/", import.meta.url);
const template = new URL("pglite-template.tar", dist);

/**
 * Packages not bundled: PGlite loads its WebAssembly and data files from beside its module;
 * postgres.js's frames are recognised by their path (src/db/driver-guard.ts); the optional
 * native add-ons of ws and discord.js are looked for at run time and may be absent.
 */
const EXTERNAL = [
  "@electric-sql/pglite",
  "postgres",
  "bufferutil",
  "utf-8-validate",
  "zlib-sync",
  "@discordjs/opus",
];

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
    // Bundled: a boot read ~800 files of packages one by one (open, read, stat, compile), a
    // fifth of a PGlite `serve`'s boot (bench/profile-boot.ts). Left as files: what finds its own
    // files beside it or is found by its path (EXTERNAL).
    external: EXTERNAL,
    // Packages written as CommonJS call require() for node's modules: one for this ES module.
    banner: {
      js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);',
    },
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
// Made again when the migrations or this script (the template's making) changed.
if (mtime(template) < Math.max(newest(migrations), mtime(new URL(import.meta.url)))) {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  // In a folder, closed (a clean shutdown), then archived: a database dumped while open
  // (`dumpDataDir`) is one "not properly shut down", and every first boot from it ran crash
  // recovery, replaying the migrations' WAL (about 0.8 s of a 2 s first boot, bench figure 6).
  const folder = mkdtempSync(`${tmpdir()}/ardary-template-`);
  try {
    const client = new PGlite(folder);
    await migrate(drizzle(client), { migrationsFolder: migrations.pathname });
    // The bridge uses one database (PGlite's `postgres`); initdb's template0 and template1 are
    // for CREATE DATABASE, which an embedded bridge never runs. Without them a first boot writes
    // about 460 files instead of 1,080: the file creation was most of unpacking (bench
    // profile-boot.ts, figure 6's "PGlite, fresh DATA_DIR").
    for (const name of ["template0", "template1"]) {
      await client.query(`alter database ${name} is_template false`);
      await client.query(`drop database ${name}`);
    }
    await client.close();
    // Not compressed: gunzipping its 41 MB was most of a first boot's unpacking (0.5 of 0.75 s
    // on a loaded machine); dist/ is made where it runs, never downloaded.
    writeFileSync(template, tarOf(folder));
    rmSync(new URL("pglite-template.tgz", dist), { force: true }); // the earlier builds' form
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** A ustar archive of `root`'s folders and regular files, named from the root ("/base/1/1255"),
 * as src/db/pglite-template.ts unpacks them. */
function tarOf(root) {
  const blocks = [];
  const header = (name, mode, size, type) => {
    if (Buffer.byteLength(name) > 100) throw new Error(`template: name too long: ${name}`);
    const h = Buffer.alloc(512);
    h.write(name, 0, "latin1");
    h.write(`${mode.toString(8).padStart(7, "0")}\0`, 100);
    h.write("0000000\0", 108); // uid
    h.write("0000000\0", 116); // gid
    h.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
    h.write("00000000000\0", 136); // mtime
    h.write("        ", 148); // the checksum counts its own field as spaces
    h.write(type, 156);
    h.write("ustar\0", 257);
    h.write("00", 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    return h;
  };
  const walk = (dir, name) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      const inner = `${name}/${entry.name}`;
      // Owner only, whatever PGlite's file system left (a database folder is private).
      if (entry.isDirectory()) {
        blocks.push(header(`${inner}/`, 0o700, 0, "5"));
        walk(path, inner);
      } else if (entry.isFile()) {
        const data = readFileSync(path);
        blocks.push(header(inner, 0o600, data.length, "0"), data);
        const pad = (512 - (data.length % 512)) % 512;
        if (pad) blocks.push(Buffer.alloc(pad));
      }
    }
  };
  walk(root, "");
  blocks.push(Buffer.alloc(1024)); // the end-of-archive blocks
  return Buffer.concat(blocks);
}
