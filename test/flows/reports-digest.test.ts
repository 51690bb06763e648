// The digest in the channel (docs/reports.md): its words and its chart through Slack's external
// upload and as a Discord attachment (the bytes decode as a PNG of the chart's size); a platform
// that refuses the image still gets the words and the log names the scope or permission; a
// REPORT_CHANNEL the bot cannot post in is said at boot; and with two bridges on one database
// the scheduled digest is posted once.
import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { featureConfig, features } from "../../src/boot/services.ts";
import { rowsOf } from "../../src/db/database.ts";
import { CHART_HEIGHT, CHART_WIDTH } from "../../src/reports/chart.ts";
import { startFakeDiscord } from "../fakes/discord.ts";
import { startFakeSlack } from "../fakes/slack.ts";
import { createTestDatabase, TEST_DB } from "../support/db.ts";
import { answerTo, startDiscord } from "../support/discord-setup.ts";
import type { Harness } from "../support/harness.ts";
import { until } from "../support/harness.ts";
import { decodePng } from "../support/png.ts";
import { GENERAL, type SlackWorld, startSlackWorld } from "../support/slack-setup.ts";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
});

/** A logger whose lines the test reads. */
function capture() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino(
    { level: "info" },
    new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    }),
  );
  return { log, said: () => lines.map((l) => l.msg).join("\n") };
}

/** `ardary-bridge report --post` in the test's process: queues the digest, waits for it. */
async function post(h: Harness, args: string[] = []): Promise<{ code: number; out: string }> {
  let out = "";
  const code =
    (await features.cli.get("report")?.run(
      {
        db: h.bridge.database.db,
        log: pino({ level: "silent" }),
        platforms: [],
        config: featureConfig(h.env),
      },
      ["--post", ...args],
      async (chunk) => {
        out += chunk;
      },
    )) ?? -1;
  return { code, out };
}

async function someSms(h: Harness, phone: string) {
  expect(await h.sim.inbound(phone, "Hello, is the shop open?")).toBe(200);
}

describe("the digest on Slack", () => {
  it("is one message with the chart uploaded (external upload); without files:write, words and a log line", async () => {
    const { log, said } = capture();
    const w: SlackWorld = await startSlackWorld({ env: { REPORT_CHANNEL: GENERAL }, log });
    cleanup.push(() => w.close());
    await someSms(w.h, "+33611112201");
    await w.thread("+33611112201");

    const first = await post(w.h);
    expect(first.out).toContain("posted");
    expect(first.code).toBe(0);
    expect(w.fake.shares).toHaveLength(1);
    const share = w.fake.shares[0];
    expect(share?.channel).toBe(GENERAL);
    expect(share?.initialComment).toContain("📊 SMS report");
    expect(share?.initialComment).toContain("SMS: 1 in, 0 out");
    expect(share?.files).toHaveLength(1);
    expect(share?.files[0]?.filename).toMatch(/^sms-report-\d{4}-\d{2}-\d{2}\.png$/);
    const png = decodePng(share?.files[0]?.data ?? new Uint8Array());
    expect({ width: png.width, height: png.height }).toEqual({
      width: CHART_WIDTH,
      height: CHART_HEIGHT,
    });
    // The message in the channel carries the file.
    const inChannel = w.fake.topLevel(GENERAL).find((m) => m.ts === share?.ts);
    expect(inChannel?.files?.map((f) => f.id)).toEqual([share?.files[0]?.id]);
    const calls = w.fake.requests.map((r) => r.method);
    expect(calls.indexOf("files.getUploadURLExternal")).toBeLessThan(
      calls.indexOf("files.completeUploadExternal"),
    );

    // The app loses files:write: the digest still comes, in words, and the log says what to add.
    w.fake.scopes.delete("files:write");
    const posts = w.fake.posts.length;
    const second = await post(w.h);
    expect(second.code).toBe(0);
    expect(second.out).toContain("posted without the chart");
    expect(w.fake.shares).toHaveLength(1);
    const words = w.fake.posts.slice(posts).filter((p) => p.channel === GENERAL && !p.thread_ts);
    expect(words).toHaveLength(1);
    expect(words[0]?.text).toContain("📊 SMS report");
    expect(said()).toContain("files:write");
  }, 120_000);

  it("says at boot that the bot cannot post in REPORT_CHANNEL, and the digest fails in words", async () => {
    const { log, said } = capture();
    const w = await startSlackWorld({
      env: { REPORT_CHANNEL: "C0NOWHERE", REPORT_SCHEDULE: "mon 09:00" },
      log,
    });
    cleanup.push(() => w.close());
    await until(() => said().includes("REPORT_CHANNEL C0NOWHERE"), 10_000, "the boot line");
    expect(said()).toContain("Slack has no channel C0NOWHERE the bot can see");
    const out = await post(w.h);
    expect(out.code).toBe(1);
    expect(out.out).toContain("failed:");
    expect(said()).toContain("the digest could not be posted to REPORT_CHANNEL C0NOWHERE");
  }, 120_000);
});

