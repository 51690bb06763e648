// Public holiday calendars, by local date: France's (MARKETING_HOLIDAYS=fr), its Easter-based
// holidays included (Easter Monday, Ascension, Whit Monday), or none. Pure date arithmetic.

/** The calendars the bridge knows: `fr` (France's public holidays) or `none`. */
export const HOLIDAY_CALENDARS = ["fr", "none"] as const;
export type HolidayCalendar = (typeof HOLIDAY_CALENDARS)[number];

/** France's fixed public holidays, as MM-DD. */
const FR_FIXED = ["01-01", "05-01", "05-08", "07-14", "08-15", "11-01", "11-11", "12-25"];
/** France's movable ones, in days after Easter Sunday: Easter Monday, Ascension, Whit Monday. */
const FR_AFTER_EASTER = [1, 39, 50];

const DAY_MS = 86_400_000;

/** Easter Sunday of a year (Gregorian calendar: the anonymous algorithm), in days since 1970-01-01. */
export function easterDay(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

/** A local date ("YYYY-MM-DD") from its number of days since 1970-01-01. */
export function dateOfDay(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

/** The public holidays of a year in a calendar, as "YYYY-MM-DD", in date order. */
export function holidaysOf(calendar: HolidayCalendar, year: number): string[] {
  if (calendar === "none") return [];
  const easter = easterDay(year);
  return [
    ...FR_FIXED.map((md) => `${String(year).padStart(4, "0")}-${md}`),
    ...FR_AFTER_EASTER.map((n) => dateOfDay(easter + n)),
  ].sort();
}

const cache = new Map<string, Set<string>>();

/** True when the local date (days since 1970-01-01) is a public holiday of the calendar. */
export function isHoliday(calendar: HolidayCalendar, dayNumber: number): boolean {
  if (calendar === "none") return false;
  const date = dateOfDay(dayNumber);
  const key = `${calendar}:${date.slice(0, 4)}`;
  let days = cache.get(key);
  if (!days) {
    days = new Set(holidaysOf(calendar, Number(date.slice(0, 4))));
    cache.set(key, days);
  }
  return days.has(date);
}
