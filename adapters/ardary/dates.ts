// The provider's two date forms (docs/ardary-api.md §3): ISO-8601 with `Z` (or an offset), and
// `YYYY-MM-DD HH:mm:ss` with no zone, which is wall-clock time in the account's IANA zone.
// Zone arithmetic uses Intl only, so it follows the zone's DST rules.
import { wallClock } from "../../src/contracts/index.ts";

export const DEFAULT_TIMEZONE = "Europe/Paris";

const LOCAL_FORM = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?$/;
const ZONED_FORM = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const HOUR_MS = 3_600_000;

/** The zone's offset from UTC at an instant, in ms (Europe/Paris: +3_600_000 in winter). */
function offsetAt(instantMs: number, timezone: string): number {
  // Intl is slow (several calls per date): an offset is kept per zone and quarter of an hour,
  // when it is the same at both ends of it (no change of offset inside: then no caching).
  const start = Math.floor(instantMs / QUARTER_MS) * QUARTER_MS;
  const key = `${timezone}|${start}`;
  const known = offsets.get(key);
  if (known !== undefined) return known;
  const at = computeOffset(instantMs, timezone);
  const a = computeOffset(start, timezone);
  if (a === at && computeOffset(start + QUARTER_MS - 1000, timezone) === a) {
    if (offsets.size >= 1024) offsets.clear();
    offsets.set(key, a);
  }
  return at;
}

const QUARTER_MS = 15 * 60_000;
const offsets = new Map<string, number>();

function computeOffset(instantMs: number, timezone: string): number {
  const w = wallClock(instantMs, timezone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - (instantMs - (((instantMs % 1000) + 1000) % 1000));
}

/**
 * The instant at which the zone's clocks show this wall-clock time (`asUtcMs` is that wall
 * time read as if it were UTC). Ambiguous times (clocks going back) take the earlier instant;
 * times in a gap (clocks going forward) are moved forward by the gap, like Temporal's
 * "compatible" disambiguation.
 */
function wallToInstant(asUtcMs: number, timezone: string): number {
  const before = offsetAt(asUtcMs - 24 * HOUR_MS, timezone);
  const after = offsetAt(asUtcMs + 24 * HOUR_MS, timezone);
  const candidates = [asUtcMs - before, asUtcMs - after].filter(
    (t) => t + offsetAt(t, timezone) === asUtcMs,
  );
  if (candidates.length > 0) return Math.min(...candidates);
  return asUtcMs - before;
}

/**
 * Parses either provider date form; zone-less dates are read in `timezone`.
 * Returns null when the text is neither form or names an impossible date (2020-02-30).
 */
export function parseArdaryDate(text: string, timezone: string = DEFAULT_TIMEZONE): Date | null {
  const s = text.trim();
  if (ZONED_FORM.test(s)) {
    const ms = Date.parse(s);
    return Number.isNaN(ms) ? null : new Date(ms);
  }
  const m = LOCAL_FORM.exec(s);
  if (!m) return null;
  const [year, month, day, hour, minute, second = 0] = m.slice(1, 7).map((v) => Number(v ?? 0));
  const millis = Number((m[7] ?? "0").padEnd(3, "0"));
  if (year === undefined || month === undefined || day === undefined) return null;
  if (hour === undefined || minute === undefined) return null;
  // Not Date.UTC: it reads years 0-99 as 1900-1999.
  const check = new Date(0);
  check.setUTCFullYear(year, month - 1, day);
  check.setUTCHours(hour, minute, second, 0);
  const asUtc = check.getTime();
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
    return null;
  }
  return new Date(wallToInstant(asUtc, timezone) + millis);
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `YYYY-MM-DD HH:mm:ss` wall-clock time of `date` in `timezone` (for `date_to_send`). */
export function formatArdaryDate(date: Date, timezone: string = DEFAULT_TIMEZONE): string {
  const w = wallClock(date.getTime(), timezone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}
