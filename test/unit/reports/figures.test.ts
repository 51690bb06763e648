// The reports' pieces that need no bridge (docs/reports.md): periods and their bad input, the
// REPORT_SCHEDULE grammar and its boot errors, the digest's postings and the days they cover,
// time inside business hours across a weekend and a DST change, the words, and the chart (a
// PNG of its size, drawn by a library loaded only then).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EnvError, loadEnv } from "../../../src/boot/env.ts";
import { features } from "../../../src/boot/services.ts";
import { BadRequestError } from "../../../src/kernel/errors.ts";
import { instantOf } from "../../../src/kernel/time.ts";
import { parseBusinessHours } from "../../../src/replies/hours.ts";
import { CHART_HEIGHT, CHART_WIDTH, drawChart, niceScale } from "../../../src/reports/chart.ts";
import { businessSeconds, quantile, type ReportFigures } from "../../../src/reports/figures.ts";
import {
  nextSlot,
  parseSchedule,
  periodOfArgs,
  periodOfSlot,
  periodOfWord,
  slotOfKey,
} from "../../../src/reports/period.ts";
import { duration, reportCsv, reportText } from "../../../src/reports/words.ts";
import { decodePng } from "../../support/png.ts";

const TZ = "Europe/Paris";
const paris = (local: string, offset = "+01:00") => new Date(`${local}${offset}`);
const credentials = { ARDARY_ACCESS_KEY: "key", ARDARY_LOGIN: "me@example.com" };
const slack = { SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s", SLACK_CHANNEL: "C0GENERAL" };
const discord = {
  DISCORD_BOT_TOKEN: "t",
  DISCORD_APPLICATION_ID: "100000000000000001",
  DISCORD_CHANNEL: "100000000000000002",
};

function problems(env: Record<string, string>): string[] {
  try {
    loadEnv({ ...credentials, ...env });
    return [];
  } catch (err) {
    if (err instanceof EnvError) return err.problems;
    throw err;
  }
}

describe("periods", () => {
  const now = paris("2026-11-12T15:30:00"); // a Thursday

  it("7d is the last 7 days, today included; week since Monday; month since the 1st", () => {
    expect(periodOfWord("7d", now, TZ)).toEqual({
      since: paris("2026-11-06T00:00:00"),
      until: now,
    });
    expect(periodOfWord("30d", now, TZ)?.since).toEqual(paris("2026-10-14T00:00:00", "+02:00"));
    expect(periodOfWord("week", now, TZ)?.since).toEqual(paris("2026-11-09T00:00:00"));
    expect(periodOfWord("month", now, TZ)?.since).toEqual(paris("2026-11-01T00:00:00"));
    expect(periodOfWord("fortnight", now, TZ)).toBeUndefined();
    expect(periodOfWord("0d", now, TZ)).toBeUndefined();
    expect(periodOfArgs({}, now, TZ)).toEqual(periodOfWord("7d", now, TZ));
  });

  it("reads local dates in the provider's zone and refuses bad input in words", () => {
    expect(periodOfArgs({ since: "2026-11-02", until: "2026-11-09 12:00" }, now, TZ)).toEqual({
      since: paris("2026-11-02T00:00:00"),
      until: paris("2026-11-09T12:00:00"),
    });
    expect(periodOfArgs({ since: "2026-11-02T08:00:00Z" }, now, TZ).since).toEqual(
      new Date("2026-11-02T08:00:00Z"),
    );
    const refusal = (o: Parameters<typeof periodOfArgs>[0]) => {
      try {
        periodOfArgs(o, now, TZ);
      } catch (err) {
        expect(err).toBeInstanceOf(BadRequestError);
        return (err as Error).message;
      }
      return "accepted";
    };
    expect(refusal({ since: "2026-11-09", until: "2026-11-02" })).toMatch(
      /^--since \(2026-11-08T23:00:00.000Z\) must come before --until/,
    );
    expect(refusal({ since: "2026-11-02", until: "2026-11-02" })).toMatch(/must come before/);
    expect(refusal({ since: "2026-02-30" })).toMatch(/--since "2026-02-30" is not a date/);
    expect(refusal({ until: "yesterday" })).toMatch(/--until "yesterday" is not a date/);
    expect(refusal({ word: "quarter" })).toMatch(/"quarter" is not a period: use 7d/);
  });

  it("the CLI refuses bad arguments before opening any database", () => {
    const cli = features.cli.get("report");
    const check = (args: string[]) => () => cli?.check?.(args);
    expect(check(["--since", "2026-11-09", "--until", "2026-11-02"])).toThrow(/must come before/);
    expect(check(["--format", "xml"])).toThrow(/--format is text, json or csv/);
    expect(check(["--chart", "out.jpg"])).toThrow(/names a \.png file/);
    expect(check(["fortnight"])).toThrow(/not a period/);
    expect(check(["30d", "--format", "csv"])).not.toThrow();
  });
});

describe("REPORT_SCHEDULE and REPORT_CHANNEL", () => {
  it("parses days and a time; a bad one is a boot error naming it, with the grammar", () => {
    expect(parseSchedule("mon 09:00")).toMatchObject({ days: [1], minute: 540 });
    expect(parseSchedule("mon-fri 8:30").days).toEqual([1, 2, 3, 4, 5]);
    expect(parseSchedule("mon,thu 18:00").days).toEqual([1, 4]);
    expect(parseSchedule("daily 07:15").days).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(() => parseSchedule("monday 9am")).toThrow(/<days> HH:MM/);
    const said = problems({ ...slack, REPORT_CHANNEL: "C0GENERAL", REPORT_SCHEDULE: "mon 25:00" });
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^REPORT_SCHEDULE: "mon 25:00": the time is HH:MM/);
    expect(said[0]).toContain("days: daily, a day (mon … sun), a list (mon,thu) or a range");
    expect(
      problems({ ...slack, REPORT_CHANNEL: "C0GENERAL", REPORT_SCHEDULE: "funday 09:00" })[0],
    ).toMatch(/"funday" is not a day/);
  });

  it("needs a channel with a schedule, and a platform that is on", () => {
    expect(problems({ ...slack, REPORT_SCHEDULE: "mon 09:00" })).toEqual([
      "REPORT_CHANNEL: required with REPORT_SCHEDULE (the channel the digest is posted in)",
    ]);
    expect(problems({ REPORT_CHANNEL: "C0GENERAL" })[0]).toMatch(/no chat platform is on/);
    expect(problems({ ...slack, REPORT_CHANNEL: "discord:123" })[0]).toMatch(
      /discord is not a chat platform that is on/,
    );
    const both = { ...slack, ...discord, CHAT_DEFAULT_PLATFORM: "slack" };
    expect(problems({ ...both, REPORT_CHANNEL: "discord:100000000000000002" })).toEqual([]);
    expect(
      problems({ ...slack, REPORT_CHANNEL: "C0GENERAL", REPORT_SCHEDULE: "mon 09:00" }),
    ).toEqual([]);
  });

  it("posts at the next slot; a weekly digest covers the week before, Monday to Sunday", () => {
    const weekly = parseSchedule("mon 09:00");
    const slot = nextSlot(weekly, paris("2026-11-09T09:00:00"), TZ);
    expect(slot.key).toBe("2026-11-16 09:00");
    expect(slot.at).toEqual(paris("2026-11-16T09:00:00"));
    expect(nextSlot(weekly, paris("2026-11-09T08:59:00"), TZ).key).toBe("2026-11-09 09:00");
    expect(periodOfSlot(weekly, slot, TZ)).toEqual({
      since: paris("2026-11-09T00:00:00"),
      until: paris("2026-11-16T00:00:00"),
    });
    const twice = parseSchedule("mon,thu 09:00");
    const thursday = slotOfKey(twice, "2026-11-12 09:00", TZ);
    expect(thursday && periodOfSlot(twice, thursday, TZ)).toEqual({
      since: paris("2026-11-09T00:00:00"),
      until: paris("2026-11-12T00:00:00"),
    });
    // A key of another schedule is none of this one's.
    expect(slotOfKey(weekly, "2026-11-12 09:00", TZ)).toBeUndefined();
    expect(slotOfKey(weekly, "2026-11-16 10:00", TZ)).toBeUndefined();
  });
});

