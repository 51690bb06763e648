// `node bin/run-ts.js bench/drain-check.ts [seconds]`: what a busy `serve` leaves unposted, and
// why. Figure 7's one busy serve (100 numbers, each routed to a channel of its own limited as
// figure 4's), loaded for `seconds` (10) with figure 1's closed loop; then, every 10 s for two
// minutes, the inbound SMS not posted yet, the chat jobs by state, and the last errors of those
// that wait. The built bridge (dist/, `npm run build` first) on a fresh Postgres database.
import { spawn } from "node:child_process";
import postgres from "postgres";
import { startSimulator } from "../adapters/ardary/simulator/index.ts";
import { startFakeSlack } from "../test/fakes/slack.ts";
import { createTestDatabase } from "../test/support/db.ts";
import { SECRET, SIM_KEY, SIM_LOGIN } from "../test/support/harness.ts";
import { token, tokensOf } from "../test/support/slack-posts.ts";
import { freePort, frMobile, inboundUrl, sleep } from "../test/support/world.ts";
import { DRAIN_LIMIT } from "./figures/drain.ts";
import { INGEST_CONCURRENCY } from "./figures/ingest.ts";
import { closedLoop } from "./load.ts";
import { servedEnv } from "./served.ts";

process.env.TEST_DB = "postgres";
const ROOT = new URL("../", import.meta.url).pathname;
const seconds = Number(process.argv[2] ?? 10);
const NUMBERS = 100;
const channelOf = (i: number) => `CIN${String(i).padStart(4, "0")}`;

const sim = await startSimulator({ accessKey: SIM_KEY, login: SIM_LOGIN });
const fake = await startFakeSlack({
  channels: ["C0GENERAL", ...Array.from({ length: NUMBERS }, (_, i) => channelOf(i))],
  rateLimit: DRAIN_LIMIT,
});
const database = await createTestDatabase();
const port = await freePort();
const child = spawn(process.execPath, ["bin/ardary-bridge.js", "serve"], {
  cwd: ROOT,
  env: { ...servedEnv(sim, fake), PORT: String(port), DATABASE_URL: database.url as string },
  stdio: ["ignore", "inherit", "inherit"],
});
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  const ok = await fetch(`${url}/healthz`)
    .then((r) => r.status === 200)
    .catch(() => false);
  if (ok) break;
  if (i > 3000) throw new Error("serve did not start");
  await sleep(10);
}
const sql = postgres(database.url as string, { max: 1, onnotice: () => {} });
await sql`insert into routes (pattern, platform, channel)
  select '+3361' || lpad(i::text, 7, '0'), 'slack', 'CIN' || lpad(i::text, 4, '0')
  from generate_series(0, ${NUMBERS - 1}) i`;
const answered = new Set<number>();
/** The answered callbacks whose token no post shows (figure 7 counts them so). */
const unseen = () => {
  const seen = new Set<number>();
  for (const p of fake.posts) for (const t of tokensOf(p, "in")) seen.add(t.a);
  return [...answered].filter((i) => !seen.has(i)).length;
};
const r = await closedLoop({
  concurrency: INGEST_CONCURRENCY,
  warmupMs: 0,
  durationMs: seconds * 1000,
  url: (i) => inboundUrl(url, SECRET, frMobile(i % NUMBERS), token("in", i)),
  onAnswer: (i, ok) => {
    if (ok) answered.add(i);
  },
});
console.log(`${r.ok} callbacks answered 200 in ${seconds} s (${r.rps.toFixed(0)}/s)`);
const t0 = Date.now();
for (let t = 0; t <= 120; t += 10) {
  const [w] = await sql<{ n: number }[]>`
    select count(*)::int as n from messages where direction = 'in' and chat_ref is null`;
  const jobs = await sql<{ state: string; due: boolean; n: number }[]>`
    select state, run_at <= now() as due, count(*)::int as n from jobs
    where kind = 'chat.deliver' group by 1, 2 order by 1, 2`;
  const errors = await sql<{ e: string; n: number }[]>`
    select left(coalesce(last_error, '-'), 80) as e, count(*)::int as n from jobs
    where kind = 'chat.deliver' group by 1 order by 2 desc limit 4`;
  const events = await sql<{ n: number }[]>`
    select count(*)::int as n from events where processed_at is null`;
  console.log(
    `${((Date.now() - t0) / 1000).toFixed(0)} s after: ${w?.n} SMS not posted (${unseen()} answered and in no post's text); ${events[0]?.n} callbacks not acted on; ${fake.posts.length} posts; jobs ${jobs
      .map((j) => `${j.state}${j.due ? "" : " (later)"} ${j.n}`)
      .join(", ")}; last errors ${errors.map((e) => `${e.n}× ${e.e}`).join(" | ")}`,
  );
  if (w?.n === 0 && t >= 20) break;
  await sleep(10_000);
}
await sql.end();
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
await sim.close();
await fake.close();
await database.drop();
process.exit(0);
