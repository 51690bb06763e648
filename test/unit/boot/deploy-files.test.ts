// The deploy manifests: app.json holds Heroku's documented keys only (devcenter "app.json
// Schema"), names every variable the bridge reads, and its process types match the Procfile; the
// deploy forms (app.json, render.yaml) ask what a team decides, Render runs in the EU, the
// README's button names the repository, and the button lands on the set-up page.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadEnv } from "../../../src/boot/env.ts";

const appJson = JSON.parse(readFileSync("app.json", "utf8")) as Record<string, unknown>;
const procfile = Object.fromEntries(
  readFileSync("Procfile", "utf8")
    .trim()
    .split("\n")
    .map((line) => line.split(/:\s*/, 2) as [string, string]),
);

/** Keys of app.json as Heroku documents them. */
const TOP = [
  ...["name", "description", "keywords", "website", "repository", "logo", "success_url"],
  ...["scripts", "env", "formation", "image", "addons", "buildpacks", "environments", "stack"],
];
const ENV_KEYS = ["description", "value", "required", "generator"];
const FORMATION_KEYS = ["quantity", "size"];
const ADDON_KEYS = ["plan", "as", "options"];
const SCRIPTS = ["postdeploy", "pr-predestroy"];

describe("app.json", () => {
  it("uses Heroku's documented keys only, with the documented types", () => {
    expect(Object.keys(appJson).filter((k) => !TOP.includes(k))).toEqual([]);
    expect(typeof appJson.name).toBe("string");
    expect((appJson.name as string).length).toBeLessThanOrEqual(30);
    expect(Array.isArray(appJson.keywords)).toBe(true);
    for (const [name, spec] of Object.entries(appJson.env as Record<string, object>)) {
      expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(Object.keys(spec).filter((k) => !ENV_KEYS.includes(k))).toEqual([]);
      const s = spec as { description?: unknown; generator?: unknown; value?: unknown };
      expect(typeof s.description).toBe("string");
      if (s.generator !== undefined) expect(s.generator).toBe("secret");
      if (s.value !== undefined) expect(typeof s.value).toBe("string");
    }
    for (const f of Object.values(appJson.formation as Record<string, object>)) {
      expect(Object.keys(f).filter((k) => !FORMATION_KEYS.includes(k))).toEqual([]);
      expect(Number.isInteger((f as { quantity: number }).quantity)).toBe(true);
    }
    for (const a of appJson.addons as (string | object)[]) {
      if (typeof a === "string") continue;
      expect(Object.keys(a).filter((k) => !ADDON_KEYS.includes(k))).toEqual([]);
    }
    for (const b of appJson.buildpacks as object[]) expect(Object.keys(b)).toEqual(["url"]);
    expect(
      Object.keys((appJson.scripts as object) ?? {}).filter((k) => !SCRIPTS.includes(k)),
    ).toEqual([]);
  });

  it("adds Postgres, generates the callback secret, names ARDARY_MODE, and its values boot", () => {
    const env = appJson.env as Record<string, { value?: string; generator?: string }>;
    expect(appJson.addons).toContainEqual(
      expect.objectContaining({ plan: expect.stringMatching(/^heroku-postgresql/) }),
    );
    expect(env.ARDARY_CALLBACK_SECRET?.generator).toBe("secret");
    expect(env.ARDARY_MODE?.value).toBe("prod");
    const values = Object.fromEntries(
      Object.entries(env).flatMap(([k, v]) => (v.value ? [[k, v.value]] : [])),
    );
    expect(() =>
      loadEnv({ ...values, DATABASE_URL: "postgres://u:p@db.example.com:5432/d" }),
    ).not.toThrow();
  });

  it("every process type of the formation is in the Procfile, web runs serve, release migrates", () => {
    for (const type of Object.keys(appJson.formation as object))
      expect(procfile[type]).toBeDefined();
    expect(procfile.web).toBe(
      "node --max-semi-space-size=8 --max-old-space-size=256 bin/ardary-bridge.js serve",
    );
    expect(procfile.release).toBe("node bin/ardary-bridge.js migrate");
    expect(procfile.worker).toBe(
      "node --max-semi-space-size=8 --max-old-space-size=256 bin/ardary-bridge.js worker",
    );
    expect(appJson.formation).toMatchObject({ web: { quantity: 1 }, worker: { quantity: 0 } });
    // One set of node flags wherever serve runs (docs/operations.md says why these).
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: { start: string } };
    expect(pkg.scripts.start).toBe(procfile.web);
    expect(readFileSync("render.yaml", "utf8")).toContain(`startCommand: ${procfile.web}\n`);
  });

  it("asks what a team decides, with defaults that boot, and lands on the set-up page", () => {
    const env = appJson.env as Record<string, { value?: string; required?: boolean }>;
    expect(appJson.success_url).toBe("/");
    expect(env.PHONE_DEFAULT_COUNTRY).toMatchObject({ value: "FR", required: false });
    expect(env.REPLY_MODE).toMatchObject({ value: "send", required: false });
    // Empty unless both platforms are filled in (then the boot asks for it).
    expect(env.CHAT_DEFAULT_PLATFORM).toMatchObject({ required: false });
    expect(env.CHAT_DEFAULT_PLATFORM?.value).toBeUndefined();
  });

  it("the README's Deploy button names the repository (?template=)", () => {
    const readme = readFileSync("README.md", "utf8");
    const button = /\[!\[Deploy to Heroku\]\([^)]+\)\]\(([^)]+)\)/.exec(readme)?.[1];
    expect(button).toMatch(
      /^https:\/\/www\.heroku\.com\/deploy\?template=https:\/\/github\.com\/[^/]+\/ardary-bridge$/,
    );
  });

  it("every variable in app.json and render.yaml is documented in docs/configuration.md", () => {
    const readme = readFileSync("docs/configuration.md", "utf8");
    const render = readFileSync("render.yaml", "utf8");
    const names = [
      ...Object.keys(appJson.env as object),
      ...[...render.matchAll(/key: ([A-Z_]+)/g)].map((m) => m[1] as string),
    ];
    expect(names.filter((n) => !readme.includes(`\`${n}\``))).toEqual([]);
  });
});

