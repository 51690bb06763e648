// Logs a person reads: on a terminal, one line per event in local time with the level, the message
// and the fields; anywhere else, pino's JSON as it is. Redaction holds in both.
import { describe, expect, it } from "vitest";
import { formatLogLine } from "../../../src/boot/log-format.ts";
import { createLogger } from "../../../src/boot/services.ts";

/** A stream that keeps what is written; `isTTY` as a terminal or a pipe says. */
function sink(isTTY: boolean) {
  const lines: string[] = [];
  return { isTTY, lines, write: (s: string) => lines.push(s) > 0 };
}

describe("log lines", () => {
  it("read as one line per event on a terminal: local time, level, message, fields", () => {
    const at = new Date(2026, 11, 1, 9, 5, 7); // local time
    const line = formatLogLine(
      JSON.stringify({
        level: 40,
        time: at.getTime(),
        pid: 1,
        hostname: "h",
        service: "ardary-bridge",
        msg: "callback stored\nsecond line",
        kind: "status",
        phone: "+33 6•• •• •• 78",
        repeat: false,
      }),
    );
    expect(line).toBe(
      '09:05:07 WARN  callback stored second line  kind=status phone="+33 6•• •• •• 78" repeat=false\n',
    );
    expect(line.split("\n")).toHaveLength(2);
  });

  it("a line that is not JSON is kept as it is", () => {
    expect(formatLogLine("plain")).toBe("plain\n");
  });

  it("a terminal gets readable lines, with the body and the token still redacted", () => {
    const tty = sink(true);
    const log = createLogger("info", tty);
    log.info({ body: "the customer's text", kind: "inbound" }, "hello");
    expect(tty.lines).toHaveLength(1);
    expect(tty.lines[0]).toMatch(/^\d\d:\d\d:\d\d .*INFO.* hello .*kind=inbound/);
    expect(tty.lines[0]).toContain("body=[redacted]");
    expect(tty.lines[0]).not.toContain("customer's text");
  });

  it("anything else gets JSON", () => {
    const pipe = sink(false);
    const log = createLogger("info", pipe);
    log.info({ kind: "inbound" }, "hello");
    expect(pipe.lines).toHaveLength(1);
    const entry = JSON.parse(pipe.lines[0] as string);
    expect(entry).toMatchObject({ level: 30, msg: "hello", kind: "inbound" });
  });
});
