// Wall-clock time in a zone: the provider's zone-less dates, the business hours, and every time a
// person reads (the CLI, the chat answers: formatInZone).
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
