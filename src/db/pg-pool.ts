// A postgres.js pool that can be replaced under a running drizzle instance: everyone keeps the
// same `db`, and after a driver fault the pool behind it is thrown away and opened anew.
import type { Sql } from "postgres";

export interface ResettablePool<D> {
  readonly db: D;
  /** The pool in use now (LISTEN goes through it). */
  current(): Sql;
  /** Opens a fresh pool and ends the old one without waiting for its queries. */
  reset(): void;
  end(timeoutSeconds: number): Promise<void>;
}

/**
 * `open` makes a pool; `wrap` puts drizzle over one (drizzle also sets the pool's parsers, so
 * it is called again on each new pool). The drizzle instance sees a stand-in whose every
 * property is read from the current pool.
 */
export function resettablePool<D>(open: () => Sql, wrap: (client: Sql) => D): ResettablePool<D> {
  let client = open();
  let ended = false;
  const standIn = new Proxy(client, {
    get: (_target, key) => {
      const v = Reflect.get(client, key, client);
      return typeof v === "function" ? v.bind(client) : v;
    },
    apply: (_target, _this, args) => Reflect.apply(client as never, client, args),
  });
  const db = wrap(standIn);
  return {
    db,
    current: () => client,
    reset() {
      if (ended) return;
      const old = client;
      client = open();
      wrap(client);
      void old.end({ timeout: 0 }).catch(() => {});
    },
    async end(timeoutSeconds) {
      ended = true;
      await client.end({ timeout: timeoutSeconds });
    },
  };
}
