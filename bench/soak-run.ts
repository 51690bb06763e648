// `npm run soak [-- <minutes>] [--no-kill] [--seed=<n>] [--min-life=<s>]` (10 minutes by
// default): figure 8, the soak of test/support/soak.ts with 200 callbacks/s from 200 numbers
// over 20 channels, 5 replies/s, a random process of the four (drawn from the seed, 1 by
// default) SIGKILLed every 10 s, or none with --no-kill. RSS is judged per process instance:
// those that lived --min-life seconds (120 by default), RSS at age 60 s against their last read.
// Prints a table and writes bench/results/soak.json (soak-no-kill.json with --no-kill); exits 1
// when an SMS or a reply was lost, duplicated or out of order.
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";

process.env.TEST_DB = "postgres";
const { runSoak, soakClean } = await import("../test/support/soak.ts");
const { rssRows } = await import("../test/support/soak-rss.ts");

const args = process.argv.slice(2);
const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const usage = "usage: npm run soak -- [minutes] [--no-kill] [--seed=<n>] [--min-life=<s>]";
const unknown = args.filter((a) => a.startsWith("--") && !/^--(no-kill|seed=|min-life=)/.test(a));
if (unknown.length > 0) throw new Error(`${usage} (got ${unknown.join(" ")})`);
const minutes = Number(args.find((a) => !a.startsWith("--")) ?? 10);
const noKill = args.includes("--no-kill");
const seed = Number(flag("seed") ?? 1);
const minLifeS = Number(flag("min-life") ?? 120);
if (!(minutes > 0) || !Number.isInteger(seed) || !(minLifeS >= 0))
  throw new Error(`${usage} (got ${args.join(" ")})`);
const durationMs = minutes * 60_000;
const options = {
  durationMs,
  killEveryMs: noKill ? 0 : 10_000,
  seed,
  rate: 200,
  numbers: 200,
  channels: 20,
  repliesPerSecond: 5,
  // A process's RSS after its first minute (a third of a shorter run) against its last read.
  rssBaselineAgeS: Math.min(60, durationMs / 3000),
  rssMinLifeS: Math.min(minLifeS, durationMs / 1000),
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
  ...rssRows(r.rss),
];
console.log("| metric | value | goal |\n|---|---|---|");
for (const [m, v, g] of rows) console.log(`| ${m} | ${v} | ${g} |`);
const clean = soakClean(r);
const drained = c.stillQueued === 0;
const rssOk = r.rss.met;
if (!clean) for (const line of r.problems) console.log(`- ${line}`);
console.log(
  `\n0 lost / 0 duplicated / 0 out of order: ${clean ? "yes" : "NO"}; drained: ${drained ? "yes" : "NO"}; RSS within 10 %: ${rssOk === null ? `not judged (no process lived ${r.rss.minLifeS} s)` : rssOk ? "yes" : "NO"} (${r.rss.within} of ${r.rss.judged} processes that lived ${r.rss.minLifeS} s)`,
);
const cpu = cpus();
const name = noKill ? "soak-no-kill.json" : "soak.json";
const file = new URL(`./results/${name}`, import.meta.url);
const { say: _say, ...recorded } = options;
writeFileSync(
  file,
  `${JSON.stringify(
    {
      command: `npm run soak -- ${args.join(" ") || "10"}`,
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
console.log(`written: bench/results/${name}`);
process.exit(clean ? 0 : 1);
