// Marketing SMS by the French operators' rules. A send marked marketing (`/sms … --marketing`,
// `ardary-bridge send --marketing`, a template saved as marketing) carries the provider's STOP
// notice and leaves only inside the allowed window (MARKETING_HOURS, in BUSINESS_HOURS's
// grammar, default Monday–Saturday 08:00–20:00 in the provider's zone), never on a public
// holiday (MARKETING_HOLIDAYS=fr|none): outside it, it is held in our queue until the next
// allowed time, like a scheduled SMS (STOP, Block and Cancel hold until it leaves; the sender
// checks the window again when it sends). Conversation replies are never held, so marketing in
// a thread reply is refused with why. Every sentence people read about it is made here.

import { z } from "zod";
import {
  type Catalogue,
  fill,
  type Language,
  saidAt,
  voiceOf,
  wordsOf,
} from "../contracts/index.ts";
import { HOLIDAY_CALENDARS, type HolidayCalendar, isHoliday } from "../kernel/holidays.ts";
import { instantAt, zonedFormatter } from "../kernel/time.ts";
import { localTime, parseBusinessHours, type Schedule } from "./hours.ts";

/** The window the French operators allow marketing SMS in. */
export const MARKETING_HOURS_DEFAULT = "mon-sat 08:00-20:00";

/** The option that marks a send as marketing (`/sms`, `send`, `template add`). */
export const MARKETING_OPTION = "--marketing";

export interface MarketingRules {
  /** MARKETING_HOURS as written. */
  spec: string;
  schedule: Schedule;
  holidays: HolidayCalendar;
  /** The provider's zone: the window is wall-clock time there. */
  timeZone: string;
}

/** MARKETING_HOURS: checked at boot, a clear message when wrong. */
export const marketingHoursVar = z
  .string()
  .trim()
  .default(MARKETING_HOURS_DEFAULT)
  .transform((v, ctx) => {
    const spec = v === "" ? MARKETING_HOURS_DEFAULT : v;
    try {
      return { spec, schedule: parseBusinessHours(spec) };
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
      return z.NEVER;
    }
  });

/** MARKETING_HOLIDAYS: `fr` (France's public holidays, the default) or `none`. */
export const marketingHolidaysVar = z.enum(HOLIDAY_CALENDARS).default("fr");

/** The rules the environment gives (MARKETING_HOURS, MARKETING_HOLIDAYS) in the provider's zone. */
export function marketingRules(values: Record<string, unknown>, timeZone: string): MarketingRules {
  const hours = (values.MARKETING_HOURS as { spec: string; schedule: Schedule } | undefined) ?? {
    spec: MARKETING_HOURS_DEFAULT,
    schedule: parseBusinessHours(MARKETING_HOURS_DEFAULT),
  };
  const holidays = (values.MARKETING_HOLIDAYS as HolidayCalendar | undefined) ?? "fr";
  return { spec: hours.spec, schedule: hours.schedule, holidays, timeZone };
}

/** Days looked ahead for an allowed time: a year and a week covers every calendar. */
const LOOK_AHEAD_DAYS = 372;

/**
 * The first instant at or after `at` when a marketing SMS may leave: `at` itself when it is
 * inside the window on a day that is no public holiday, else the start of the next window.
 */
export function nextAllowed(rules: MarketingRules, at: Date): Date {
  const now = localTime(at, rules.timeZone);
  for (let offset = 0; offset <= LOOK_AHEAD_DAYS; offset++) {
    const day = now.dayNumber + offset;
    if (isHoliday(rules.holidays, day)) continue;
    const weekday = (now.weekday + offset) % 7;
    const windows = rules.schedule
      .filter((w) => w.day === weekday && (offset > 0 || w.end > now.minute))
      .sort((a, b) => a.start - b.start);
    const first = windows[0];
    if (!first) continue;
    if (offset === 0 && first.start <= now.minute) return at;
    return instantAt(day, first.start, rules.timeZone);
  }
  throw new Error(`no time a marketing SMS may leave within ${LOOK_AHEAD_DAYS} days`);
}

/** True when a text asks for marketing (`--marketing` as a word of its own). */
export function asksMarketing(text: string): boolean {
  return /(^|\s)--marketing(?=\s|$)/.test(text);
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** "Mon 2030-06-17 08:00 (Europe/Paris)": when it leaves, as the provider's clock shows it. */
function localWords(at: Date, timeZone: string): string {
  const p = Object.fromEntries(
    zonedFormatter(timeZone)
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  const weekday = WEEKDAYS[localTime(at, timeZone).weekday];
  return `${weekday} ${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} (${timeZone})`;
}

/** The rules in words: "mon-sat 08:00-20:00, never on a public holiday in France". */
function rulesWords(rules: MarketingRules, w: Catalogue): string {
  return rules.holidays === "fr" ? fill(w.marketing.noHolidayFr, { spec: rules.spec }) : rules.spec;
}

/**
 * When it leaves in `language`'s words: English as the provider's clock shows it
 * ("Mon 2030-06-17 08:00 (Europe/Paris)"), another language its own way, in the same zone.
 */
function untilWords(until: Date, timeZone: string, language: Language): string {
  return language === "en"
    ? localWords(until, timeZone)
    : saidAt(voiceOf(language, timeZone), until);
}

/** Said to whoever sent a marketing SMS that is held (the `/sms` answer, the CLI: English). */
export function heldWords(rules: MarketingRules, until: Date, language: Language = "en"): string {
  const w = wordsOf(language);
  return fill(w.marketing.held, {
    at: untilWords(until, rules.timeZone, language),
    rules: rulesWords(rules, w),
  });
}

/** Said to whoever sent a marketing SMS that leaves now. */
export function marketingNowWords(w: Catalogue = wordsOf()): string {
  return w.marketing.now;
}

/** The thread's note when a marketing SMS came due outside the window (a retry) and waits again. */
export function heldAgainWords(
  rules: MarketingRules,
  to: string,
  until: Date,
  language: Language = "en",
): string {
  const w = wordsOf(language);
  return fill(w.marketing.heldAgain, {
    to,
    rules: rulesWords(rules, w),
    at: untilWords(until, rules.timeZone, language),
  });
}

/** Why `--marketing` (or a marketing template) is refused in a thread reply. */
export function marketingReplyRefusal(template?: string, w: Catalogue = wordsOf()): string {
  const what = template
    ? fill(w.marketing.templateMarketing, { name: template })
    : w.marketing.aMarketingSms;
  return fill(w.marketing.replyRefused, { what });
}
