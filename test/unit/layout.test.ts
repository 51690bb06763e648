// The layout's rules, read from the sources (docs/architecture.md, "Layout" and "Boundaries"):
// src/ is a few entry files over domain folders that import each other in one direction (LAYERS),
// no file imports itself back through others (type-only imports included), nothing registers
// itself by being imported, adapters see the core's contract only, no adapter imports another,
// and no test leans on the benchmarks.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * src/'s folders, lowest first: a file may import its own folder and those listed before it.
 * "." is the entry files (main.ts, cli.ts), which may import anything.
 */
const LAYERS = [
  "kernel",
  "contracts",
  "db",
  "queue",
  "conversations",
  "ingest",
  "team",
  "replies",
  "reports",
  "flows",
  "boot",
  "http",
  "cli",
  ".",
];
const MAX_FILES_PER_FOLDER = 15;
const MAX_ENTRY_FILES = 3;
/** What an adapter may import of the core. */
const ADAPTER_MAY_IMPORT = ["src/contracts/index.ts", "src/kernel/errors.ts"];
/** The core files that may import the list of adapters (the composition's inputs). */
const MAY_IMPORT_ADAPTERS = ["src/boot/env.ts", "src/cli.ts"];

function files(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return files(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

interface Import {
  spec: string;
  /** `import "./x.ts"`: imported for its effects only. */
  bare: boolean;
}

/** Every module a file imports (static, dynamic, re-exports, type-only), as written. */
function importsOf(source: string): Import[] {
  const found: Import[] = [];
  const re =
    /(?:^|[\s;])(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|(?:^|[\s;])import\s*["']([^"']+)["']/g;
  for (const m of source.matchAll(re))
    found.push({ spec: (m[1] ?? m[2] ?? m[3]) as string, bare: m[3] !== undefined });
  return found;
}

/** The repository path a relative import points at; undefined for a package. */
function target(from: string, spec: string): string | undefined {
  return spec.startsWith(".") ? relative(root, resolve(root, dirname(from), spec)) : undefined;
}

/** The layer of a file of src/: its first folder, or "." for an entry file. */
function layerOf(file: string): string | undefined {
  const m = /^src\/(?:([^/]+)\/)?[^/]+\.ts$/.exec(file) ?? /^src\/([^/]+)\//.exec(file);
  if (!m) return undefined;
  return m[1] ?? ".";
}

/** What a file's imports break, as messages; empty when it follows the rules. */
function violations(file: string, source: string): string[] {
  const out: string[] = [];
  const adapterOf = (p: string) => /^adapters\/([^/]+)\//.exec(p)?.[1];
  const own = adapterOf(file);
  const layer = layerOf(file);
  for (const { spec, bare } of importsOf(source)) {
    const t = target(file, spec);
    if (bare && t) out.push(`${file}: imports ${t} for its effects (hand it to the composition)`);
    if (file.startsWith("src/")) {
      if (/^(@slack\/|discord\.js|@discordjs\/)/.test(spec))
        out.push(`${file}: the core imports the SDK ${spec}`);
      if (t?.startsWith("adapters/")) {
        if (t !== "adapters/index.ts")
          out.push(`${file}: the core imports an adapter's internals (${t})`);
        else if (!MAY_IMPORT_ADAPTERS.includes(file))
          out.push(
            `${file}: imports the list of adapters (only ${MAY_IMPORT_ADAPTERS.join(", ")})`,
          );
      }
      const to = t ? layerOf(t) : undefined;
      if (layer && to && LAYERS.indexOf(to) > LAYERS.indexOf(layer))
        out.push(`${file}: ${layer}/ imports ${to === "." ? "an entry file" : `${to}/`} (${t})`);
      if (to && !LAYERS.includes(to)) out.push(`${file}: ${t} is in no layer of LAYERS`);
    }
    if (own && t) {
      if (t.startsWith("src/") && !ADAPTER_MAY_IMPORT.includes(t))
        out.push(`${file}: an adapter imports ${t} (only ${ADAPTER_MAY_IMPORT.join(" and ")})`);
      const other = adapterOf(t);
      if (other && other !== own) out.push(`${file}: adapter ${own} imports adapter ${other}`);
    }
  }
  return out;
}

/** Every circle of the file graph (each found once), type-only imports included. */
function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === "open") found.push([...stack.slice(stack.indexOf(t)), t]);
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return found;
}

function graphOf(list: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of list) {
    const source = readFileSync(join(root, f), "utf8");
    const targets = importsOf(source).flatMap(({ spec }) => target(f, spec) ?? []);
    graph.set(
      f,
      [...new Set(targets)].filter((t) => list.includes(t)),
    );
  }
  return graph;
}

