// Marketing SMS by the French rules (issue 21): France's public holidays, Easter-based ones
// included; the next time a marketing SMS may leave (MARKETING_HOURS in the provider's zone,
// MARKETING_HOLIDAYS); the variables checked at boot.
import { describe, expect, it } from "vitest";
import { EnvError, loadEnv } from "../../../src/boot/env.ts";
import { easterDay, holidaysOf, isHoliday } from "../../../src/kernel/holidays.ts";
import { instantAt } from "../../../src/kernel/time.ts";
import { parseBusinessHours } from "../../../src/replies/hours.ts";
import {
  asksMarketing,
  MARKETING_HOURS_DEFAULT,
  type MarketingRules,
  marketingRules,
  nextAllowed,
} from "../../../src/replies/marketing.ts";

const PARIS = "Europe/Paris";
const fr: MarketingRules = {
  spec: MARKETING_HOURS_DEFAULT,
  schedule: parseBusinessHours(MARKETING_HOURS_DEFAULT),
  holidays: "fr",
  timeZone: PARIS,
};
const day = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;
/** An instant given as Paris wall-clock time. */
const paris = (date: string, hhmm: string) => {
  const [h, m] = hhmm.split(":").map(Number);
  return instantAt(day(date), (h ?? 0) * 60 + (m ?? 0), PARIS);
};
const next = (rules: MarketingRules, date: string, hhmm: string) =>
  nextAllowed(rules, paris(date, hhmm)).toISOString();

describe("the French public holiday calendar", () => {
  it("finds Easter Sunday by the Gregorian computus", () => {
    for (const [year, easter] of [
      [2024, "2024-03-31"],
      [2025, "2025-04-20"],
      [2026, "2026-04-05"],
      [2027, "2027-03-28"],
      [2038, "2038-04-25"],
      [2285, "2285-03-22"],
    ] as const)
      expect(new Date(easterDay(year) * 86_400_000).toISOString().slice(0, 10)).toBe(easter);
  });

  it("lists the eleven holidays of a year, the Easter-based ones moving with Easter", () => {
    expect(holidaysOf("fr", 2027)).toEqual([
      "2027-01-01",
      "2027-03-29", // Easter Monday
      "2027-05-01",
      "2027-05-06", // Ascension
      "2027-05-08",
      "2027-05-17", // Whit Monday
      "2027-07-14",
      "2027-08-15",
      "2027-11-01",
      "2027-11-11",
      "2027-12-25",
    ]);
    expect(holidaysOf("fr", 2026)).toContain("2026-04-06");
    expect(holidaysOf("fr", 2026)).toContain("2026-05-14");
    expect(holidaysOf("fr", 2026)).toContain("2026-05-25");
    expect(holidaysOf("none", 2027)).toEqual([]);
    expect(isHoliday("fr", day("2027-03-29"))).toBe(true);
    expect(isHoliday("fr", day("2027-03-30"))).toBe(false);
    expect(isHoliday("none", day("2027-07-14"))).toBe(false);
  });
});

