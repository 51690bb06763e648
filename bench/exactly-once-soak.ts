// `node bin/run-ts.js bench/exactly-once-soak.ts [SMS] [kills]` (after `npm run build`): the built server
// (`serve`, Postgres at 127.0.0.1:5432, a fresh database) with the fake Slack and the Ardary
// simulator. Inbound SMS callbacks flow (each retried until answered 200); the moment the fake
// Slack receives a post, the server is killed with SIGKILL (between the post and the job's
// completion) and started again, `kills` times. At the end every SMS must be in its thread
// exactly once: prints the posts per SMS, exits 1 on a double or a missing one. Each kill costs
// a job lease (60 s) before the killed worker's job is taken again.
import { type ChildProcess, spawn } from "node:child_process";
import { sql } from "drizzle-orm";
import { startSimulator } from "../adapters/ardary/simulator/index.ts";
import { openDatabase, rowsOf } from "../src/db.ts";
import { startFakeSlack } from "../test/fakes/slack.ts";
import { createTestDatabase } from "../test/support/db.ts";
import { freePort, inboundUrl, sleep, usPhone } from "./world.ts";

const total = Number(process.argv[2] ?? 40);
const kills = Number(process.argv[3] ?? 3);
const SECRET = "soak-callback-secret-0123456789";
const slack = await startFakeSlack({ channels: ["C0GENERAL"] });
const db = await createTestDatabase();
const sim = await startSimulator({ accessKey: "soak-key", login: "soak@example.com" });
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  PORT: String(port),
  ...db.env,
  ARDARY_API_URL: sim.apiUrl,
  ARDARY_ACCESS_KEY: "soak-key",
  ARDARY_LOGIN: "soak@example.com",
  ARDARY_MODE: "prod",
  ARDARY_CALLBACK_SECRET: SECRET,
  SLACK_BOT_TOKEN: slack.botToken,
  SLACK_SIGNING_SECRET: slack.signingSecret,
  SLACK_CHANNEL: "C0GENERAL",
  SLACK_API_URL: slack.apiUrl,
  JOB_BACKOFF_MS: "200",
  LOG_LEVEL: "warn",
};

async function start(): Promise<ChildProcess> {
  const child = spawn("node", ["bin/ardary-bridge.js", "serve"], { env, stdio: "ignore" });
  for (let i = 0; !(await fetch(`${base}/healthz`).catch(() => null))?.ok; i++) {
    if (i > 600) throw new Error("the server did not start");
    await sleep(100);
  }
  return child;
}

const text = (n: number) => `soak sms ${n} end`;
let server = await start();
const started = performance.now();
// The callbacks, each retried until acknowledged (as the provider does).
const sending = (async () => {
  for (let n = 0; n < total; n++) {
    const url = inboundUrl(base, SECRET, usPhone(n % 8), text(n));
    while ((await fetch(url).catch(() => null))?.status !== 200) await sleep(100);
    await sleep(50);
  }
})();
let killed = 0;
while (killed < kills) {
  // A new post in a thread (an SMS, not a card).
  const seen = slack.posts.length;
  while (!slack.posts.slice(seen).some((p) => p.thread_ts)) await sleep(1);
  server.kill("SIGKILL");
  await new Promise((r) => server.once("exit", r));
  killed++;
  console.log(`kill ${killed}: after post ${slack.posts.length}`);
  server = await start();
}
await sending;
const database = await openDatabase({ url: db.url, dataDir: db.env.DATA_DIR });
for (let i = 0; ; i++) {
  const [row] = rowsOf<{ n: string | number }>(
    await database.db.execute(sql`select count(*) as n from messages where chat_ref is null`),
  );
  if (Number(row?.n) === 0) break;
  if (i > 3000) throw new Error("SMS still not posted after 5 minutes");
  await sleep(100);
}
await database.close();
server.kill("SIGTERM");
await new Promise((r) => server.once("exit", r));
const counts = new Map<number, number>();
for (const m of slack.posts) {
  for (const [, n] of (m.text ?? "").matchAll(/soak sms (\d+) end/g))
    counts.set(Number(n), (counts.get(Number(n)) ?? 0) + 1);
}
const doubles = [...counts].filter(([, c]) => c > 1).map(([n]) => n);
const missing = [...Array(total).keys()].filter((n) => !counts.has(n));
const seconds = ((performance.now() - started) / 1000).toFixed(0);
console.log(`${total} SMS, ${kills} SIGKILLs, ${slack.posts.length} Slack posts, ${seconds} s`);
const cards = slack.posts.filter((p) => !p.thread_ts).length;
console.log(`cards: ${cards} for 8 numbers (a kill between a card and its saving makes a second)`);
console.log(`doubles: ${doubles.length} ${JSON.stringify(doubles)}`);
console.log(`missing: ${missing.length} ${JSON.stringify(missing)}`);
await sim.close();
await slack.close();
await db.drop();
process.exit(doubles.length + missing.length > 0 ? 1 : 0);
