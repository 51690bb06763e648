// The CLI forms of issue 21 (the built command, on an embedded database of its own): `routes
// add --sender` checked by Ardary's rule (refused naming it, saved, listed); `send --marketing`
// held until the hours marketing SMS may leave (the command says until when and returns); the
// export's author_id from `send --author`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { localTime } from "../../src/replies/hours.ts";
import { runCli } from "../support/cli.ts";

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

describe("Ardary CLI", { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ardary-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Marketing SMS may leave only three days from today (in Paris): whenever the test runs, a
  // marketing send is held.
  const today = localTime(new Date(), "Europe/Paris").weekday;
  const allowed = DAYS[(today + 3) % 7] ?? "mon";
  const env = {
    DATA_DIR: join(dir, "db"),
    ARDARY_ACCESS_KEY: "k",
    ARDARY_LOGIN: "cli@example.com",
    ARDARY_MODE: "test",
    ARDARY_API_URL: "http://127.0.0.1:9",
    MARKETING_HOURS: `${allowed} 08:00-20:00`,
  };

  it("routes add --sender follows Ardary's rule; send --marketing is held; the export names its author", async () => {
    const refused = await runCli(
      ["routes", "add", "+44", "--slack", "C0UK", "--sender", "Acme-UK"],
      env,
      60_000,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'route not saved: "Acme-UK" cannot be an SMS sender name: Ardary and the operators take 3 to 11 characters',
    );
    const added = await runCli(
      ["routes", "add", "+44", "--slack", "C0UK", "--sender", "AcmeUK"],
      env,
      60_000,
    );
    expect(added.stdout, added.stderr).toContain("+44 → slack C0UK, SMS sent as AcmeUK");
    expect((await runCli(["routes", "list"], env, 60_000)).stdout).toContain(
      "+44\tslack\tC0UK\tsender AcmeUK",
    );

    const sent = await runCli(
      [
        "send",
        "--to",
        "+447700900123",
        "--text",
        "Summer sale",
        "--marketing",
        "--author",
        "zoe.martin",
      ],
      env,
      60_000,
    );
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(
      new RegExp(
        `📣 Marketing SMS: held until ${allowed.charAt(0).toUpperCase()}${allowed.slice(1)} \\d{4}-\\d\\d-\\d\\d 08:00 \\(Europe/Paris\\)`,
      ),
    );

    const csv = await runCli(["export", "--format", "jsonl"], env, 60_000);
    const [row] = csv.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(row).toMatchObject({
      direction: "out",
      author_id: "zoe.martin",
      author_name: "zoe.martin",
      text: "Summer sale",
      status: "queued",
      thread_link: null,
    });
  });
});
