// Locks held by one process at a time across every process of the database, for adapters that
// must run in one place only (the Discord gateway). On Postgres the lock is a session advisory
// lock on a connection of its own, so it lives exactly as long as that session (a killed process
// frees it); with PGlite there is only one process, which always holds it.
import postgres from "postgres";
import type { SessionLock } from "../contracts/index.ts";
import { type Database, linkOptions } from "../db/database.ts";

/**
 * Whether any session of this database holds the advisory lock of `name` (pg_try_advisory_lock
 * of a bigint key shows in pg_locks as classid = its high 32 bits, objid = its low 32 bits).
 */
const HELD = `select exists (select 1 from pg_locks where locktype = 'advisory' and granted
  and objsubid = 1 and database = (select oid from pg_database where datname = current_database())
  and classid = ((hashtext($1)::bigint >> 32) & 4294967295)::oid
  and objid = (hashtext($1)::bigint & 4294967295)::oid) as held`;

import { pgConnection } from "../db/pg-options.ts";

export function sessionLock(database: Database, name: string): SessionLock {
  const url = database.url;
  if (database.kind === "pglite" || !url) {
    let held = false;
    return {
      tryAcquire: async () => {
        held = true;
        return true;
      },
      stillHeld: async () => held,
      isHeld: async () => held,
      release: async () => {
        held = false;
      },
    };
  }
  let sql: postgres.Sql | undefined;
  /** Backend pid of the session that took the lock: a reconnected session holds nothing. */
  let pid: number | undefined;
  const drop = async () => {
    pid = undefined;
    await sql?.end({ timeout: 1 }).catch(() => {});
    sql = undefined;
  };
  return {
    async tryAcquire() {
      try {
        const conn = pgConnection(url);
        sql ??= postgres(conn.url, {
          // Keep-alive at both ends: a holder whose link died lets go within a minute.
          ...linkOptions(),
          ...conn.link,
          max: 1,
          idle_timeout: 0,
          // The lock belongs to the session: never recycle it behind our back.
          max_lifetime: null,
          connect_timeout: 5,
          onnotice: () => {},
        });
        const [row] = await sql<{ ok: boolean; pid: number }[]>`
          select pg_try_advisory_lock(hashtext(${name})) as ok, pg_backend_pid() as pid`;
        if (!row?.ok) return false;
        pid = row.pid;
        return true;
      } catch (err) {
        await drop();
        throw err;
      }
    },
    async isHeld() {
      const [row] = await database.query<{ held: boolean }>(HELD, [name]);
      return row?.held === true;
    },
    async stillHeld() {
      if (!sql || pid === undefined) return false;
      try {
        const [row] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
        return row?.pid === pid;
      } catch {
        await drop();
        return false;
      }
    },
    async release() {
      if (sql && pid !== undefined)
        await sql`select pg_advisory_unlock(hashtext(${name}))`.catch(() => {});
      await drop();
    },
  };
}
