// Business hours and the auto-reply outside them. BUSINESS_HOURS is a list of entries separated by
// `;`, each a day or day range of mon…sun and a 24-hour `HH:MM-HH:MM` range in the provider's
// time zone (`mon-fri 09:00-18:00; sat 10:00-13:00`; a range past midnight is two entries). An
// inbound SMS that arrives outside them gets AUTO_REPLY_TEXT once per conversation per closed
// period; never to an opted-out or blocked number, never in answer to STOP/START.

import { parsedVar } from "../contracts/index.ts";
import * as consent from "../conversations/consent.ts";
import type { Db } from "../db/database.ts";
import { autoReplies } from "../db/schema.ts";
import { optIntent } from "../kernel/optout.ts";
import { zonedFormatter } from "../kernel/time.ts";

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export interface OpenWindow {
  /** 0 = Sunday … 6 = Saturday. */
  day: number;
  /** Minutes since local midnight: start inclusive, end exclusive (1440 = midnight). */
  start: number;
  end: number;
}

export type Schedule = OpenWindow[];

function minutes(hhmm: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!m) return undefined;
  const [h, min] = [Number(m[1]), Number(m[2])];
  if (h > 24 || min > 59 || (h === 24 && min > 0)) return undefined;
  return h * 60 + min;
}

/** Parses BUSINESS_HOURS; throws an Error saying which entry is wrong and how to write it. */
export function parseBusinessHours(spec: string): Schedule {
  const windows: Schedule = [];
  for (const raw of spec.split(";")) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    const m = /^([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(\S+)\s*-\s*(\S+)$/.exec(entry);
    const from = m?.[1] ? DAYS.indexOf(m[1]) : -1;
    const to = m?.[2] ? DAYS.indexOf(m[2]) : from;
    const start = m?.[3] ? minutes(m[3]) : undefined;
    const end = m?.[4] ? minutes(m[4]) : undefined;
    const bad = (why: string) =>
      new Error(`"${raw.trim()}": ${why} (write e.g. "mon-fri 09:00-18:00; sat 10:00-13:00")`);
    if (!m || from < 0 || to < 0)
      throw bad("days are mon, tue, wed, thu, fri, sat, sun or a range");
    if (start === undefined || end === undefined) throw bad("times are HH:MM, 00:00 to 24:00");
    if (end <= start)
      throw bad("the end must come after the start (a range past midnight is two entries)");
    for (let d = from; ; d = (d + 1) % 7) {
      windows.push({ day: d, start, end });
      if (d === to) break;
    }
  }
  if (windows.length === 0) throw new Error("no opening hours given");
  return windows;
}

/** The BUSINESS_HOURS variable: checked at boot, a clear message when wrong. */
export const businessHoursVar = parsedVar((v) => ({ spec: v, schedule: parseBusinessHours(v) }));

interface LocalTime {
  /** Days since 1970-01-01 of the local date (any fixed origin would do). */
  dayNumber: number;
  weekday: number;
  minute: number;
}

/** The wall-clock date and time at `at` in `timeZone`. */
export function localTime(at: Date, timeZone: string): LocalTime {
  const f = zonedFormatter(timeZone);
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  const utcDay = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day)) / 86_400_000;
  return {
    dayNumber: utcDay,
    weekday: new Date(utcDay * 86_400_000).getUTCDay(),
    minute: Number(p.hour) * 60 + Number(p.minute),
  };
}

/**
 * Null while open; outside the hours, the closed period `at` falls in, named by the local date
 * and time it began (the end of the last opening), e.g. "2026-11-27 18:00".
 */
export function closedPeriod(schedule: Schedule, at: Date, timeZone: string): string | null {
  const now = localTime(at, timeZone);
  if (schedule.some((w) => w.day === now.weekday && w.start <= now.minute && now.minute < w.end))
    return null;
  for (let back = 0; back <= 7; back++) {
    const weekday = (((now.weekday - back) % 7) + 7) % 7;
    const ends = schedule
      .filter((w) => w.day === weekday && (back > 0 || w.end <= now.minute))
      .map((w) => w.end);
    if (ends.length === 0) continue;
    const end = Math.max(...ends);
    const date = new Date((now.dayNumber - back) * 86_400_000).toISOString().slice(0, 10);
    return `${date} ${String(Math.floor(end / 60)).padStart(2, "0")}:${String(end % 60).padStart(2, "0")}`;
  }
  return "closed";
}

/** Who the thread says sent the auto-reply. */
export const AUTO_REPLY_AUTHOR = "the bridge (auto-reply, outside business hours)";

export interface AutoReplyConfig {
  schedule: Schedule;
  text: string;
  timeZone: string;
}

/** Whether this inbound SMS gets the auto-reply now (and claims it for the period). */
export async function claimAutoReply(
  tx: Db,
  config: AutoReplyConfig,
  o: { conversationId: number; phone: string; text: string; at: Date },
): Promise<boolean> {
  if (optIntent(o.text) !== null) return false;
  const period = closedPeriod(config.schedule, o.at, config.timeZone);
  if (period === null) return false;
  if (await consent.refusalOf(tx, o.phone)) return false;
  const claimed = await tx
    .insert(autoReplies)
    .values({ conversationId: o.conversationId, period })
    .onConflictDoNothing()
    .returning({ period: autoReplies.period });
  return claimed.length > 0;
}

/** The auto-reply settings the environment gives, or undefined when it is off. */
export function autoReplyConfig(
  values: Record<string, unknown>,
  timeZone: string,
): AutoReplyConfig | undefined {
  const hours = values.BUSINESS_HOURS as { schedule: Schedule } | undefined;
  const text = values.AUTO_REPLY_TEXT as string | undefined;
  return hours && text ? { schedule: hours.schedule, text, timeZone } : undefined;
}

/** Both or neither: hours without a text (or a text without hours) is a mistake at boot. */
export function hoursProblems(source: Record<string, string | undefined>): string[] {
  const hours = Boolean(source.BUSINESS_HOURS?.trim());
  const text = Boolean(source.AUTO_REPLY_TEXT?.trim());
  if (hours === text) return [];
  return hours
    ? ["AUTO_REPLY_TEXT: required with BUSINESS_HOURS (the SMS sent outside business hours)"]
    : ["BUSINESS_HOURS: required with AUTO_REPLY_TEXT (e.g. mon-fri 09:00-18:00; sat 10:00-13:00)"];
}
