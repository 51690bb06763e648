// Business hours (issue 13): BUSINESS_HOURS parsed and checked at boot, closed periods named by
// the local time they began, in the provider's time zone.
import { describe, expect, it } from "vitest";
import { EnvError, loadEnv } from "../../../src/boot/env.ts";
import { closedPeriod, parseBusinessHours } from "../../../src/replies/hours.ts";

const PARIS = "Europe/Paris";
const schedule = parseBusinessHours("mon-fri 09:00-18:00; sat 10:00-13:00");
const env = { ARDARY_ACCESS_KEY: "k", ARDARY_LOGIN: "l", ARDARY_MODE: "test" };

describe("business hours", () => {
  it("parses days, ranges and times; a range past midnight is two entries", () => {
    expect(schedule).toHaveLength(6);
    expect(parseBusinessHours("fri-mon 22:00-24:00; sat-tue 00:00-02:00")).toHaveLength(8);
    for (const [spec, why] of [
      ["mon-fri 18:00-09:00", /past midnight is two entries/],
      ["monday 09:00-18:00", /days are mon/],
      ["mon 9h-18h", /times are HH:MM/],
      ["mon 09:00-25:00", /times are HH:MM/],
      [" ; ", /no opening hours/],
    ] as const)
      expect(() => parseBusinessHours(spec)).toThrow(why);
  });

  it("names the closed period by where it began, in the provider's time zone", () => {
    // 2026-11-27 is a Friday; Paris is UTC+1 in November.
    expect(closedPeriod(schedule, new Date("2026-11-27T10:00:00Z"), PARIS)).toBeNull();
    expect(closedPeriod(schedule, new Date("2026-11-27T19:00:00Z"), PARIS)).toBe(
      "2026-11-27 18:00",
    );
    expect(closedPeriod(schedule, new Date("2026-11-28T07:00:00Z"), PARIS)).toBe(
      "2026-11-27 18:00",
    );
    expect(closedPeriod(schedule, new Date("2026-11-28T13:00:00Z"), PARIS)).toBe(
      "2026-11-28 13:00",
    );
    expect(closedPeriod(schedule, new Date("2026-11-30T07:00:00Z"), PARIS)).toBe(
      "2026-11-28 13:00",
    );
    expect(closedPeriod(schedule, new Date("2026-11-27T19:00:00Z"), "America/New_York")).toBeNull();
  });

  it("is checked at boot: a bad value or one without the other is a clear error", () => {
    const problems = (extra: Record<string, string>) => {
      try {
        loadEnv({ ...env, ...extra });
        return "";
      } catch (err) {
        expect(err).toBeInstanceOf(EnvError);
        return (err as Error).message;
      }
    };
    expect(problems({ BUSINESS_HOURS: "mon-fri 9-18", AUTO_REPLY_TEXT: "Closed" })).toMatch(
      /BUSINESS_HOURS: "mon-fri 9-18": times are HH:MM/,
    );
    expect(problems({ BUSINESS_HOURS: "mon 09:00-18:00" })).toMatch(
      /AUTO_REPLY_TEXT: required with BUSINESS_HOURS/,
    );
    expect(problems({ AUTO_REPLY_TEXT: "Closed" })).toMatch(/BUSINESS_HOURS: required with/);
    expect(problems({ BUSINESS_HOURS: "mon 09:00-18:00", AUTO_REPLY_TEXT: "Closed" })).toBe("");
  });
});
