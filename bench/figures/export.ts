// Figure 10: the audit export (`ardary-bridge export`, the built command in a child process) over
// 1,000,000 SMS on Postgres (100,000 with --quick): rows per second and the child's peak RSS,
// which must stay flat however many rows (it reads in keyed pages and writes as it goes).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import postgres from "postgres";
import { migrateDatabase } from "../../src/db/database.ts";
import { createTestDatabase } from "../../test/support/db.ts";
import { sleep } from "../../test/support/world.ts";
import type { BenchOptions, Row } from "../table.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The process's peak resident set (VmHWM), in MB; undefined once it is gone. */
function peakRssMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m?.[1] ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export async function figureExport(o: BenchOptions): Promise<Row[]> {
  const total = o.quick ? 100_000 : 1_000_000;
  const db = await createTestDatabase();
  try {
    const url = db.url ?? "";
    await migrateDatabase({ url, dataDir: db.env.DATA_DIR });
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await sql`insert into conversations (phone, platform, channel, thread_ref)
      select '+3361' || lpad(i::text, 7, '0'), 'slack', 'C0GENERAL', 'slack:C0GENERAL:' || i || '.000100'
      from generate_series(1, 10000) i`;
    await sql`insert into contacts (phone, first_name, last_name)
      select '+3361' || lpad(i::text, 7, '0'), 'First' || i, 'Last' || i from generate_series(1, 10000) i`;
    await sql`insert into messages (conversation_id, direction, body, client_ref, status, author, segments, sent_at, received_at)
      select 1 + i % 10000, case when i % 2 = 0 then 'in' else 'out' end,
        'Message number ' || i || ': where is my parcel, and when does it arrive?',
        case when i % 2 = 0 then null else 'ab-' || i end,
        'received', case when i % 2 = 0 then null else 'Alice Martin' end, 1,
        now() - interval '1 day', now() - interval '1 day'
      from generate_series(1, ${total}) i`;
    await sql.end();
    const t0 = performance.now();
    const child = spawn(process.execPath, ["bin/ardary-bridge.js", "export"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        DATABASE_URL: url,
        ARDARY_ACCESS_KEY: "bench",
        ARDARY_LOGIN: "bench@example.com",
        ARDARY_MODE: "test",
        LOG_LEVEL: "silent",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let lines = 0;
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      for (const b of d) if (b === 10) lines++;
    });
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    let peak = 0;
    let done = false;
    void exited.then(() => {
      done = true;
    });
    while (!done) {
      peak = Math.max(peak, peakRssMb(child.pid ?? 0) ?? 0);
      await sleep(50);
    }
    const code = await exited;
    const seconds = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`export exited ${code}: ${stderr}`);
    const rows = lines - 1;
    if (rows !== total) throw new Error(`export wrote ${rows} rows, not ${total}`);
    const figure = "10 audit export";
    return [
      {
        figure,
        metric: `rows/s (${total.toLocaleString("en")} SMS, csv, child process)`,
        value: Math.round(rows / seconds),
        unit: "rows/s",
        goal: "—",
        met: null,
      },
      {
        figure,
        metric: "peak RSS of the export process",
        value: Math.round(peak),
        unit: "MB",
        goal: "flat (< 200 MB)",
        met: peak < 200,
      },
    ];
  } finally {
    await db.drop();
  }
}
