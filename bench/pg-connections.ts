// The number of connections one database has, from pg_stat_activity, sampled every `everyMs`
// over a connection of its own to another database (so the sampler does not count itself).
// The bench's own connections (`benchUrl`: application_name ardary-bench) are not counted; the
// bridge processes of test/support/cluster.ts name theirs (PGAPPNAME), so a peak says whose they
// are.
import postgres from "postgres";
import { BENCH_APP } from "../test/support/cluster.ts";
import { PG_ADMIN_URL } from "../test/support/db.ts";

export interface ConnectionSample {
  at: number;
  total: number;
  /** Backends whose last statement was a LISTEN (a worker's wake-up connection). */
  listening: number;
  active: number;
  /** Connections per application_name. */
  by: Record<string, number>;
}

export interface ConnectionSampler {
  /** The most connections seen, and the sample it was in. */
  peak(): ConnectionSample;
  samples: ConnectionSample[];
  /** Backends (server process ids) seen so far, for their CPU time (bench/cpu.ts). */
  pids(): number[];
  stop(): Promise<void>;
}

/** The database's name in a postgres:// URL. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

export function sampleConnections(url: string, everyMs = 100): ConnectionSampler {
  const name = databaseName(url);
  const sql = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  const samples: ConnectionSample[] = [];
  const pids = new Set<number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t0 = Date.now();
      try {
        const rows = await sql<
          { app: string; total: number; listening: number; active: number; pids: number[] }[]
        >`
          select application_name as app, count(*)::int as total, array_agg(pid) as pids,
            count(*) filter (where query ilike 'listen %')::int as listening,
            count(*) filter (where state = 'active')::int as active
          from pg_stat_activity where datname = ${name} and application_name <> ${BENCH_APP}
          group by application_name`;
        for (const r of rows) for (const pid of r.pids) pids.add(pid);
        const sum = (k: "total" | "listening" | "active") => rows.reduce((a, r) => a + r[k], 0);
        samples.push({
          at: t0,
          total: sum("total"),
          listening: sum("listening"),
          active: sum("active"),
          by: Object.fromEntries(rows.map((r) => [r.app, r.total])),
        });
      } catch {
        // A sample missed (the server busy): the next one counts.
      }
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - t0))));
    }
  })();
  return {
    samples,
    pids: () => [...pids],
    peak: () =>
      samples.reduce((a, b) => (b.total > a.total ? b : a), {
        at: 0,
        total: 0,
        listening: 0,
        active: 0,
        by: {},
      }),
    async stop() {
      stopped = true;
      await loop;
      await sql.end({ timeout: 5 });
    },
  };
}