describe("time and figures", () => {
  it("finds the instant of a wall clock across DST changes", () => {
    const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / 86_400_000;
    expect(instantOf(day("2026-03-29"), 150, TZ)).toEqual(new Date("2026-03-29T01:30:00Z"));
    expect(instantOf(day("2026-10-25"), 150, TZ)).toEqual(new Date("2026-10-25T00:30:00Z"));
    expect(instantOf(day("2026-11-02"), 0, "America/New_York")).toEqual(
      new Date("2026-11-02T05:00:00Z"),
    );
  });

  it("counts only the time inside business hours, over a weekend and a DST change", () => {
    const hours = parseBusinessHours("mon-fri 09:00-18:00");
    const s = (from: Date, to: Date, h = hours) =>
      businessSeconds(from.getTime(), to.getTime(), h, TZ);
    // Friday 17:00 → Monday 09:30: one hour on Friday, half an hour on Monday.
    expect(s(paris("2026-11-06T17:00:00"), paris("2026-11-09T09:30:00"))).toBe(5400);
    // Saturday to Sunday: nothing.
    expect(s(paris("2026-11-07T10:00:00"), paris("2026-11-08T10:00:00"))).toBe(0);
    // The night of the October change (Sunday 25th): Friday 18:00 → Monday 09:00 is closed.
    expect(s(paris("2026-10-23T18:00:00", "+02:00"), paris("2026-10-26T09:00:00", "+01:00"))).toBe(
      0,
    );
    // Without hours, the whole span.
    expect(s(paris("2026-11-06T17:00:00"), paris("2026-11-06T17:10:00"), undefined as never)).toBe(
      600,
    );
  });

  it("takes medians and the 90th percentile between neighbours", () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([300, 600, 1200, 1800, 1800, 3600], 0.5)).toBe(1500);
    expect(quantile([300, 600, 1200, 1800, 1800, 3600], 0.9)).toBe(2700);
    expect(quantile([42], 0.9)).toBe(42);
  });

  it("says durations in words", () => {
    expect(duration(45)).toBe("45 s");
    expect(duration(252)).toBe("4 min 12 s");
    expect(duration(7500)).toBe("2 h 05 min");
    expect(duration(3 * 86_400 + 4 * 3600)).toBe("3 days 4 h");
    expect(duration(null)).toBe("–");
  });
});