describe("render.yaml", () => {
  const render = readFileSync("render.yaml", "utf8");
  it("runs in the EU on the starter plan, its database beside it; asks what a team decides", () => {
    expect(render.match(/^ {4}region: frankfurt$/gm)).toHaveLength(2);
    expect(render).toMatch(/^ {4}plan: (starter|free)$/m);
    expect(render).toMatch(/- key: PHONE_DEFAULT_COUNTRY\n\s+value: FR\n/);
    expect(render).toMatch(/- key: REPLY_MODE\n\s+value: send\n/);
    expect(render).toMatch(/- key: CHAT_DEFAULT_PLATFORM\n\s+sync: false\n/);
    expect(render).toMatch(/healthCheckPath: \/healthz/);
  });
});

describe("Dockerfile", () => {
  const docker = readFileSync("Dockerfile", "utf8");
  it("builds in one stage, installs the runtime only in the last, runs unprivileged, checks /healthz", () => {
    const last = docker.slice(docker.lastIndexOf("\nFROM "));
    expect(docker).toMatch(/RUN npm run build/);
    expect(last).toMatch(/npm ci --omit=dev/);
    // patch-package (postinstall) needs the patches before the install.
    expect(last.indexOf("COPY patches")).toBeLessThan(last.indexOf("npm ci --omit=dev"));
    expect(last.indexOf("COPY patches")).toBeGreaterThan(0);
    expect(last).toMatch(/^USER node$/m);
    expect(last).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
    expect(last).toMatch(
      /CMD \["node", "--max-semi-space-size=8", "--max-old-space-size=256", "bin\/ardary-bridge.js", "serve"\]/,
    );
  });
});
