// What the command line and the chat answers say is true (issue 22): `conversations` counts each
// conversation's own SMS; every time a person reads is in ARDARY_TIMEZONE and says its zone
// (`--utc`: UTC); `send` without the provider's credentials, or with an `--at` that has passed,
// is refused at once and queues nothing. The built command (bin/ardary-bridge.js) against a
// bridge on the test's database: on PGlite through that running bridge, on Postgres directly.
import { type ChildProcess, spawn } from "node:child_process";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/database.ts";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { baseEnv, type Harness, processed, startHarness, until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

const A = "+33612345678";
const A_SHOWN = "+33 6 12 34 56 78";
const B = "+33698765432";
const B_SHOWN = "+33 6 98 76 54 32";
/** 08:05:07 UTC on a December day: 09:05:07 in Paris (CET, UTC+1). */
const AT = new Date("2026-12-06T08:05:07Z");
/** A scheduled SMS's time in June (CEST, UTC+2): handed over a minute before, 09:59 UTC. */
const LATER = new Date("2030-06-01T10:00:00Z");

let h: Harness | undefined;
let db: TestDatabase | undefined;
let slack: SlackWorld | undefined;
afterEach(async () => {
  await h?.close();
  await db?.drop();
  await slack?.close();
  h = db = slack = undefined;
});

async function count(harness: Harness, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = rowsOf<{ n: string | number }>(await harness.bridge.database.db.execute(query));
  return Number(row?.n);
}

