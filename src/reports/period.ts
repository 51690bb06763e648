// The period a report covers, in the SMS provider's time zone: the words `/sms report` takes
// (7d, 30d, week, month), the dates `ardary-bridge report --since/--until` takes, and the digest's
// REPORT_SCHEDULE (`mon 09:00`): when it is posted and which days each digest covers.
import { parsedVar } from "../contracts/index.ts";
import { BadRequestError } from "../kernel/errors.ts";
import { dayName, instantOf, wallClock } from "../kernel/time.ts";

export interface Period {
  since: Date;
  /** Exclusive. */
  until: Date;
}

export const PERIOD_WORDS =
  "7d (the last 7 days, today included), 30d, week (this week since Monday), month (this month since the 1st)";

/** `7d`, `30d` (any 1d to 366d), `week`, `month`, relative to `now`; undefined for another word. */
export function periodOfWord(word: string, now: Date, timeZone: string): Period | undefined {
  const w = word.trim().toLowerCase();
  const today = wallClock(now, timeZone);
  const days = /^(\d{1,3})\s*d(ays?)?$/.exec(w);
  if (days) {
    const n = Number(days[1]);
    if (n < 1 || n > 366) return undefined;
    return { since: instantOf(today.dayNumber - (n - 1), 0, timeZone), until: now };
  }
  if (w === "week") {
    const back = (today.weekday + 6) % 7; // days since Monday
    return { since: instantOf(today.dayNumber - back, 0, timeZone), until: now };
  }
  if (w === "month")
    return { since: instantOf(today.dayNumber - (today.day - 1), 0, timeZone), until: now };
  return undefined;
}

/**
 * A date as typed: `YYYY-MM-DD` (that local midnight), `YYYY-MM-DD HH:mm` (local), or ISO-8601
 * with its zone (`2026-11-02T08:00:00Z`).
 */
export function parseReportDate(text: string, timeZone: string, name: string): Date {
  const t = text.trim();
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?$/.exec(t);
  if (local) {
    const [y, m, d, hh, mm] = local.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
    const day = Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1) / 86_400_000;
    const ok = dayName(day) === t.slice(0, 10) && (hh ?? 0) < 24 && (mm ?? 0) < 60;
    if (ok) return instantOf(day, (hh ?? 0) * 60 + (mm ?? 0), timeZone);
  } else if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(t)) {
    const d = new Date(t);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new BadRequestError(
    `--${name} "${text}" is not a date: write YYYY-MM-DD or "YYYY-MM-DD HH:mm" (in ${timeZone}), or ISO-8601 with a zone`,
  );
}

/** The period of `--since`/`--until` (or a word): by default the last 7 days. */
export function periodOfArgs(
  o: { since?: string; until?: string; word?: string },
  now: Date,
  timeZone: string,
): Period {
  if (o.word !== undefined) {
    const p = periodOfWord(o.word, now, timeZone);
    if (!p) throw new BadRequestError(`"${o.word}" is not a period: use ${PERIOD_WORDS}`);
    if (o.since !== undefined || o.until !== undefined)
      throw new BadRequestError("give a period word or --since/--until, not both");
    return p;
  }
  const until = o.until === undefined ? now : parseReportDate(o.until, timeZone, "until");
  const since =
    o.since === undefined
      ? instantOf(wallClock(until, timeZone).dayNumber - 6, 0, timeZone)
      : parseReportDate(o.since, timeZone, "since");
  if (since.getTime() >= until.getTime())
    throw new BadRequestError(
      `--since (${since.toISOString()}) must come before --until (${until.toISOString()})`,
    );
  return { since, until };
}

// ── REPORT_SCHEDULE ──────────────────────────────────────────────────────────────────────────

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export const SCHEDULE_GRAMMAR =
  "<days> HH:MM in the SMS provider's time zone; days: daily, a day (mon … sun), a list (mon,thu) or a range (mon-fri); e.g. `mon 09:00`";