/** An empty week, as computeReport gives it. */
function emptyWeek(): ReportFigures {
  const days = Array.from({ length: 7 }, (_, i) => ({
    day: `2026-11-0${i + 2}`,
    in: 0,
    out: 0,
    first_response_median_s: null,
  }));
  return {
    report: {
      since: paris("2026-11-02T00:00:00").toISOString(),
      until: paris("2026-11-09T00:00:00").toISOString(),
      timezone: TZ,
      conversations: { active: 0, new: 0, closed: 0 },
      sms: { in: 0, out: 0, segments_out: 0 },
      first_response_s: { count: 0, median: null, p90: null },
      unanswered: { count: 0, oldest_waiting_s: null },
      delivery: { received: 0, sent: 0, failed: 0, unknown: 0, failure_reasons: [] },
      opt_outs: { stop: 0, start: 0 },
      clicks: 0,
      calls: 0,
      agents: [],
      channels: [],
      in_by_hour: Array.from({ length: 24 }, () => 0),
    },
    days,
    withLink: 0,
    empty: true,
  };
}

describe("the words and the chart", () => {
  it("an empty period is a report of zeros that says so; CSV has one figure per row", () => {
    const text = reportText(emptyWeek(), { businessHours: false });
    expect(text).toContain("📊 SMS report, 2026-11-02 → 2026-11-09 (Europe/Paris)");
    expect(text).toContain("Nothing happened in this period: no SMS, click or call.");
    expect(text).toContain("SMS: 0 in, 0 out (0 segments billed)");
    const csv = reportCsv(emptyWeek()).split("\n");
    expect(csv[0]).toBe("figure,value");
    expect(csv).toContain("sms.in,0");
    expect(csv).toContain("in_by_hour.23,0");
    expect(csv).toContain("days.2026-11-08.first_response_median_s,");
  });

  it("has axes of whole steps, even for a period of few SMS", () => {
    expect(niceScale(0)).toEqual({ max: 1, step: 1 });
    expect(niceScale(3)).toEqual({ max: 3, step: 1 });
    expect(niceScale(17)).toEqual({ max: 20, step: 5 });
    expect(niceScale(1234, 4)).toEqual({ max: 1500, step: 500 });
  });

  it("draws a PNG of its size, even for an empty period", async () => {
    const png = decodePng(await drawChart(emptyWeek()));
    expect({ width: png.width, height: png.height }).toEqual({
      width: CHART_WIDTH,
      height: CHART_HEIGHT,
    });
  }, 30_000);

  it("loads the chart library only when a chart is drawn (no static import anywhere)", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? files(join(dir, e.name))
          : e.name.endsWith(".ts")
            ? [join(dir, e.name)]
            : [],
      );
    const all = [...files("src"), ...files("adapters")];
    const statics = all.filter((f) => /from\s+["']pureimage["']/.test(readFileSync(f, "utf8")));
    const dynamic = all.filter((f) =>
      /import\(\s*["']pureimage["']\s*\)/.test(readFileSync(f, "utf8")),
    );
    expect(statics).toEqual([]);
    expect(dynamic).toEqual([join("src", "reports", "chart.ts")]);
  });
});
