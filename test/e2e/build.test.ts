// `npm run build` (bin/build.js) runs again whenever npm runs the project's `prepare`: `npm ci`,
// and the first `npx ardary-bridge …` on a machine, maybe while a server or another command
// runs from dist/. An up-to-date dist/ is left as it is, and a rebuild never leaves dist/
// without its entry point (CI once saw "dist/ is missing" from a command started meanwhile).
import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const cliMtime = () => statSync("dist/cli.js").mtimeMs;

describe("build", { timeout: 60_000 }, () => {
  it("keeps an up-to-date dist/ as it is", async () => {
    await run("node", ["bin/build.js"]);
    const before = cliMtime();
    const { stdout } = await run("node", ["bin/build.js"]);
    expect(stdout).toBe("");
    expect(cliMtime()).toBe(before);
  });

  it("a forced rebuild never leaves dist/cli.js missing, and the command runs after it", async () => {
    const before = cliMtime();
    let checks = 0;
    let missing = 0;
    const poll = setInterval(() => {
      checks++;
      if (!existsSync("dist/cli.js")) missing++;
    }, 1);
    try {
      await run("node", ["bin/build.js", "--force"]);
    } finally {
      clearInterval(poll);
    }
    expect(checks).toBeGreaterThan(10);
    expect(missing).toBe(0);
    expect(cliMtime()).toBeGreaterThan(before);
    const { stdout } = await run("node", ["bin/ardary-bridge.js", "--help"]);
    expect(stdout).toMatch(/^ardary-bridge: answer customer SMS/);
  });
});