/** The command's output once a line matches `re`; then it is stopped (`tail` runs until Ctrl-C). */
async function linesUntil(args: string[], env: Record<string, string>, re: RegExp) {
  const child: ChildProcess = spawn("node", ["bin/ardary-bridge.js", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  try {
    return await until(() => re.test(out) && out, 30_000, `${args.join(" ")} printing ${re}`);
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
  }
}

describe("the command line tells the truth", () => {
  it("conversations counts each conversation's own SMS; conversations, history, tail and jobs say their times in ARDARY_TIMEZONE, with --utc in UTC", async () => {
    db = await createTestDatabase({ onDisk: true });
    h = await startHarness({ db });
    await h.sim.inbound(A, "one", AT);
    await h.sim.inbound(A, "two", AT);
    await h.sim.inbound(B, "three", AT);
    await processed(h.bridge.database);
    await h.bridge.database.db.transaction((tx) =>
      (h as Harness).bridge.bridge.queueSms(tx, {
        phone: A,
        text: "later",
        author: "test",
        sendAt: LATER,
      }),
    );
    // Every time shown is the test's: the conversations' last activity, the SMS, the callbacks.
    const db_ = h.bridge.database.db;
    await db_.execute(sql`update conversations set last_activity_at = ${AT.toISOString()}`);
    await db_.execute(sql`update messages set created_at = ${AT.toISOString()}`);
    await db_.execute(sql`update events set received_at = ${AT.toISOString()}`);
    const env = baseEnv(db, h.sim); // ARDARY_TIMEZONE unset: Europe/Paris

    const list = await runCli(["conversations"], env, 60_000);
    expect(list.code, list.stderr).toBe(0);
    const rowOf = (out: string, shown: string) => out.split("\n").find((l) => l.includes(shown));
    expect(rowOf(list.stdout, A_SHOWN)).toMatch(
      / open +3 SMS {2}last 2026-12-06 09:05 Europe\/Paris {2}\(no chat platform\)$/,
    );
    expect(rowOf(list.stdout, B_SHOWN)).toMatch(
      / open +1 SMS {2}last 2026-12-06 09:05 Europe\/Paris/,
    );
    const utc = await runCli(["conversations", "--utc"], env, 60_000);
    expect(rowOf(utc.stdout, A_SHOWN)).toMatch(/ 3 SMS {2}last 2026-12-06 08:05 UTC /);
    const waiting = await runCli(["conversations", "--unanswered"], env, 60_000);
    expect(rowOf(waiting.stdout, B_SHOWN)).toContain("waiting since 2026-12-06 09:05 Europe/Paris");

    const history = await runCli(["history", A], env, 60_000);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toContain("; open; last 2026-12-06 09:05 Europe/Paris");
    expect(history.stdout).toContain("  2026-12-06 09:05 Europe/Paris ← received: one");
    expect(history.stdout).toContain("  2026-12-06 09:05 Europe/Paris → queued test: later");
    const historyUtc = await runCli(["conversations", "--utc", "--phone", A], env, 60_000);
    expect(historyUtc.stdout).toContain("  2026-12-06 08:05 UTC ← received: two");
    expect(historyUtc.stdout).not.toContain("Europe/Paris");

    const jobs = await runCli(["jobs"], env, 60_000);
    expect(jobs.stdout).toMatch(/sms\.send +1 {2}next at 2030-06-01 11:59 Europe\/Paris/);
    const jobsUtc = await runCli(["jobs", "--utc"], env, 60_000);
    expect(jobsUtc.stdout).toMatch(/sms\.send +1 {2}next at 2030-06-01 09:59 UTC/);

    const tail = await linesUntil(["tail"], env, /→ SMS to/);
    expect(tail).toContain(`2026-12-06 09:05:07 Europe/Paris  ← SMS from ${A_SHOWN}: one`);
    expect(tail).toContain(`2026-12-06 09:05:07 Europe/Paris  → SMS to ${A_SHOWN} (test): later`);
    const tailUtc = await linesUntil(["tail", "--utc"], env, /→ SMS to/);
    expect(tailUtc).toContain(`2026-12-06 08:05:07 UTC  ← SMS from ${B_SHOWN}: three`);
  }, 180_000);

  it("send: without the provider's credentials it says which to set and queues nothing; an --at that has passed is refused as /sms refuses it", async () => {
    db = await createTestDatabase({ onDisk: true });
    h = await startHarness({ db });
    const env = baseEnv(db, h.sim);
    const send = ["send", "--to", A, "--text", "hello"];

    const bare = await runCli(send, { ...env, ARDARY_ACCESS_KEY: "", ARDARY_LOGIN: "" }, 60_000);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toBe(
      "not sent: the SMS provider (ardary) is not configured: set ARDARY_ACCESS_KEY and ARDARY_LOGIN (Ardary dashboard, Parameters > API; the access key is e-mailed to the account owner)",
    );
    expect(bare.stdout).toBe("");
    const noLogin = await runCli(send, { ...env, ARDARY_LOGIN: " " }, 60_000);
    expect(noLogin.stderr).toContain("is not configured: set ARDARY_LOGIN (");

    const past = await runCli([...send, "--at", "2020-01-01 09:00"], env, 60_000);
    expect(past.code).toBe(1);
    expect(past.stderr).toContain(
      '--at "2020-01-01 09:00" is in the past (2020-01-01 09:00 Europe/Paris): nothing queued',
    );
    expect(await count(h, sql`select count(*) as n from messages`)).toBe(0);
    expect(await count(h, sql`select count(*) as n from jobs where kind = 'sms.send'`)).toBe(0);
    expect(h.sim.requests).toHaveLength(0);
  }, 120_000);
});

describe("the chat answers and notes say their zone", () => {
  async function slackCommand(world: SlackWorld, text: string): Promise<string> {
    const before = world.fake.responses.length;
    const res = await world.fake.signer.sendCommand(world.events, {
      text,
      userId: "U0ALICE",
      channelId: GENERAL,
    });
    expect(res.status).toBe(200);
    await until(() => world.fake.responses.length > before, 10_000, "the command's answer");
    return String((world.fake.responses[before]?.body as { text?: string } | undefined)?.text);
  }

  it("/sms history, a scheduled /sms and a call's note, in ARDARY_TIMEZONE", async () => {
    // The account's zone, the simulator's too: a call's date comes without a zone.
    const zone = "America/New_York";
    slack = await startSlackWorld({ env: { ARDARY_TIMEZONE: zone }, sim: { timezone: zone } });
    await slack.h.sim.inbound(A, "Hello", AT);
    const t = await slack.thread(A);
    await slack.h.sim.call(A, AT);
    // 08:05 UTC is 03:05 in New York (EST, UTC-5).
    await untilInOrder(slack, t, [
      `📞 Incoming call from ${A_SHOWN} at 2026-12-06 03:05 America/New_York`,
    ]);
    const history = await slackCommand(slack, `history ${A}`);
    expect(history).toContain("← received: Hello");
    expect(history).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d America\/New_York ← received: Hello/);
    const scheduled = await slackCommand(slack, `${A} --at "2030-06-01 12:00" See you`);
    expect(scheduled).toContain(`Sending to ${A_SHOWN} at 2030-06-01 12:00 America/New_York`);
  });
});
