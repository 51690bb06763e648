// Last resort against the database driver throwing where no caller can catch it (postgres.js
// 3.4.9 writes to a closed socket from a setImmediate, upstream porsager/postgres #1208/#1154;
// #896, an error built for a query that has no origin; #1192, the array types it fetches on a
// new connection, whose failure nothing awaits). patches/ fixes the first two at install;
// should a fault of that kind still escape, it is logged and the pool is replaced rather than
// the process dying, which while the database is down would only make it crash-loop.
// Anything else that escapes keeps Node's behaviour: printed, and the process exits with 1.
import type { Logger } from "pino";

/**
 * A TypeError thrown from inside postgres.js's connection code, a reset of a socket that nobody
 * listened to (seen once in 60 proxy cuts, raised from Node's own stream code), or the failure
 * of postgres.js's own query of types (isTypesFetchFault): faults of a dropped connection, not
 * of ours.
 */
export function isKnownDriverFault(err: unknown): boolean {
  if (!(err instanceof Error) || typeof err.stack !== "string") return false;
  const frames = err.stack.split("\n").slice(1, 4).join("\n");
  if (err instanceof TypeError) return inDriver(frames);
  if (isTypesFetchFault(err)) return true;
  const { code, syscall } = err as { code?: unknown; syscall?: unknown };
  const dropped = code === "ECONNRESET" || code === "EPIPE" || code === "ETIMEDOUT";
  // Only Node's own frames: the error event of a socket, not something our code threw.
  const lines = frames.split("\n").filter((l) => l.trim().startsWith("at "));
  return dropped && syscall !== undefined && lines.every((l) => /[( ]node:/.test(l));
}

const inDriver = (frames: string) =>
  /[\\/]node_modules[\\/]postgres[\\/](src|cjs[\\/]src)[\\/]connection\.js/.test(frames);

/**
 * The failure of the query postgres.js sends by itself on each new connection, for the array
 * types (fetch_types), whose promise nothing holds (porsager/postgres #1192, #1205, #1223): when
 * that connection ends while it starts (a pool replaced, its backend terminated, a timeout), the
 * rejection escapes. The connection's own queries fail as usual; nothing else is needed. The
 * query's text is on the error, as postgres.js puts it on every one.
 */
export function isTypesFetchFault(err: unknown): boolean {
  if (!(err instanceof Error) || typeof err.stack !== "string") return false;
  const query = (err as { query?: unknown }).query;
  const frames = err.stack.split("\n").slice(1, 4).join("\n");
  return (
    inDriver(frames) && typeof query === "string" && /from pg_catalog\.pg_type a\s/.test(query)
  );
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
    // Not counted: it follows from ending a connection (a pool replaced after an outage ends
    // several at once), never from a fault that repeats by itself.
    if (isTypesFetchFault(err)) {
      log.warn(
        { err: err.message },
        "a database connection ended while it started (postgres.js's own query of types): process kept up",
      );
      return;
    }
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
