// Wall-clock time in a zone: the provider's zone-less dates, the business hours, the marketing
// window, and every time a person reads (the CLI, the chat answers: formatInZone).
const formatters = new Map<string, Intl.DateTimeFormat>();

/** A cached formatter giving the parts of an instant in `timeZone` (24 h); throws for an unknown zone. */
export function zonedFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True for a zone `Intl` knows (an IANA name such as Europe/Paris, or UTC). */
export function isTimeZone(timeZone: string): boolean {
  try {
    zonedFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * An instant as a person reads it, in `timeZone`, the zone said: `2026-12-06 09:05 Europe/Paris`
 * (`seconds`: `09:05:07`). One form for every time the CLI and the chat answers show.
 */
export function formatInZone(at: Date, timeZone: string, o: { seconds?: boolean } = {}): string {
  const p: Record<string, string> = {};
  for (const { type, value } of zonedFormatter(timeZone).formatToParts(at)) p[type] = value;
  const time = `${p.hour}:${p.minute}${o.seconds ? `:${p.second}` : ""}`;
  return `${p.year}-${p.month}-${p.day} ${time} ${timeZone}`;
}

const longFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant as a person reads it in chat, in the bridge's language (BRIDGE_LANGUAGE), in
 * `timeZone`: English keeps formatInZone's form (`2026-12-07 08:00 Europe/Paris`); another
 * language says it its own way, 24 h (French: `lundi 7 décembre 2026 à 08:00`).
 */
export function formatForPeople(at: Date, timeZone: string, language = "en"): string {
  if (language === "en") return formatInZone(at, timeZone);
  const key = `${language}|${timeZone}`;
  let f = longFormatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(language, {
      timeZone,
      hourCycle: "h23",
      weekday: "long",
      day: "numeric",
      month: "long",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });
    longFormatters.set(key, f);
  }
  return f.format(at);
}

/** A local date and time: what a clock on the wall of `timeZone` shows. */
export interface WallClock {
  year: number;
  /** 1 … 12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** Days since 1970-01-01 of the local date. */
  dayNumber: number;
}

/** The wall clock of `timeZone` at `at`. */
export function wallClock(at: Date | number, timeZone: string): WallClock {
  const p = Object.fromEntries(
    zonedFormatter(timeZone)
      .formatToParts(at)
      .map((x) => [x.type, Number(x.value)]),
  ) as Record<string, number>;
  const dayNumber = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1) / 86_400_000;
  return {
    year: p.year ?? 1970,
    month: p.month ?? 1,
    day: p.day ?? 1,
    hour: p.hour ?? 0,
    minute: p.minute ?? 0,
    second: p.second ?? 0,
    weekday: new Date(dayNumber * 86_400_000).getUTCDay(),
    dayNumber,
  };
}

/**
 * The instant a wall clock of `timeZone` shows `minute` minutes after the midnight of local day
 * `dayNumber` (days since 1970-01-01). A time a DST change skips is read with the offset before
 * it (02:30 on a spring-forward night is 03:30); a time it repeats, as its first occurrence.
 */
export function instantOf(dayNumber: number, minute: number, timeZone: string): Date {
  const wall = dayNumber * 86_400_000 + minute * 60_000;
  const offsetAt = (t: number) => {
    const w = wallClock(t, timeZone);
    const shown = w.dayNumber * 86_400_000 + (w.hour * 60 + w.minute) * 60_000 + w.second * 1000;
    return shown - (t - (t % 1000));
  };
  // The offsets half a day either side: equal but around a DST change.
  const before = offsetAt(wall - 43_200_000);
  const after = offsetAt(wall + 43_200_000);
  const shows = [wall - before, wall - after].filter((t) => offsetAt(t) === wall - t);
  return new Date(shows.length > 0 ? Math.min(...shows) : wall - before);
}

/** The local day (days since 1970-01-01) as YYYY-MM-DD. */
export function dayName(dayNumber: number): string {
  return new Date(dayNumber * 86_400_000).toISOString().slice(0, 10);
}

/** How far `timeZone`'s wall clock is ahead of UTC at `at`, in ms (+3_600_000 for Paris in winter). */
export function zoneOffsetMs(at: Date, timeZone: string): number {
  const p = Object.fromEntries(
    zonedFormatter(timeZone)
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  const wall = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
  return wall - (at.getTime() - at.getMilliseconds());
}

/**
 * The instant a wall clock in `timeZone` shows `minute` minutes after midnight of the local date
 * `dayNumber` (days since 1970-01-01). A time a clock change skips is read with the offset
 * before the change (02:30 on a spring-forward night is 03:30).
 */
export function instantAt(dayNumber: number, minute: number, timeZone: string): Date {
  const wall = dayNumber * 86_400_000 + minute * 60_000;
  const first = wall - zoneOffsetMs(new Date(wall), timeZone);
  const second = wall - zoneOffsetMs(new Date(first), timeZone);
  return new Date(second);
}
