// Wall-clock time in a zone, for the provider's zone-less dates, business hours and the marketing window.
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
