// postgres.js when DATABASE_URL is set, embedded PGlite in DATA_DIR otherwise; migrations run
// here, under an advisory lock so two processes starting at once do not race.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import type { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePg } from "drizzle-orm/postgres-js";
import { migrate as migratePg } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { isDatabaseUnavailable, withDeadline } from "./health.ts";
import { explainConnectError, pgConnection } from "./pg-options.ts";
import { resettablePool } from "./pg-pool.ts";
import { preparing } from "./pg-prepare.ts";
import { lockDataDir } from "./pglite-lock.ts";
import { unpackTemplate } from "./pglite-template.ts";
import * as schema from "./schema.ts";
import { END_ALL, StallWatch, watchPool } from "./stall.ts";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  readonly kind: "postgres" | "pglite";
  readonly db: Db;
  /** The Postgres URL (for a connection of its own, e.g. a session lock); absent with PGlite. */
  readonly url?: string;
  /**
   * Runs one statement of fixed text with `$1…` parameters, prepared once per connection, so
   * that it is one round trip (drizzle's `execute` sends a statement with parameters in two:
   * describe it, then run it), and planned once it has run a few times. For the hot paths: the
   * callbacks (src/ingest/inbox.ts), on their own connections when the process has some, and,
   * `via` "pool", the worker's claims (src/queue/jobs.ts). Returns the rows.
   */
  query<T>(text: string, params: unknown[], via?: "callbacks" | "pool"): Promise<T[]>;
  /** Calls `onNotify` for each NOTIFY on `channel`; resolves to an unsubscribe function. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  /**
   * A NOTIFY on `channel`, as a statement of its own (PGlite: straight to this process's
   * listeners, the only ones there can be).
   */
  notify(channel: string): Promise<void>;
  /**
   * Whether the database answers (`select 1`). On Postgres over a connection of its own, never
   * the pool's: a pool busy with the work that a recovered database lets through must not read
   * as a database that is gone.
   */
  probe(): Promise<void>;
  /** Replaces the connection pool after a driver fault (Postgres only). */
  reset?(): void;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Postgres URL; absent means PGlite. */
  url?: string;
  /** PGlite data directory, or `memory://` for a throw-away database. */
  dataDir?: string;
  /** Most Postgres connections this process opens. */
  maxConnections?: number;
  /**
   * Connections of their own for `query` (the callback path), beside the pool's: a `serve` that
   * also runs the worker, whose transactions would otherwise keep callbacks waiting for a
   * connection (bench figure 7). 0 (the default): `query` uses the pool.
   */
  callbackConnections?: number;
  /** Where the stall watch says what it ended (src/db/stall.ts). */
  log?: DatabaseLog;
}

