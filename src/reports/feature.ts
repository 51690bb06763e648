// What the reports add to the bridge (docs/reports.md): `ardary-bridge report`, `/sms report`
// (an answer only its author sees) and the digest job with its schedule, as one record the
// composition (src/boot/services.ts) puts with the others.
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { fill, wordsOf } from "../contracts/index.ts";
import type { ChatCommand, CliCommand, Feature } from "../conversations/features.ts";
import { BadRequestError } from "../kernel/errors.ts";
import { drawChart } from "./chart.ts";
import {
  createDigestJob,
  postingState,
  pruneOldPostings,
  queueOnDemand,
  REPORT_JOB,
  scheduleNext,
} from "./digest.ts";
import { computeReport } from "./figures.ts";
import { PERIOD_WORDS, type Period, periodOfArgs, periodOfWord } from "./period.ts";
import { reportSettings } from "./settings.ts";
import { reportCsv, reportText } from "./words.ts";

export const REPORT_HELP = `Usage: ardary-bridge report [7d|30d|week|month] [--since DATE] [--until DATE]
                           [--format text|json|csv] [--chart FILE.png] [--post]

How the team did: conversations, SMS in and out and their cost, first response times, who
waits, delivery, STOP/START, clicks, calls, per agent, per channel, SMS in by hour
(docs/reports.md defines each figure). By default the last 7 days, today included.
  7d, 30d, week, month  ${PERIOD_WORDS}
  --since, --until  YYYY-MM-DD or "YYYY-MM-DD HH:mm" in the SMS provider's time zone, or
                    ISO-8601 with a zone: from (inclusive), to (exclusive; default now)
  --format          text (default), json (the contract of docs/reports.md) or csv
  --chart FILE.png  also draws the chart (SMS per day, first response, SMS in by hour)
  --post            posts the digest (words and chart) to REPORT_CHANNEL, through the worker`;

interface ReportArgs {
  word?: string;
  since?: string;
  until?: string;
  format: "text" | "json" | "csv";
  chart?: string;
  post: boolean;
}

export function parseReportArgs(args: string[]): ReportArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        since: { type: "string" },
        until: { type: "string" },
        format: { type: "string", default: "text" },
        chart: { type: "string" },
        post: { type: "boolean", default: false },
      },
    });
  } catch (err) {
    throw new BadRequestError((err as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const format = String(v.format);
  if (format !== "text" && format !== "json" && format !== "csv")
    throw new BadRequestError(`--format is text, json or csv, not "${format}"`);
  if (parsed.positionals.length > 1)
    throw new BadRequestError(`one period at most, not "${parsed.positionals.join(" ")}"`);
  const chart = v.chart as string | undefined;
  if (chart !== undefined && !chart.toLowerCase().endsWith(".png"))
    throw new BadRequestError(`--chart names a .png file, not "${chart}"`);
  return {
    word: parsed.positionals[0],
    since: v.since as string | undefined,
    until: v.until as string | undefined,
    format,
    chart,
    post: v.post === true,
  };
}

const REPORT_CLI: CliCommand = {
  summary: "how the team did: response times, delivery, cost (text, json, csv; --chart, --post)",
  help: REPORT_HELP,
  check(args) {
    const a = parseReportArgs(args);
    // The period's own problems (--since after --until, a bad word) are said before any database.
    periodOfArgs(a, new Date(), "UTC");
  },
  absolutePaths: (args, resolve) =>
    args.map((a, i) =>
      args[i - 1] === "--chart"
        ? resolve(a)
        : a.startsWith("--chart=")
          ? `--chart=${resolve(a.slice(8))}`
          : a,
    ),
  async run(ctx, args, write) {
    const a = parseReportArgs(args);
    const s = reportSettings(ctx.config.values, ctx.config.timeZone);
    const period = periodOfArgs(a, new Date(), s.timeZone);
    if (a.post) {
      if (!s.channelSpec)
        throw new BadRequestError("--post needs REPORT_CHANNEL: the channel the digest goes to");
      const key = await queueOnDemand(ctx.db, period);
      await write(`queued: the worker posts the digest to ${s.channelSpec}\n`);
      for (let i = 0; i < 600; i++) {
        const state = await postingState(ctx.db, key);
        if (state && state !== "queued") {
          await write(`${state}\n`);
          return state.startsWith("posted") ? 0 : 1;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      await write("not posted yet: is a worker running? (`ardary-bridge jobs` shows it waiting)\n");
      return 1;
    }
    const figures = await computeReport(ctx.db, { period, timeZone: s.timeZone, hours: s.hours });
    if (a.chart) {
      await writeFile(a.chart, await drawChart(figures));
    }
    if (a.format === "json") await write(`${JSON.stringify(figures.report, null, 2)}\n`);
    else if (a.format === "csv") await write(reportCsv(figures));
    else await write(`${reportText(figures, { businessHours: s.hours !== undefined })}\n`);
    if (a.chart && a.format === "text") await write(`chart: ${a.chart}\n`);
    return 0;
  },
};

/** `/sms report [period]`: the report in words, for its author only. */
export const REPORT_COMMAND: ChatCommand = {
  name: "report",
  usage: (w) => w.help.report,
  async run(_input, args, ctx) {
    const s = reportSettings(ctx.config.values, ctx.config.timeZone);
    // Discord's option arrives as `--period <word>` (adapters/discord/commands.ts).
    const word = args.replace(/^\s*--period\b/, "").trim() || "7d";
    const period: Period | undefined = periodOfWord(word, new Date(), s.timeZone);
    const w = wordsOf(ctx.config.language);
    if (!period)
      return fill(w.report.notAPeriod, {
        word,
        usage: w.help.report,
      });
    const figures = await computeReport(ctx.db, { period, timeZone: s.timeZone, hours: s.hours });
    return reportText(figures, { businessHours: s.hours !== undefined }, w);
  },
};

export const REPORTS_FEATURE: Feature = {
  commands: [REPORT_COMMAND],
  cli: { report: REPORT_CLI },
  jobs: (ctx) => [{ def: REPORT_JOB, run: createDigestJob(ctx) }],
  start: async (ctx) => {
    await pruneOldPostings(ctx.db);
    await scheduleNext(ctx.db, ctx.config);
  },
};