describe("the layout", () => {
  const core = files("src");
  const all = [...core, ...files("adapters")];

  it("follows the import rules in every file of src/ and adapters/", () => {
    expect(all.length).toBeGreaterThan(60);
    const found = all.flatMap((f) => violations(f, readFileSync(join(root, f), "utf8")));
    expect(found).toEqual([]);
  });

  it("has no circle of imports among files, type-only ones included", () => {
    expect(circles(graphOf(all))).toEqual([]);
  });

  it("is a few entry files over folders of at most 15 files, each file saying what it is for", () => {
    const byFolder = new Map<string, string[]>();
    for (const f of core) {
      const layer = layerOf(f) ?? "?";
      byFolder.set(layer, [...(byFolder.get(layer) ?? []), f]);
    }
    expect([...byFolder.keys()].filter((l) => !LAYERS.includes(l))).toEqual([]);
    expect(byFolder.get(".")?.length ?? 0).toBeLessThanOrEqual(MAX_ENTRY_FILES);
    for (const [layer, list] of byFolder)
      if (layer !== ".")
        expect(list.length, `src/${layer}/ holds ${list.length} files`).toBeLessThanOrEqual(
          MAX_FILES_PER_FOLDER,
        );
    const headless = all.filter((f) => !readFileSync(join(root, f), "utf8").startsWith("//"));
    expect(headless).toEqual([]);
  });

  it("has no test that imports the benchmarks", () => {
    const leaning = files("test").filter((f) =>
      importsOf(readFileSync(join(root, f), "utf8")).some(({ spec }) =>
        target(f, spec)?.startsWith("bench/"),
      ),
    );
    expect(leaning).toEqual([]);
  });
});

describe("the layout's checks", () => {
  it("catch a folder importing a higher one, and allow the other way", () => {
    expect(violations("src/db/x.ts", 'import { Bridge } from "../flows/bridge.ts";')).toEqual([
      "src/db/x.ts: db/ imports flows/ (src/flows/bridge.ts)",
    ]);
    expect(violations("src/flows/x.ts", 'import type { Db } from "../db/database.ts";')).toEqual(
      [],
    );
    expect(violations("src/kernel/x.ts", 'import { main } from "../main.ts";')).toEqual([
      "src/kernel/x.ts: kernel/ imports an entry file (src/main.ts)",
    ]);
    expect(violations("src/cli.ts", 'import { Bridge } from "./flows/bridge.ts";')).toEqual([]);
  });

  it("catch an import made for its effects", () => {
    expect(violations("src/boot/x.ts", 'import "../replies/feature.ts";')).toEqual([
      "src/boot/x.ts: imports src/replies/feature.ts for its effects (hand it to the composition)",
    ]);
    expect(violations("src/boot/x.ts", 'import { a } from "../replies/feature.ts";')).toEqual([]);
  });

  it("catch a circle, type-only imports included", () => {
    // a.ts imports a type of b.ts, b.ts a value of a.ts; c.ts only leans on a.ts.
    expect(importsOf('import type { B } from "./b.ts";')).toEqual([
      { spec: "./b.ts", bare: false },
    ]);
    const graph = new Map([
      ["src/x/a.ts", ["src/x/b.ts"]],
      ["src/x/b.ts", ["src/x/a.ts"]],
      ["src/x/c.ts", ["src/x/a.ts"]],
    ]);
    expect(circles(graph)).toEqual([["src/x/a.ts", "src/x/b.ts", "src/x/a.ts"]]);
    expect(circles(new Map([["src/x/c.ts", ["src/x/a.ts"]]]))).toEqual([]);
  });

  it("catch each kind of forbidden adapter import", () => {
    expect(
      violations("adapters/slack/x.ts", 'import { rowsOf } from "../../src/db/database.ts";'),
    ).toEqual([
      "adapters/slack/x.ts: an adapter imports src/db/database.ts (only src/contracts/index.ts and src/kernel/errors.ts)",
    ]);
    expect(
      violations("adapters/slack/x.ts", 'import type { A } from "../discord/refs.ts";'),
    ).toHaveLength(1);
    expect(
      violations("src/flows/x.ts", 'const m = await import("../../adapters/slack/index.ts");'),
    ).toHaveLength(1);
    expect(
      violations("src/flows/x.ts", 'import { ADAPTERS } from "../../adapters/index.ts";'),
    ).toEqual(["src/flows/x.ts: imports the list of adapters (only src/boot/env.ts, src/cli.ts)"]);
    expect(violations("src/flows/x.ts", 'import { App } from "@slack/bolt";')).toHaveLength(1);
    expect(violations("src/flows/x.ts", 'import { REST } from "discord.js";')).toHaveLength(1);
    // What is allowed.
    expect(
      violations(
        "adapters/slack/x.ts",
        'import type { ChatAdapter } from "../../src/contracts/index.ts";',
      ),
    ).toEqual([]);
    expect(
      violations("adapters/slack/x.ts", 'import { AppError } from "../../src/kernel/errors.ts";'),
    ).toEqual([]);
    expect(
      violations("src/boot/env.ts", 'import { ADAPTERS } from "../../adapters/index.ts";'),
    ).toEqual([]);
  });
});