/** The two levels the database layer speaks at (a pino logger fits). */
export interface DatabaseLog {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** The project's folder: `dist/` (built) and `src/db/` (sources) are at different depths. */
const projectRoot = new URL(
  import.meta.url.includes("/src/db/") ? "../../" : "../",
  import.meta.url,
);
const migrationsFolder = fileURLToPath(new URL("migrations", projectRoot));
/** Made by `npm run build` (bin/build.js); found the same from src/ and from dist/. */
const PGLITE_TEMPLATE = fileURLToPath(new URL("dist/pglite-template.tar", projectRoot));
/** Key of the advisory lock held while migrating (any constant shared by all processes). */
const MIGRATION_LOCK = 727_100_001;

/**
 * Settings of the embedded database. Postgres's default shared_buffers (128 MB) is touched in
 * full at start in PGlite's WebAssembly memory, which is the process's own: 16 MB keeps a
 * `serve` on PGlite about 120 MB smaller (bench figure 9), and a team's data of SMS threads
 * still fits (the file system's cache holds the rest).
 */
export const PGLITE_CONF = ["shared_buffers = 16MB"];

/**
 * PGlite's WebAssembly (9 MB) runs as compiled by V8's baseline compiler (Liftoff), never
 * recompiled by the optimizing one (TurboFan) as its functions get hot: that tier-up kept about
 * 40–60 MB more RSS for the process's life (its code and the compilers' memory) and competed
 * with the boot for the CPU, for queries that stay fast for a team's SMS (bench figure 9;
 * bench/README.md, issue 19). Set before PGlite compiles its module, once; V8 reads it when a
 * module is compiled, and only PGlite and undici's HTTP parser are WebAssembly here.
 */
function wasmBaselineOnly(): void {
  setFlagsFromString("--liftoff-only");
}

/** Opens the database the options name. PGlite is loaded only when it is used (it is heavy). */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url)
    return openPostgres(
      options.url,
      options.maxConnections ?? 10,
      options.log,
      options.callbackConnections ?? 0,
    );
  const dataDir = options.dataDir ?? ".data";
  wasmBaselineOnly();
  const { PGlite } = await import("@electric-sql/pglite");
  if (dataDir.startsWith("memory://"))
    return wrapPglite(new PGlite(dataDir, { postgresqlconf: PGLITE_CONF }));
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir); // one process per folder (src/db/pglite-lock.ts)
  try {
    // A new folder starts from the build's migrated template when there is one (initdb is slow).
    if (!existsSync(join(dataDir, "PG_VERSION")) && existsSync(PGLITE_TEMPLATE))
      unpackTemplate(PGLITE_TEMPLATE, dataDir);
    const database = await wrapPglite(new PGlite(dataDir, { postgresqlconf: PGLITE_CONF }));
    return { ...database, close: () => database.close().finally(unlock) };
  } catch (err) {
    unlock();
    throw err;
  }
}

