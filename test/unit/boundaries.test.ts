// The architecture's import rules, read from the sources: adapters depend on the core's
// contracts and errors only; the core never imports a chat SDK or an adapter's internals; no
// adapter imports another. (docs/architecture.md, "Boundaries")
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function files(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory()
      ? files(path)
      : path.endsWith(".ts")
        ? [path]
        : [];
  });
}

/** Every module a file imports (static and dynamic), as written. */
function importsOf(source: string): string[] {
  const found: string[] = [];
  const re = /(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  for (const m of source.matchAll(re)) found.push((m[1] ?? m[2]) as string);
  return found;
}

/** The repository path a relative import points at; undefined for a package. */
function target(from: string, spec: string): string | undefined {
  return spec.startsWith(".") ? relative(root, resolve(root, dirname(from), spec)) : undefined;
}

/** What is forbidden, as messages; empty when the file follows the rules. */
function violations(file: string, source: string): string[] {
  const out: string[] = [];
  const adapterOf = (p: string) => /^adapters\/([^/]+)\//.exec(p)?.[1];
  const own = adapterOf(file);
  for (const spec of importsOf(source)) {
    const t = target(file, spec);
    if (file.startsWith("src/")) {
      if (/^(@slack\/|discord\.js|@discordjs\/)/.test(spec))
        out.push(`${file}: the core imports the SDK ${spec}`);
      if (t?.startsWith("adapters/") && t !== "adapters/index.ts")
        out.push(`${file}: the core imports an adapter's internals (${t})`);
    }
    if (own && t) {
      if (t.startsWith("src/") && t !== "src/contracts/index.ts" && t !== "src/kernel/errors.ts")
        out.push(
          `${file}: an adapter imports ${t} (only src/contracts/index.ts and src/kernel/errors.ts)`,
        );
      const other = adapterOf(t);
      if (other && other !== own) out.push(`${file}: adapter ${own} imports adapter ${other}`);
    }
  }
  return out;
}

describe("import boundaries", () => {
  it("hold in every file of src/ and adapters/", () => {
    const all = [...files("src"), ...files("adapters")];
    expect(all.length).toBeGreaterThan(20);
    const found = all.flatMap((f) => violations(f, readFileSync(join(root, f), "utf8")));
    expect(found).toEqual([]);
  });

  it("catch each kind of forbidden import", () => {
    expect(
      violations("adapters/slack/x.ts", 'import { rowsOf } from "../../src/db/database.ts";'),
    ).toEqual([
      "adapters/slack/x.ts: an adapter imports src/db/database.ts (only src/contracts/index.ts and src/kernel/errors.ts)",
    ]);
    expect(
      violations("adapters/slack/x.ts", 'import type { A } from "../discord/refs.ts";'),
    ).toHaveLength(1);
    expect(
      violations("src/x.ts", 'const m = await import("../adapters/slack/index.ts");'),
    ).toHaveLength(1);
    expect(violations("src/x.ts", 'import { App } from "@slack/bolt";')).toHaveLength(1);
    expect(violations("src/x.ts", 'import { REST } from "discord.js";')).toHaveLength(1);
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
      violations("src/boot/env.ts", 'import { ADAPTERS } from "../adapters/index.ts";'),
    ).toEqual([]);
  });
});
