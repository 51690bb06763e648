// A server started while its Postgres is down does not exit (its supervisor would only restart
// it into the same failure, a crash loop): it says so in one line, answers 503 meanwhile (the
// provider calls again), and tries again with a growing pause (1 s doubling to 10 s) until the
// database answers, then migrates and serves. A wrong configuration (a host that does not exist,
// a login or TLS refused, not a Postgres URL) still ends the boot at once: waiting cannot fix it.
import type { Logger } from "pino";
import { isDatabaseUnavailable } from "../db/health.ts";
import { DatabaseConnectError, maskedDatabaseUrl } from "../db/pg-options.ts";
import type { Env } from "./env.ts";

/** First pause and longest pause between two tries. */
export const BOOT_RETRY_MS = { first: 1000, max: 10_000 };

/** True when the failure says the database did not answer, not that something is set wrong. */
export function isTransientBootError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof DatabaseConnectError) return e.transient;
    if ((e as { code?: unknown }).code === "ENOTFOUND") return false;
    e = (e as { cause?: unknown }).cause;
  }
  return isDatabaseUnavailable(err);
}

/**
 * Runs `open` until it succeeds. A transient failure with a Postgres DATABASE_URL is said once
 * (the URL masked), `onWait` is told (a server then answers 503), and `open` is tried again
 * after a pause; any other failure is thrown.
 */
export async function openWhenReachable<T>(
  env: Env,
  log: Logger,
  open: () => Promise<T>,
  onWait?: () => void,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const opened = await open();
      if (attempt > 0)
        log.info(
          { tries: attempt + 1, waitedMs: Date.now() - started },
          "database reachable: migrated and serving",
        );
      return opened;
    } catch (err) {
      if (!env.DATABASE_URL || !isTransientBootError(err)) throw err;
      if (attempt === 0) {
        onWait?.();
        const meanwhile = onWait ? "answering 503 and trying again" : "trying again";
        // The code only: the driver's own message may name the host.
        log.error(
          { code: codeOf(err) },
          `database unreachable at boot (DATABASE_URL=${maskedDatabaseUrl(env.DATABASE_URL)}): ${meanwhile} every ${BOOT_RETRY_MS.max / 1000} s at most until it answers`,
        );
      }
      const pause = Math.min(BOOT_RETRY_MS.first * 2 ** attempt, BOOT_RETRY_MS.max);
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

/** The first error code down the chain of causes (ECONNREFUSED, 57P03…). */
function codeOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
