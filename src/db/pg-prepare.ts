// Statements of few parameters are prepared on their connection. drizzle runs every statement
// unnamed, and postgres.js sends an unnamed statement that has parameters in two round trips:
// it describes it first (to learn its parameters' types), then runs it. A prepared statement is
// described once per connection, then runs in one round trip, and the server parses it once.
// A statement's text changes with the length of its lists (`in ($1, $2…)`, rows inserted
// together): only those of up to PREPARE_UP_TO parameters are prepared, so that a connection
// holds a bounded number of them (postgres.js keeps each until the connection ends).
import type { Sql } from "postgres";

/** Most parameters of a statement that is prepared. */
export const PREPARE_UP_TO = 32;

type Unsafe = Sql["unsafe"];

/** `client`, whose statements of 1 to PREPARE_UP_TO parameters are prepared, transactions too. */
export function preparing<S extends Sql>(client: S): S {
  return new Proxy(client, {
    get(target, key) {
      if (key === "unsafe") {
        const unsafe: Unsafe = (text, params = [], options = {}) =>
          target.unsafe(text, params, {
            ...options,
            prepare: params.length > 0 && params.length <= PREPARE_UP_TO,
          });
        return unsafe;
      }
      // A transaction's statements run on the connection it reserves: its client is wrapped too.
      if (key === "begin" || key === "savepoint")
        return (...args: unknown[]) => {
          const body = args.pop() as (tx: Sql) => unknown;
          const run = Reflect.get(target, key, target) as (...a: unknown[]) => unknown;
          return run.call(target, ...args, (tx: Sql) => body(preparing(tx)));
        };
      const v = Reflect.get(target, key, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
