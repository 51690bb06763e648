// Bolt's logger interface over pino (Bolt's own chatter at debug).
import { type Logger as BoltLogger, LogLevel } from "@slack/bolt";
import type { Logger } from "pino";
import { errorMessage } from "../../src/kernel/errors.ts";

/** Bolt's logger interface over pino. */
export function boltLogger(log: Logger): BoltLogger {
  const l = log.child({ component: "bolt" });
  const text = (msg: unknown[]) =>
    msg.map((m) => (typeof m === "string" ? m : errorMessage(m))).join(" ");
  return {
    debug: (...m) => l.debug(text(m)),
    info: (...m) => l.debug(text(m)),
    warn: (...m) => l.warn(text(m)),
    error: (...m) => l.error(text(m)),
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
}
