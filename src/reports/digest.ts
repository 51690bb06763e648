// The digest: the report in words with its chart, posted to REPORT_CHANNEL on REPORT_SCHEDULE
// and on demand (`ardary-bridge report --post`), as a job of the worker (never on the callback
// path). Exactly once per posting however many processes run: each posting has a key (the
// schedule's local date and time, or the demand's id), a settings row `report:<key>` is made
// with its job in one transaction and only by whoever made the row, and the row says when the
// digest was posted (a job taken again after that posts nothing).
import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { z } from "zod";
import { type Catalogue, type ChatAdapter, wordsOf } from "../contracts/index.ts";
import type { FeatureConfig, JobContext } from "../conversations/features.ts";
import * as store from "../conversations/store.ts";
import type { Db } from "../db/database.ts";
import { settings } from "../db/schema.ts";
import { AppError, DeferredError, errorMessage, isPermanent } from "../kernel/errors.ts";
import { defineJob, enqueue, type Job } from "../queue/jobs.ts";
import { drawChart } from "./chart.ts";
import { computeReport, type ReportFigures } from "./figures.ts";
import { nextSlot, type Period, periodOfSlot, slotOfKey } from "./period.ts";
import { reportSettings, resolveTarget } from "./settings.ts";
import { localDate, reportText } from "./words.ts";

export const REPORT_JOB = defineJob(
  "report.post",
  z.object({
    /** `slot:<local date and time>` for the schedule, `post:<uuid>` on demand. */
    key: z.string(),
    /** On demand: the period (ISO); the schedule's is its slot's. */
    since: z.string().optional(),
    until: z.string().optional(),
  }),
);

const rowKey = (key: string) => `report:${key}`;

/** Makes a posting's row and its job, unless another process made them first. */
async function queuePosting(
  db: Db,
  key: string,
  o: { runAt?: Date; period?: Period },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const made = await tx
      .insert(settings)
      .values({ key: rowKey(key), value: "queued" })
      .onConflictDoNothing()
      .returning({ key: settings.key });
    if (made.length === 0) return false;
    await enqueue(tx, {
      kind: REPORT_JOB.kind,
      // No ordering key: an on-demand digest never waits behind next Monday's.
      payload: {
        key,
        ...(o.period
          ? { since: o.period.since.toISOString(), until: o.period.until.toISOString() }
          : {}),
      },
      runAt: o.runAt,
      // A channel the bot cannot post in is said at once and again a few times, not forever.
      maxAttempts: 5,
    });
    return true;
  });
}

/** Queues the schedule's next posting (after `after`), once across every process. */
export async function scheduleNext(
  db: Db,
  config: FeatureConfig,
  after = new Date(),
): Promise<void> {
  const s = reportSettings(config.values, config.timeZone);
  if (!s.schedule || !s.channelSpec) return;
  const slot = nextSlot(s.schedule, after, config.timeZone);
  await queuePosting(db, `slot:${slot.key}`, { runAt: slot.at });
}

/** `report --post`: a digest of `period` posted by the worker; returns its key. */
export async function queueOnDemand(db: Db, period: Period): Promise<string> {
  const key = `post:${randomUUID()}`;
  await queuePosting(db, key, { period });
  return key;
}

/** What became of a posting: queued, posted (maybe without its chart), failed (why). */
export async function postingState(db: Db, key: string): Promise<string | undefined> {
  return store.getSetting(db, rowKey(key));
}

/** The report's words and chart, posted through the adapter; returns what to record. */
export async function postDigest(
  adapter: ChatAdapter,
  channel: string,
  figures: ReportFigures,
  o: { businessHours: boolean; log: Logger; words?: Catalogue },
): Promise<string> {
  const text = reportText(figures, o, o.words);
  let chart: Buffer | undefined;
  try {
    chart = await drawChart(figures);
  } catch (err) {
    o.log.error(
      { err: errorMessage(err) },
      "report: the chart could not be drawn; posted in words",
    );
  }
  const r = figures.report;
  const name = `sms-report-${localDate(new Date(r.since), r.timezone).slice(0, 10)}.png`;
  const posted = await (adapter.postReport as NonNullable<ChatAdapter["postReport"]>)(channel, {
    text,
    images: chart ? [{ filename: name, title: "SMS per day and by hour", data: chart }] : [],
  });
  if (posted.imagesRefused) {
    o.log.warn(
      { platform: adapter.platform, channel },
      `report: posted in words only, the chart was refused: ${posted.imagesRefused}`,
    );
    return `posted without the chart: ${posted.imagesRefused}`;
  }
  return chart ? "posted" : "posted without the chart (it could not be drawn)";
}

