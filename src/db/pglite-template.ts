// A new embedded database starts from the build's migrated template (dist/pglite-template.tar,
// made by bin/build.js: a PGlite data folder closed cleanly, as a tar; a gzipped one is read
// too) rather than from initdb, which is slow. Its files are written into the folder before PGlite opens it, so that PGlite finds a
// database and resumes it. (PGlite's own `loadDataDir` unpacks it inside the process: measured,
// a first `serve` then kept about 95 MB more RSS for its whole life than one opening the same
// files unpacked beforehand.)
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { gunzipSync } from "node:zlib";

const BLOCK = 512;
/** Written last: a folder is a database once it has this file (src/db/database.ts), so an unpacking
 * cut short (a kill) is done again from the start by the next opener. */
const MARKER = "PG_VERSION";

/** The files of a ustar archive (the only kinds PGlite writes: folders and regular files). */
function* entries(tar: Buffer) {
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) return; // the end-of-archive blocks
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString("latin1")
        .replace(/\0[\s\S]*$/, "");
    const octal = (start: number, length: number) =>
      Number.parseInt(field(start, length).trim() || "0", 8);
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = octal(124, 12);
    const type = field(156, 1) || "0";
    at += BLOCK;
    yield { name, type, mode: octal(100, 8), data: tar.subarray(at, at + size) };
    at += Math.ceil(size / BLOCK) * BLOCK;
  }
}

/** Writes the template's files into `dir` (a folder with no database in it). */
export function unpackTemplate(archivePath: string, dir: string): void {
  let marker: { path: string; data: Buffer; mode: number } | undefined;
  const archive = readFileSync(archivePath);
  const isGzip = archive[0] === 0x1f && archive[1] === 0x8b;
  for (const e of entries(isGzip ? gunzipSync(archive) : archive)) {
    // Names are absolute inside the archive ("/base/1/1255"): kept inside `dir`, always.
    const relative = posix.normalize(`/${e.name}`).slice(1);
    if (!relative) continue;
    const path = join(dir, relative);
    if (e.type === "5") mkdirSync(path, { recursive: true, mode: e.mode || 0o700 });
    else if (e.type === "0") {
      const file = { path, data: e.data, mode: e.mode || 0o600 };
      if (relative === MARKER) marker = file;
      else {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, file.data, { mode: file.mode });
      }
    } else throw new Error(`the database template holds an entry of unknown type ${e.type}`);
  }
  if (!marker) throw new Error(`the database template has no ${MARKER}`);
  writeFileSync(marker.path, marker.data, { mode: marker.mode });
}
