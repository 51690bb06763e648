// A new embedded database is unpacked from the build's template (src/db/pglite-template.ts) before
// PGlite opens it: the database opens migrated, an unpacking cut short is done again, and no
// name in an archive writes outside the folder.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, rowsOf } from "../../../src/db/database.ts";
import { unpackTemplate } from "../../../src/db/pglite-template.ts";

const TEMPLATE = "dist/pglite-template.tar";
const root = mkdtempSync(join(tmpdir(), "ardary-template-"));

/** One ustar entry: a 512-byte header, then the data padded to 512 bytes. */
function entry(name: string, data: string, type = "0"): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, "latin1");
  header.write("0000600\0", 100);
  header.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
  header.write(type, 156);
  header.write("ustar\0", 257);
  const body = Buffer.alloc(Math.ceil(data.length / 512) * 512);
  body.write(data);
  return Buffer.concat([header, body]);
}

async function countEvents(dir: string): Promise<number> {
  const database = await openDatabase({ dataDir: dir });
  try {
    const [row] = rowsOf<{ n: number }>(
      await database.query("select count(*)::int as n from events", []),
    );
    return row?.n ?? -1;
  } finally {
    await database.close();
  }
}

describe("the embedded database's template", { timeout: 60_000 }, () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("a new folder opens as a migrated database", async () => {
    const dir = join(root, "new");
    expect(await countEvents(dir)).toBe(0);
    expect(existsSync(join(dir, "PG_VERSION"))).toBe(true);
  });

  it("an unpacking cut short (no PG_VERSION yet, a file half written) is done again", async () => {
    const dir = join(root, "cut");
    unpackTemplate(TEMPLATE, dir);
    rmSync(join(dir, "PG_VERSION"));
    const catalog = join(dir, "global", "pg_control");
    writeFileSync(catalog, readFileSync(catalog).subarray(0, 100));
    expect(await countEvents(dir)).toBe(0);
  });

  it("keeps every name inside the folder, and names what it cannot unpack", () => {
    const dir = join(root, "names");
    mkdirSync(dir);
    const tgz = join(root, "evil.tgz");
    const end = Buffer.alloc(1024);
    writeFileSync(
      tgz,
      gzipSync(Buffer.concat([entry("../../escaped", "x"), entry("/PG_VERSION", "17\n"), end])),
    );
    unpackTemplate(tgz, dir);
    expect(existsSync(join(root, "escaped"))).toBe(false);
    expect(readFileSync(join(dir, "escaped"), "utf8")).toBe("x");
    expect(readFileSync(join(dir, "PG_VERSION"), "utf8")).toBe("17\n");

    writeFileSync(tgz, gzipSync(Buffer.concat([entry("link", "", "2"), end])));
    expect(() => unpackTemplate(tgz, join(root, "other"))).toThrow(/unknown type 2/);
  });
});
