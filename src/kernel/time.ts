// Wall-clock time in a zone, for the provider's zone-less dates and the business hours.
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