/** The `report.post` job: the digest computed and posted once; the schedule's next one queued. */
export function createDigestJob(ctx: JobContext) {
  return async (job: Job<z.infer<typeof REPORT_JOB.schema>>): Promise<void> => {
    const { key } = job.payload;
    const s = reportSettings(ctx.config.values, ctx.config.timeZone);
    const state = await postingState(ctx.db, key);
    const slot = key.startsWith("slot:")
      ? s.schedule && slotOfKey(s.schedule, key.slice(5), s.timeZone)
      : undefined;
    if (state?.startsWith("posted")) return;
    if (key.startsWith("slot:") && !slot) {
      // Queued under another REPORT_SCHEDULE: the current one's next posting replaces it.
      await record(ctx.db, key, "skipped: REPORT_SCHEDULE changed");
      await scheduleNext(ctx.db, ctx.config);
      return;
    }
    const period: Period | undefined =
      slot && s.schedule
        ? periodOfSlot(s.schedule, slot, s.timeZone)
        : job.payload.since && job.payload.until
          ? { since: new Date(job.payload.since), until: new Date(job.payload.until) }
          : undefined;
    if (!period) throw new AppError("report_payload", `report ${key}: no period`, { status: 400 });
    try {
      const target = resolveTarget(s, ctx.chat, ctx.config.defaultPlatform);
      if ("problem" in target)
        throw new AppError("report_channel", target.problem, { status: 400 });
      const figures = await computeReport(ctx.db, {
        period,
        timeZone: s.timeZone,
        hours: s.hours,
      });
      const outcome = await postDigest(target.adapter, target.channel, figures, {
        businessHours: s.hours !== undefined,
        log: ctx.log,
        words: wordsOf(ctx.config.language),
      });
      await record(ctx.db, key, outcome);
      ctx.log.info({ key, channel: s.channelSpec }, `report: digest ${outcome}`);
    } catch (err) {
      // Waiting for the platform's pace is not failing (and the worker gives the attempt back).
      if (err instanceof DeferredError) throw err;
      const last = isPermanent(err) || job.attempts >= (job.maxAttempts ?? 5);
      ctx.log.error(
        { key, attempt: job.attempts, err: errorMessage(err) },
        `report: the digest could not be posted to REPORT_CHANNEL ${s.channelSpec ?? "(not set)"}${last ? "" : "; trying again"}`,
      );
      if (last) await record(ctx.db, key, `failed: ${errorMessage(err)}`);
      throw err;
    } finally {
      if (slot)
        await scheduleNext(ctx.db, ctx.config, new Date(Math.max(Date.now(), slot.at.getTime())));
    }
  };
}

async function record(db: Db, key: string, value: string) {
  await db
    .update(settings)
    .set({ value })
    .where(eq(settings.key, rowKey(key)));
}

/** Whether the digest can go where REPORT_CHANNEL says, logged at boot (never a silent loss). */
export async function checkReportChannel(
  config: FeatureConfig,
  chat: ReadonlyMap<string, ChatAdapter>,
  log: Logger,
): Promise<string[]> {
  const s = reportSettings(config.values, config.timeZone);
  if (!s.channelSpec) return [];
  const target = resolveTarget(s, chat, config.defaultPlatform);
  let problems: string[];
  try {
    problems =
      "problem" in target
        ? [target.problem]
        : ((await target.adapter.checkChannel?.(target.channel)) ?? []);
  } catch (err) {
    problems = [`could not be checked: ${errorMessage(err)}`];
  }
  for (const p of problems)
    log.error({ channel: s.channelSpec }, `REPORT_CHANNEL ${s.channelSpec}: ${p}`);
  if (problems.length === 0 && s.schedule)
    log.info(
      `report: the digest goes to ${s.channelSpec} on ${s.schedule.spec} (${config.timeZone})`,
    );
  return problems;
}

/** Unused keys older than a year are dropped (one row per posting otherwise piles up). */
export async function pruneOldPostings(db: Db): Promise<void> {
  await db.execute(
    sql`delete from settings where key like 'report:slot:%' and substr(key, 13, 10) < to_char(now() - interval '1 year', 'YYYY-MM-DD')`,
  );
}
