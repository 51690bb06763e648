// A real browser for the tests and the docs' pictures: Debian's `chromium`, headless, driven by
// its own command line (--dump-dom: the DOM once the page has loaded; --screenshot: a PNG). Each
// run has a profile of its own, removed after. `.ci/run` installs the package when missing.
// (Chromium's switch that turns scripts off, --blink-settings=scriptEnabled=false, also stops
// --dump-dom and --screenshot from producing anything: the setup page's own Content-Security-
// Policy, default-src 'none', is what keeps any script from running there.)
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The browser: CHROMIUM if set, else Debian's `chromium` on the PATH. */
export const CHROMIUM = process.env.CHROMIUM ?? "chromium";

export interface BrowseOptions {
  /** The window's size in CSS pixels (default 1000 × 800). */
  width?: number;
  height?: number;
}

function run(args: string[], o: BrowseOptions): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), "ardary-chromium-"));
  const all = [
    "--headless",
    "--no-sandbox", // CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    `--user-data-dir=${profile}`,
    `--window-size=${o.width ?? 1000},${o.height ?? 800}`,
    ...args,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      CHROMIUM,
      all,
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        rmSync(profile, { recursive: true, force: true });
        if (err) reject(new Error(`${CHROMIUM} failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** The DOM of `url` once loaded, serialized. */
export function dumpDom(url: string, o: BrowseOptions = {}): Promise<string> {
  return run(["--dump-dom", url], o);
}

/** A screenshot of `url` (the window's size), as PNG bytes. */
export async function screenshot(url: string, o: BrowseOptions = {}): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), "ardary-shot-"));
  const file = join(dir, "shot.png");
  try {
    await run([`--screenshot=${file}`, url], o);
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
