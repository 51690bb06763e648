// Last resort against the database driver throwing where no caller can catch it (postgres.js
// 3.4.9 writes to a closed socket from a setImmediate, upstream porsager/postgres #1208/#1154;
// and #896, an error built for a query that has no origin). patches/ fixes the cause at install;
// should a fault of that kind still escape, it is logged and the pool is replaced rather than
// the process dying, which while the database is down would only make it crash-loop.
// Anything else that escapes keeps Node's behaviour: printed, and the process exits with 1.
import type { Logger } from "pino";

/**
 * A TypeError thrown from inside postgres.js's connection code, or a reset of a socket that
 * nobody listened to (seen once in 60 proxy cuts, raised from Node's own stream code): faults
 * of a dropped connection, not of ours.
 */
export function isKnownDriverFault(err: unknown): boolean {
  if (!(err instanceof Error) || typeof err.stack !== "string") return false;
  const frames = err.stack.split("\n").slice(1, 4).join("\n");
  if (err instanceof TypeError)
    return /[\\/]node_modules[\\/]postgres[\\/](src|cjs[\\/]src)[\\/]connection\.js/.test(frames);
  const { code, syscall } = err as { code?: unknown; syscall?: unknown };
  const dropped = code === "ECONNRESET" || code === "EPIPE" || code === "ETIMEDOUT";
  // Only Node's own frames: the error event of a socket, not something our code threw.
  const lines = frames.split("\n").filter((l) => l.trim().startsWith("at "));
  return dropped && syscall !== undefined && lines.every((l) => /[( ]node:/.test(l));
}

/**
 * Installs the guard; returns a function that removes it. `recover` replaces the pool.
 * At most `maxPerMinute` faults are absorbed: beyond that something else is wrong, and the
 * process exits for its supervisor to restart it.
 */
export function installDriverFaultGuard(
  log: Logger,
  recover: () => void,
  maxPerMinute = 30,
): () => void {
  const recent: number[] = [];
  const onFault = (err: Error) => {
    const now = Date.now();
    while (recent.length > 0 && (recent[0] ?? 0) < now - 60_000) recent.shift();
    if (isKnownDriverFault(err) && recent.push(now) <= maxPerMinute) {
      log.error(
        { err: err.message, at: err.stack?.split("\n")[1]?.trim() },
        "database driver fault caught: process kept up",
      );
      try {
        // A socket reset heard by no one needs nothing more: its close is handled as usual.
        if (err instanceof TypeError) recover();
      } catch (e) {
        log.error({ err: String(e) }, "could not replace the connection pool");
      }
      return;
    }
    // Node's own behaviour for an uncaught exception.
    process.removeListener("uncaughtException", onFault);
    console.error(err);
    process.exit(1);
  };
  process.on("uncaughtException", onFault);
  return () => process.removeListener("uncaughtException", onFault);
}
