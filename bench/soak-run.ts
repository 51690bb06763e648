// `npm run soak [-- <minutes>]` (10 by default): figure 8, the soak of bench/soak.ts with
// 200 callbacks/s from 200 numbers over 20 channels, 5 replies/s, a random process of the four
// SIGKILLed every 10 s. Prints a table and writes bench/results/soak.json; exits 1 when an SMS
// or a reply was lost, duplicated or out of order.
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";

process.env.TEST_DB = "postgres";
const { runSoak, soakClean } = await import("./soak.ts");

const minutes = Number(process.argv[2] ?? 10);
if (!(minutes > 0)) throw new Error(`usage: npm run soak -- <minutes> (got ${process.argv[2]})`);
const durationMs = minutes * 60_000;
const options = {
  durationMs,
  killEveryMs: 10_000,
  rate: 200,
  numbers: 200,
  channels: 20,
  repliesPerSecond: 5,
  // RSS is compared with its value after the first minute (a third of a shorter run).
  baselineAtMs: Math.min(60_000, durationMs / 3),
  drainTimeoutMs: 180_000,
  say: (line: string) => process.stderr.write(`${line}\n`),
};
const r = await runSoak(options);
const c = r.callbacks;
const p = r.replies;
const rows: [string, string, string][] = [
  ["load / drain", `${r.loadSeconds.toFixed(0)} s / ${r.drainSeconds.toFixed(0)} s`, "—"],
  [
    "SIGKILLs",
    `${r.kills.length} (${["web-1", "web-2", "worker-1", "worker-2"].map((n) => `${n} ${r.kills.filter((k) => k.name === n).length}`).join(", ")})`,
    "—",
  ],
  [
    "callbacks answered 200",
    `${c.sent}, ${(c.sent / r.loadSeconds).toFixed(0)}/s (${c.retries} tries not answered 200, tried again)`,
    `${options.rate}/s`,
  ],
  ["stored twice / not stored", `${c.storedTwice} / ${c.notStored}`, "0 / 0"],
  ["posted twice / lost", `${c.postedTwice} / ${c.notPosted}`, "0 / 0"],
  ["still waiting for their post when the drain ended", `${c.stillQueued}`, "0"],
  ["posted out of order (per number)", `${c.outOfOrder}`, "0"],
  [
    "replies sent (Slack events)",
    `${p.sent} (${p.retries} deliveries not answered 200, retried)`,
    "—",
  ],
  [
    "replies accepted twice / not accepted / other id",
    `${p.acceptedTwice} / ${p.notAccepted} / ${p.wrongId}`,
    "0 / 0 / 0",
  ],
  [
    "Slack posts / 429s / inside Retry-After",
    `${r.slack.posts} / ${r.slack.limited} / ${r.slack.insideRetryAfter}`,
    "— / — / 0",
  ],
  ["dead jobs at the end", `${r.deadJobs}`, "0"],
  ...r.rss.map((x): [string, string, string] => [
    `RSS ${x.name} (started ${x.starts}×, ${x.ageAtEndS.toFixed(0)} s old at the end)`,
    `${x.baselineMb.toFixed(0)} → ${x.endMb.toFixed(0)} MB (${(((x.endMb - x.baselineMb) / x.baselineMb) * 100).toFixed(0)} %)`,
    "within 10 %",
  ]),
];
console.log("| metric | value | goal |\n|---|---|---|");
for (const [m, v, g] of rows) console.log(`| ${m} | ${v} | ${g} |`);
const clean = soakClean(r);
const drained = c.stillQueued === 0;
const rssOk = r.rss.every((x) => Math.abs(x.endMb - x.baselineMb) <= 0.1 * x.baselineMb);
if (!clean) for (const line of r.problems) console.log(`- ${line}`);
console.log(
  `\n0 lost / 0 duplicated / 0 out of order: ${clean ? "yes" : "NO"}; drained: ${drained ? "yes" : "NO"}; RSS within 10 %: ${rssOk ? "yes" : "NO"}`,
);
const cpu = cpus();
const file = new URL("./results/soak.json", import.meta.url);
const { say: _say, ...recorded } = options;
writeFileSync(
  file,
  `${JSON.stringify(
    {
      command: `npm run soak -- ${minutes}`,
      date: new Date().toISOString(),
      machine: { cpus: cpu.length, model: cpu[0]?.model, node: process.version },
      options: recorded,
      clean,
      drained,
      rssWithin10: rssOk,
      result: r,
    },
    null,
    2,
  )}\n`,
);
console.log("written: bench/results/soak.json");
process.exit(clean ? 0 : 1);
