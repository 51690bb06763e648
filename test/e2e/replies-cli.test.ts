// The CLI forms of issue 13 (the built command, on an embedded database of its own):
// `templates`, `history` / `conversations --phone`, `export`, `forget`; bad arguments get the usage.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";

describe("replies CLI", { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ardary-replies-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = {
    DATA_DIR: join(dir, "db"),
    ARDARY_ACCESS_KEY: "k",
    ARDARY_LOGIN: "cli@example.com",
    ARDARY_MODE: "test",
    ARDARY_API_URL: "http://127.0.0.1:9",
  };

  it("templates add and list, export and forget answer; bad arguments get the usage", async () => {
    const add = await runCli(
      ["templates", "add", "thanks", "Thank you {first_name}!"],
      env,
      60_000,
    );
    expect(add.stdout, `exit ${add.code} after ${add.ms} ms: ${add.stderr}`).toContain(
      "Template ::thanks added",
    );
    expect(add.code).toBe(0);
    const promo = await runCli(
      ["templates", "add", "promo", "--marketing", "Summer sale: -20%"],
      env,
      60_000,
    );
    expect(promo.stdout).toContain("Template ::promo added as a marketing SMS");
    const list = await runCli(["templates", "list"], env, 60_000);
    expect(list.stdout).toContain("::thanks  Thank you {first_name}!");
    expect(list.stdout).toContain("::promo (marketing)  Summer sale: -20%");
    const csv = await runCli(["export"], env, 60_000);
    expect(csv.code).toBe(0);
    expect(csv.stdout.startsWith("\uFEFFtime,")).toBe(true); // the byte-order mark, on stdout
    expect(csv.stdout.trim()).toBe(
      "time,direction,phone,contact_name,author_id,author_name,platform,thread_link,thread_ref,text,status,status_time,provider_code,error,segments",
    );
    const wrong = await runCli(["export", "--format", "xml"], env, 60_000);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("--format is csv or jsonl");
    expect(wrong.stderr).toContain("Usage: ardary-bridge export");

    const forget = await runCli(["forget", "+33612345678"], env, 60_000);
    expect(forget.code).toBe(0);
    expect(forget.stdout).toContain("forgot +33612345678: 0 SMS bodies erased");
    expect((await runCli(["forget", "nobody"], env, 60_000)).stderr).toContain(
      "is not a phone number",
    );
    expect((await runCli(["--help"], env, 60_000)).stdout).toMatch(/export +the audit export/);
  });
});