function openPostgres(
  url: string,
  max: number,
  log: DatabaseLog | undefined,
  callbackConnections: number,
): Database {
  // TLS as libpq's sslmode says, on by default for any non-local host (src/db/pg-options.ts).
  const conn = pgConnection(url);
  let aside: postgres.Sql | undefined;
  /**
   * One statement over a connection of its own, never the pool's (the health probe, the stall
   * watch's look at pg_stat_activity), within PROBE_DEADLINE_MS. Opened when needed, closed 5 s
   * idle; one that got no answer is dropped (it may be one the network forgot without a word)
   * and the next statement opens a new one rather than queue behind it.
   */
  const runAside = async <T>(text: string, params: unknown[], what: string): Promise<T[]> => {
    aside ??= postgres(conn.url, { ...postgresOptions(1), idle_timeout: 5, ...conn.link });
    const used = aside;
    try {
      const rows = await withDeadline(
        used.unsafe(text, params as never[]),
        PROBE_DEADLINE_MS,
        what,
      );
      return rows as unknown as T[];
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        if (aside === used) aside = undefined;
        void used.end({ timeout: 0 }).catch(() => {});
      }
      throw err;
    }
  };
  // Statements in flight on a connection that stopped answering: its backend ended, the pool
  // retired (src/db/stall.ts).
  const watch = new StallWatch({
    inspect: (text, params) => runAside(text, params, "stall watch"),
    retire: () => reset(),
    say: (level, fields, message) => log?.[level](fields, message),
  });
  const pool = resettablePool(
    () => watchPool(postgres(conn.url, { ...postgresOptions(max), ...conn.link }), watch),
    (client) => drizzlePg(preparing(client), { schema }) as unknown as Db,
  );
  // The callback path's own connections, watched and reset with the pool (callbackConnections).
  const lane =
    callbackConnections > 0
      ? resettablePool(
          () =>
            watchPool(
              postgres(conn.url, { ...postgresOptions(callbackConnections), ...conn.link }),
              watch,
            ),
          // drizzle sets the client's serializers (a JSON parameter sent as the text given).
          (client) => drizzlePg(client, { schema }),
        )
      : undefined;
  /** LISTENs, made again on each new pool (the old one's connection ends with it). */
  const subscriptions = new Set<Subscription>();
  const subscribe = async (s: Subscription) => {
    const { unlisten } = await pool.current().listen(s.channel, () => s.onNotify());
    s.unlisten = unlisten;
  };
  /**
   * A new pool; the old one is ended without waiting for its statements, and the backends they
   * were in flight on are ended too: over a link that went silent the server would never hear
   * our side close, and a backend caught mid-transaction would keep its locks for ever.
   */
  const reset = () => {
    const pids = watch.backendsInFlight();
    pool.reset();
    lane?.reset();
    for (const s of subscriptions) void listenAgain(s, pool.current());
    if (pids.length > 0)
      void runAside<{ ended: number }>(END_ALL, [pids], "ending given-up backends").then(
        ([r]) =>
          log?.warn({ backends: pids, ended: r?.ended }, "connections given up: backends ended"),
        (err) =>
          log?.warn(
            { backends: pids, err: String(err) },
            "connections given up: backends not ended",
          ),
      );
  };
  /** Tried every second until it holds (the database may be gone), unless a newer pool took over. */
  const listenAgain = async (s: Subscription, client: postgres.Sql) => {
    while (subscriptions.has(s) && pool.current() === client) {
      try {
        await subscribe(s);
        s.onNotify(); // what was notified meanwhile was not heard: look now
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
  };
  return {
    kind: "postgres",
    url,
    db: pool.db,
    async query<T>(text: string, params: unknown[], via: "callbacks" | "pool" = "callbacks") {
      const rows = await (via === "callbacks" && lane ? lane : pool)
        .current()
        .unsafe(text, params as never[], { prepare: true });
      return rows as unknown as T[];
    },
    async listen(channel, onNotify) {
      const s: Subscription = { channel, onNotify };
      await subscribe(s);
      subscriptions.add(s);
      return async () => {
        subscriptions.delete(s);
        await s.unlisten?.();
      };
    },
    async notify(channel) {
      await pool.current().unsafe("select pg_notify($1, '')", [channel], { prepare: true });
    },
    async probe() {
      await runAside("select 1", [], "health probe");
    },
    reset,
    close: async () => {
      subscriptions.clear();
      watch.stop();
      await Promise.all([pool.end(5), lane?.end(5), aside?.end({ timeout: 1 })]);
    },
  };
}

interface Subscription {
  channel: string;
  onNotify: () => void;
  unlisten?: () => Promise<void>;
}

/** The most a probe waits for `select 1` (src/http/app.ts gives health checks the same). */
const PROBE_DEADLINE_MS = 1500;

// ── Postgres pool options ───────────────────────────────────────────────────────────────────
/**
 * Keep-alive and timeouts on every connection, both ends. A connection that a NAT or a load
 * balancer forgets (no reset: each side goes on waiting for the other) is what they are for; a
 * packet every 10 s also keeps most NATs from forgetting an idle connection at all (they forget
 * after 1 to 6 minutes).
 * - Client: TCP keep-alive after 10 s idle. Node then probes every second, 10 times (libuv's
 *   values): a peer gone silent is noticed after ~20 s and the connection closed.
 * - Server, per session: keep-alive after 10 s idle, every 5 s, 3 unanswered probes: the server
 *   ends a backend whose client went silent after ~25 s, and frees what its transaction held;
 *   tcp_user_timeout, the same for data it sent that is never acknowledged (keep-alive only
 *   runs on an idle connection). Ignored on a Unix socket.
 * Neither helps while each side's TCP stack still answers (a proxy in between): the stall watch
 * (src/db/stall.ts) is for that, and for the minute before these notice.
 */
const SERVER_KEEPALIVE = {
  tcp_keepalives_idle: 10,
  tcp_keepalives_interval: 5,
  tcp_keepalives_count: 3,
  tcp_user_timeout: 25_000,
} as const;

/** The client's TCP keep-alive, seconds idle before the first probe (see SERVER_KEEPALIVE). */
const CLIENT_KEEPALIVE_S = 10;

/**
 * What every connection of ours asks for, the migrations' and the session locks' included:
 * keep-alive at both ends. Timeouts on statements are the pool's (postgresOptions): a migration
 * may take long, and a session lock's connection is idle by design.
 */
export function linkOptions(): Pick<postgres.Options<Record<string, never>>, "keep_alive"> & {
  connection: Record<string, number>;
} {
  return { keep_alive: CLIENT_KEEPALIVE_S, connection: { ...SERVER_KEEPALIVE } };
}

/**
 * The server's pool: fail fast and come back fast. A connect that takes over 3 s fails; a
 * dropped connection is retried after at most 0.25 s (postgres.js's default back-off grows to
 * 20 s, which would keep a recovered database unused); keep-alive at both ends (linkOptions).
 * Per session:
 * - statement_timeout 15 s: the service's statements take milliseconds (a round of the inbox,
 *   200 callbacks, well under a second); one past 15 s is a plan gone wrong or a wait behind a
 *   lock that is not let go, cancelled and tried again rather than holding a connection.
 * - idle_in_transaction_session_timeout 10 s: no transaction of ours waits on anything but the
 *   database (calls to Slack, Discord or the provider are made outside them), so one idle for
 *   10 s has lost its client: the server ends it and frees its locks, with no one watching.
 * Neither ends a backend caught between two messages of one statement ("active", waiting for
 * ClientRead): the stall watch does (src/db/stall.ts).
 */
export function postgresOptions(max: number): postgres.Options<Record<string, never>> {
  const link = linkOptions();
  return {
    max,
    connect_timeout: 3,
    idle_timeout: 60,
    keep_alive: link.keep_alive,
    backoff: (attempt) => Math.min(0.05 * 2 ** attempt, 0.25),
    connection: {
      ...link.connection,
      statement_timeout: 15_000,
      idle_in_transaction_session_timeout: 10_000,
    },
    onnotice: () => {},
  };
}
// ── end of Postgres pool options ────────────────────────────────────────────────────────────

/** A Database over an open PGlite (tests start theirs from a migrated template). */
export async function wrapPglite(client: PGlite): Promise<Database> {
  const { drizzle } = await import("drizzle-orm/pglite");
  const local = new Map<string, Set<() => void>>();
  return {
    kind: "pglite",
    db: drizzle(client, { schema }) as unknown as Db,
    async query<T>(text: string, params: unknown[]) {
      return (await client.query<T>(text, params)).rows;
    },
    async listen(channel, onNotify) {
      // PGlite delivers NOTIFY in-process, after the notifying transaction commits.
      const unlisten = await client.listen(channel, () => onNotify());
      const set = local.get(channel) ?? new Set();
      local.set(channel, set.add(onNotify));
      return async () => {
        set.delete(onNotify);
        await unlisten();
      };
    },
    async notify(channel) {
      for (const f of local.get(channel) ?? []) queueMicrotask(f);
    },
    async probe() {
      await client.query("select 1");
    },
    close: () => client.close(),
  };
}

/** Applies the committed migrations; safe when several processes start at once. */
export async function migrateDatabase(options: DatabaseOptions): Promise<void> {
  if (!options.url) {
    const database = await openDatabase(options);
    try {
      await migrateOpen(database);
    } finally {
      await database.close();
    }
    return;
  }
  const conn = pgConnection(options.url);
  const client = postgres(conn.url, {
    ...linkOptions(),
    ...conn.link,
    max: 1,
    connect_timeout: 5,
    onnotice: () => {},
  });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`.catch((err) => {
      throw explainConnectError(err, conn);
    });
    await migratePg(drizzlePg(client), { migrationsFolder });
    await client`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await client.end({ timeout: 5 });
  }
}

/** Applies migrations on an already open database (PGlite allows one open handle per folder). */
export async function migrateOpen(database: Database, url?: string): Promise<void> {
  if (database.kind === "pglite") {
    const { migrate } = await import("drizzle-orm/pglite/migrator");
    await migrate(database.db as never, { migrationsFolder });
  } else {
    await migrateDatabase({ url });
  }
}

/** Rows of a raw `db.execute` result, whichever driver answered. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
