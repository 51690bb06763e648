// Every relative link of README.md and docs/*.md resolves: the file (or folder) is there, and an
// anchor (`#section`) names a heading of that file, as GitHub makes them. Links in code are not
// links. Also: the README stays a first five minutes' read.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

const FILES = [
  "README.md",
  ...readdirSync("docs").flatMap((f) => (f.endsWith(".md") ? [`docs/${f}`] : [])),
];

/** The text without fenced code blocks nor inline code. */
function prose(markdown: string): string {
  return markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchor of a heading: lower case, no punctuation, spaces as hyphens; repeats -1, -2. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of markdown
    .replace(/```[\s\S]*?```/g, "")
    .matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = (heading ?? "")
      .replace(/`/g, "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The relative links of a file: [text](target) and ![alt](target), without a scheme. */
function linksOf(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((m) => m[1] as string)
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

describe("the docs' links", () => {
  it("the anchors are GitHub's", () => {
    const a = anchorsOf("# Set up\n## The set-up page and `doctor`\n## 1. Create it\n## Set up\n");
    expect([...a]).toEqual(["set-up", "the-set-up-page-and-doctor", "1-create-it", "set-up-1"]);
  });

  it("every relative link of README.md and docs/*.md resolves, anchors included", () => {
    const broken: string[] = [];
    let count = 0;
    for (const file of FILES) {
      for (const link of linksOf(readFileSync(file, "utf8"))) {
        count++;
        const [path = "", anchor] = link.split("#");
        const target = path === "" ? file : normalize(join(dirname(file), decodeURI(path)));
        if (!existsSync(target)) {
          broken.push(`${file}: ${link} (no ${target})`);
          continue;
        }
        if (anchor && !anchorsOf(readFileSync(target, "utf8")).has(anchor))
          broken.push(`${file}: ${link} (no heading #${anchor} in ${target})`);
      }
    }
    expect(broken).toEqual([]);
    expect(count).toBeGreaterThan(30);
  });

  it("the README is a first five minutes' read, with its pictures, linking every docs page", () => {
    const readme = readFileSync("README.md", "utf8");
    expect(readme.split("\n").length).toBeLessThanOrEqual(160);
    expect(readme).toContain("](docs/thread.png)");
    expect(readme).toContain("](docs/setup-page.png)");
    const linked = new Set(linksOf(readme).map((l) => l.split("#")[0]));
    for (const page of FILES.filter((f) => f !== "README.md"))
      expect(linked.has(page), `README links ${page}`).toBe(true);
  });
});