describe("the digest on Discord", () => {
  it("is one message with the chart attached; without Attach Files, words and a log line", async () => {
    const { log, said } = capture();
    const fake = await startFakeDiscord();
    const channel = fake.textChannelId ?? "";
    // The digest goes to the bridge's own text channel.
    const w = await startDiscord("text", { fake, log, env: { REPORT_CHANNEL: channel } });
    cleanup.push(() => w.close());
    const again = w;
    await someSms(again.h, "+33611112202");
    const posted = await post(again.h);
    expect(posted.code).toBe(0);
    const digest = w.fake
      .messages(w.channel)
      .find((m) => m.content.includes("📊 SMS report") && m.attachments.length > 0);
    expect(digest).toBeDefined();
    const attachment = digest?.attachments[0] as { url: string; filename: string };
    expect(attachment.filename).toMatch(/\.png$/);
    const png = decodePng(w.fake.attachmentData(attachment.url) ?? new Uint8Array());
    expect({ width: png.width, height: png.height }).toEqual({
      width: CHART_WIDTH,
      height: CHART_HEIGHT,
    });
    const multipart = w.fake.requests.find(
      (r) =>
        r.method === "POST" && r.route === "/channels/:id/messages" && r.path.includes(w.channel),
    );
    expect(multipart).toBeDefined();

    // `/sms report` on Discord: the period as an option, the answer only its author sees.
    const asked = w.fake.interaction({
      name: "sms",
      subcommand: "report",
      channelId: channel,
      options: { period: "30d" },
    });
    const answer = await answerTo(w, asked.id);
    expect(answer.ephemeral).toBe(true);
    expect(answer.content).toContain("📊 SMS report");
    expect(answer.content).toContain("SMS: 1 in, 0 out");

    w.fake.denyAttachments(w.channel);
    const second = await post(again.h);
    expect(second.code).toBe(0);
    expect(second.out).toContain("posted without the chart");
    const words = w.fake
      .messages(w.channel)
      .filter((m) => m.content.includes("📊 SMS report") && m.attachments.length === 0);
    expect(words).toHaveLength(1);
    expect(said()).toContain("Attach Files");
  }, 120_000);
});

if (TEST_DB === "postgres") {
  describe("the scheduled digest with two processes", () => {
    it("is queued once and posted once, whichever bridge's worker takes it", async () => {
      const fake = await startFakeSlack({ channels: [GENERAL] });
      cleanup.push(() => fake.close());
      const db = await createTestDatabase();
      cleanup.push(() => db.drop());
      const env = { REPORT_CHANNEL: GENERAL, REPORT_SCHEDULE: "daily 09:00" };
      const worlds: SlackWorld[] = [];
      for (let i = 0; i < 2; i++) {
        const w = await startSlackWorld({ sharedFake: fake, db, env });
        cleanup.push(() => w.close());
        worlds.push(w);
      }
      const database = worlds[0]?.h.bridge.database;
      if (!database) throw new Error("no bridge");
      const live = async () =>
        rowsOf<{ id: number; payload: { key: string } }>(
          await database.db.execute(
            sql`select id, payload from jobs where kind = 'report.post' and state <> 'dead'`,
          ),
        );
      // Both workers started and queued the next posting: one job, one row.
      const queued = await live();
      expect(queued).toHaveLength(1);
      const key = queued[0]?.payload.key ?? "";
      expect(key).toMatch(/^slot:\d{4}-\d{2}-\d{2} 09:00$/);
      // Its time comes (waiting for 09:00 is impractical: the job is made due now).
      await database.db.execute(sql`update jobs set run_at = now() where kind = 'report.post'`);
      await database.db.execute(sql`select pg_notify('ardary_bridge_jobs', '')`);
      await until(
        async () =>
          rowsOf<{ value: string }>(
            await database.db.execute(
              sql`select value from settings where key = ${`report:${key}`}`,
            ),
          )[0]?.value.startsWith("posted"),
        30_000,
        "the digest posted",
      );
      // The next day's posting is queued, once; the digest was posted once.
      await until(
        async () => {
          const next = await live();
          return next.length === 1 && next[0]?.payload.key !== key;
        },
        10_000,
        "the next posting queued",
      );
      expect(fake.shares.filter((s) => s.channel === GENERAL)).toHaveLength(1);
      // A third process starting now queues nothing more.
      const third = await startSlackWorld({ sharedFake: fake, db, env });
      cleanup.push(() => third.close());
      expect(await live()).toHaveLength(1);
      expect(fake.shares).toHaveLength(1);
    }, 180_000);
  });
}