describe("the next time a marketing SMS may leave", () => {
  it("is now inside the window, and the window's start before it", () => {
    // 2030-06-12 is a Wednesday; Paris is UTC+2 in June.
    expect(next(fr, "2030-06-12", "10:15")).toBe("2030-06-12T08:15:00.000Z");
    expect(next(fr, "2030-06-12", "08:00")).toBe("2030-06-12T06:00:00.000Z");
    expect(next(fr, "2030-06-12", "07:59")).toBe("2030-06-12T06:00:00.000Z");
    expect(next(fr, "2030-06-12", "19:59")).toBe("2030-06-12T17:59:00.000Z");
  });

  it("holds Saturday 21:00 until Monday 08:00, and Sunday too", () => {
    // 2030-06-15 is a Saturday.
    expect(next(fr, "2030-06-15", "20:00")).toBe("2030-06-17T06:00:00.000Z");
    expect(next(fr, "2030-06-15", "21:00")).toBe("2030-06-17T06:00:00.000Z");
    expect(next(fr, "2030-06-16", "11:00")).toBe("2030-06-17T06:00:00.000Z");
    // In winter Paris is UTC+1: 2030-01-12 is a Saturday.
    expect(next(fr, "2030-01-12", "21:00")).toBe("2030-01-14T07:00:00.000Z");
  });

  it("skips public holidays to the next allowed day, Easter-based ones included", () => {
    // Easter Monday 2027-03-29: Saturday evening waits until Tuesday.
    expect(next(fr, "2027-03-27", "21:00")).toBe("2027-03-30T06:00:00.000Z");
    expect(next(fr, "2027-03-29", "10:00")).toBe("2027-03-30T06:00:00.000Z");
    // 14 July 2028 is a Friday: held until Saturday 08:00.
    expect(next(fr, "2028-07-13", "21:00")).toBe("2028-07-15T06:00:00.000Z");
    expect(next(fr, "2028-07-14", "10:00")).toBe("2028-07-15T06:00:00.000Z");
    // Ascension 2027 (Thursday 6 May), and 1 May then 8 May on Saturdays in 2027.
    expect(next(fr, "2027-05-05", "20:30")).toBe("2027-05-07T06:00:00.000Z");
    expect(next(fr, "2027-04-30", "20:30")).toBe("2027-05-03T06:00:00.000Z");
    // Christmas 2027 is a Saturday, then Sunday: Monday 27 December.
    expect(next(fr, "2027-12-24", "20:00")).toBe("2027-12-27T07:00:00.000Z");
    // Without the calendar, a holiday is a day like the others.
    expect(next({ ...fr, holidays: "none" }, "2028-07-14", "10:00")).toBe(
      "2028-07-14T08:00:00.000Z",
    );
  });

  it("follows MARKETING_HOURS and the provider's zone", () => {
    const rules = marketingRules(
      loadEnv({ ...env, MARKETING_HOURS: "mon-fri 09:00-12:00; mon-fri 14:00-18:00" }).values,
      "America/New_York",
    );
    expect(rules.holidays).toBe("fr");
    // Wednesday 2030-06-12 12:30 in New York (UTC-4) waits for 14:00 there.
    const at = instantAt(day("2030-06-12"), 12 * 60 + 30, "America/New_York");
    expect(nextAllowed(rules, at).toISOString()).toBe("2030-06-12T18:00:00.000Z");
  });
});

const env = { ARDARY_ACCESS_KEY: "k", ARDARY_LOGIN: "l", ARDARY_MODE: "test" };

describe("the variables", () => {
  it("default to Monday–Saturday 08:00–20:00 with France's holidays; a bad value is named", () => {
    const rules = marketingRules(loadEnv(env).values, PARIS);
    expect(rules.spec).toBe("mon-sat 08:00-20:00");
    expect(rules.schedule).toHaveLength(6);
    expect(rules.holidays).toBe("fr");
    expect(marketingRules(loadEnv({ ...env, MARKETING_HOLIDAYS: "none" }).values, PARIS)).toEqual(
      expect.objectContaining({ holidays: "none" }),
    );
    expect(() => loadEnv({ ...env, MARKETING_HOURS: "mon-sat 20:00-08:00" })).toThrow(
      /MARKETING_HOURS: .*past midnight is two entries/,
    );
    expect(() => loadEnv({ ...env, MARKETING_HOLIDAYS: "de" })).toThrow(EnvError);
    expect(() => loadEnv({ ...env, MARKETING_HOLIDAYS: "de" })).toThrow(
      /MARKETING_HOLIDAYS: .*"fr"\|"none"/,
    );
  });

  it("`--marketing` is a word of its own", () => {
    expect(asksMarketing("--marketing Summer sale")).toBe(true);
    expect(asksMarketing("Summer sale --marketing")).toBe(true);
    expect(asksMarketing("our --marketing-team says hi")).toBe(false);
  });
});
