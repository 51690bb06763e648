// What one process learns of Discord's rate limits, shared with every process of the database.
// Discord does not publish fixed limits (it says to read the headers), so nothing here invents
// a rate: when a call naming a channel is refused for a rate limit (a 429, or a RateLimitError
// @discordjs/rest raises from the bucket state it has read), the channel's budget is held for
// the Retry-After (`services.budget`, src/queue/budget.ts), and every process checks that hold before
// it calls: a held channel costs a DeferredError (the job waits, no attempt used), no request.
// A global limit (scope `global`) holds every call. Calls that name no channel or guild (who am
// I) are checked against the global hold only.
// https://discord.com/developers/docs/topics/rate-limits
import { RateLimitError, type REST } from "discord.js";
import type { Budget } from "../../src/contracts/index.ts";
import { DeferredError, RetryableError } from "../../src/kernel/errors.ts";

/** The budget key every Discord call checks: the bot's global limit. */
export const GLOBAL = "global";

/** The channel (or guild) a route names: its major parameter, as @discordjs/rest buckets it. */
export function majorOf(route: string): string | undefined {
  return /^\/(?:channels|guilds)\/(\d{17,20})/.exec(route)?.[1];
}

/** The REST calls the adapter makes. */
export type RestCalls = Pick<REST, "get" | "post" | "patch" | "put" | "delete">;

/** A hold to share after this error (undefined when it is no rate limit). */
export function holdOf(err: unknown, route: string): { key: string; ms: number } | undefined {
  if (!(err instanceof RateLimitError)) return undefined;
  const global = err.global || err.scope === "global";
  const named = /^\d{17,20}$/.test(err.majorParameter) ? err.majorParameter : majorOf(route);
  const key = global ? GLOBAL : named;
  if (!key) return undefined;
  // Retry-After when Discord answered 429; otherwise the bucket's reset (its headers).
  const ms = Math.ceil(err.retryAfter > 0 ? err.retryAfter : err.timeToReset);
  return { key, ms: Math.max(50, ms) };
}

/**
 * `rest` whose calls first check the shared holds and share the rate limits they meet; `before`
 * runs before each call that is made (the adapter gives the token again: rest forgets it on a 401).
 */
export function pacedRest(rest: REST, budget: Budget, before?: () => void): RestCalls {
  const paced = <M extends keyof RestCalls>(method: M): RestCalls[M] =>
    (async (route: Parameters<RestCalls[M]>[0], options?: Parameters<RestCalls[M]>[1]) => {
      const major = majorOf(route);
      const held = await budget.heldFor(GLOBAL, ...(major ? [major] : [])).catch((err) => {
        // Not Discord's fault: said as what it is (the database), and tried again later.
        const what = `Discord ${method} ${route}: rate-limit holds unreadable`;
        throw new RetryableError("budget_unavailable", what, undefined, err);
      });
      if (held > 0) {
        throw new DeferredError(`Discord ${method} ${route}: rate limited (shared)`, held);
      }
      try {
        before?.();
        return await rest[method](route, options);
      } catch (err) {
        const hold = holdOf(err, route);
        if (hold) await budget.hold(hold.key, hold.ms).catch(() => {});
        throw err;
      }
    }) as RestCalls[M];
  return {
    get: paced("get"),
    post: paced("post"),
    patch: paced("patch"),
    put: paced("put"),
    delete: paced("delete"),
  };
}
