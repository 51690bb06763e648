// Logs a person reads in a terminal: one line per event, local time, the level, the message, then
// the fields as key=value. Used when stdout is a TTY (src/boot/services.ts createLogger); anything
// else (a platform's log collector, a pipe) gets pino's JSON as it is. It formats the JSON line
// pino wrote, after its redaction: what JSON would not show, this does not show either.

const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: "TRACE", color: "90" },
  20: { name: "DEBUG", color: "90" },
  30: { name: "INFO", color: "36" },
  40: { name: "WARN", color: "33" },
  50: { name: "ERROR", color: "31" },
  60: { name: "FATAL", color: "31;1" },
};

/** Fields every line carries that a person does not need to read. */
const HIDDEN = new Set(["level", "time", "pid", "hostname", "service", "msg"]);

const pad = (n: number) => String(n).padStart(2, "0");

/** A value as it reads after `key=`: bare when it is one word, else quoted (JSON). */
function shown(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** One JSON log line → one readable line (with a newline); a line that is not JSON is kept. */
export function formatLogLine(json: string, color = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith("\n") ? json : `${json}\n`;
  }
  const at = new Date(typeof entry.time === "number" ? entry.time : Date.now());
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  const level = LEVELS[Number(entry.level)] ?? { name: String(entry.level), color: "0" };
  const name = level.name.padEnd(5);
  const tag = color ? `\u001b[${level.color}m${name}\u001b[0m` : name;
  const fields = Object.entries(entry)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${shown(v)}`);
  const rest = fields.length > 0 ? `  ${color ? "\u001b[2m" : ""}${fields.join(" ")}` : "";
  const end = color && fields.length > 0 ? "\u001b[0m" : "";
  // A message never spans lines: one event, one line.
  const msg = String(entry.msg ?? "").replace(/\s*\n\s*/g, " ");
  return `${time} ${tag} ${msg}${rest}${end}\n`;
}

/** A destination for pino that writes readable lines to `out` (a TTY). */
export function readableLogStream(out: Pick<NodeJS.WritableStream, "write">, color: boolean) {
  return {
    write(line: string) {
      out.write(formatLogLine(line.replace(/\n$/, ""), color));
    },
  };
}