export interface ReportSchedule {
  spec: string;
  /** Weekdays it is posted on (0 = Sunday). */
  days: number[];
  /** Minutes after local midnight. */
  minute: number;
}

/** Parses REPORT_SCHEDULE; throws an Error naming what is wrong, with the grammar. */
export function parseSchedule(spec: string): ReportSchedule {
  const m = /^\s*([a-z,\s-]+?)\s+(\d{1,2}):(\d{2})\s*$/i.exec(spec);
  const bad = (why: string) => new Error(`"${spec.trim()}": ${why} (write ${SCHEDULE_GRAMMAR})`);
  if (!m) throw bad("not a schedule");
  const [hh, mm] = [Number(m[2]), Number(m[3])];
  if (hh > 23 || mm > 59) throw bad("the time is HH:MM, 00:00 to 23:59");
  const days = new Set<number>();
  for (const part of (m[1] ?? "").toLowerCase().split(",")) {
    const p = part.trim();
    if (p === "daily" || p === "every day") {
      for (let d = 0; d < 7; d++) days.add(d);
      continue;
    }
    const range = /^([a-z]{3})(?:\s*-\s*([a-z]{3}))?$/.exec(p);
    const from = range?.[1] ? DAYS.indexOf(range[1]) : -1;
    const to = range?.[2] ? DAYS.indexOf(range[2]) : from;
    if (from < 0 || to < 0) throw bad(`"${p}" is not a day (mon … sun, daily)`);
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return { spec: spec.trim(), days: [...days].sort(), minute: hh * 60 + mm };
}

/** The REPORT_SCHEDULE variable: checked at boot, named with its grammar when wrong. */
export const scheduleVar = parsedVar(parseSchedule);

/** One posting of the digest: its key (the local date and time) and its instant. */
export interface Slot {
  key: string;
  at: Date;
  /** The local day it falls on. */
  dayNumber: number;
}

const hhmm = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;

function slotOn(s: ReportSchedule, dayNumber: number, timeZone: string): Slot {
  return {
    key: `${dayName(dayNumber)} ${hhmm(s.minute)}`,
    at: instantOf(dayNumber, s.minute, timeZone),
    dayNumber,
  };
}

/** The first posting strictly after `after`. */
export function nextSlot(s: ReportSchedule, after: Date, timeZone: string): Slot {
  const today = wallClock(after, timeZone).dayNumber;
  for (let d = today; d <= today + 8; d++) {
    const weekday = new Date(d * 86_400_000).getUTCDay();
    if (!s.days.includes(weekday)) continue;
    const slot = slotOn(s, d, timeZone);
    if (slot.at.getTime() > after.getTime()) return slot;
  }
  throw new Error(`REPORT_SCHEDULE "${s.spec}" names no day`);
}

/** The posting a key names, if it is one of this schedule's. */
export function slotOfKey(s: ReportSchedule, key: string, timeZone: string): Slot | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})$/.exec(key);
  if (!m || m[2] !== hhmm(s.minute)) return undefined;
  const day = Date.parse(`${m[1]}T00:00:00Z`) / 86_400_000;
  if (!Number.isInteger(day) || !s.days.includes(new Date(day * 86_400_000).getUTCDay()))
    return undefined;
  return slotOn(s, day, timeZone);
}

/**
 * The days a digest covers: full local days, from the day of the previous posting to the day
 * of this one (excluded). `mon 09:00`: the week before, Monday to Sunday; `daily`: yesterday;
 * `mon,thu`: Thursday to Sunday on Monday, Monday to Wednesday on Thursday.
 */
export function periodOfSlot(s: ReportSchedule, slot: Slot, timeZone: string): Period {
  let back = 1;
  while (back < 7 && !s.days.includes(new Date((slot.dayNumber - back) * 86_400_000).getUTCDay()))
    back++;
  return {
    since: instantOf(slot.dayNumber - back, 0, timeZone),
    until: instantOf(slot.dayNumber, 0, timeZone),
  };
}
