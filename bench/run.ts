// `npm run bench [-- --quick]`: starts everything on loopback (the bridge on the Postgres at
// 127.0.0.1:5432, a fresh database per figure; the Ardary simulator; the fake Slack), measures
// the figures of the performance issue, prints one table and writes bench/results/latest.json
// (a full run only: `--quick` writes bench/results/quick.json, `--only` writes nothing).
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import { fmt } from "./stats.ts";
import { type BenchOptions, errorText, type Row } from "./table.ts";

// The tests' database helpers read TEST_DB when imported: the bench runs on real Postgres.
process.env.TEST_DB = "postgres";
process.env.TEST_LOG_LEVEL ??= "silent";

const opts: BenchOptions = { quick: process.argv.includes("--quick") };

const figures: { name: string; load: () => Promise<(o: BenchOptions) => Promise<Row[]>> }[] = [
  {
    name: "1 callback ingest",
    load: async () => (await import("./figures/ingest.ts")).figureIngest,
  },
  { name: "2 ack latency", load: async () => (await import("./figures/latency.ts")).figureLatency },
  { name: "3 end-to-end", load: async () => (await import("./figures/e2e.ts")).figureEndToEnd },
  { name: "4 burst drain", load: async () => (await import("./figures/drain.ts")).figureDrain },
  { name: "5 outbound", load: async () => (await import("./figures/outbound.ts")).figureOutbound },
  {
    name: "6 footprint",
    load: async () => (await import("./figures/footprint.ts")).figureFootprint,
  },
  {
    name: "7 scale-out",
    load: async () => (await import("./figures/scale-out.ts")).figureScaleOut,
  },
  // 8 is the soak: `npm run soak` (bench/soak-run.ts), minutes long, not part of this run.
  {
    name: "9 footprint under load",
    load: async () => (await import("./figures/footprint-load.ts")).figureFootprintUnderLoad,
  },
  { name: "10 audit export", load: async () => (await import("./figures/export.ts")).figureExport },
  { name: "11 report", load: async () => (await import("./figures/report.ts")).figureReport },
];

const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
const rows: Row[] = [];
const started = performance.now();
for (const f of figures) {
  if (only && !only.split(",").includes(f.name.split(" ")[0] as string)) continue;
  const t0 = performance.now();
  process.stderr.write(`figure ${f.name}… `);
  try {
    rows.push(...(await (await f.load())(opts)));
  } catch (err) {
    rows.push({
      figure: f.name,
      metric: "—",
      value: "not measured",
      unit: "",
      goal: "—",
      met: null,
      note: errorText(err),
    });
  }
  process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

const value = (r: Row) =>
  typeof r.value === "number"
    ? `${fmt(r.value)} ${r.unit}`.trim()
    : `${r.value ?? "—"} ${r.unit}`.trim();
const table = rows.map((r) => ({
  figure: r.figure,
  metric: r.metric,
  value: value(r),
  reference: r.reference
    ? `${fmt(r.reference.value)} ${r.reference.unit} (${r.reference.label})`
    : "—",
  ratio: r.ratio === undefined ? "—" : `${fmt(r.ratio)}×`,
  goal: r.goal,
  met: r.met === null ? "—" : r.met ? "yes" : "NO",
}));
const columns = ["figure", "metric", "value", "reference", "ratio", "goal", "met"] as const;
const lines = [
  `| ${columns.join(" | ")} |`,
  `|${columns.map(() => "---").join("|")}|`,
  ...table.map((t) => `| ${columns.map((c) => t[c]).join(" | ")} |`),
];
console.log(lines.join("\n"));
const notes = rows.filter((r) => r.note);
if (notes.length > 0) {
  console.log("\nNotes:");
  for (const r of notes) console.log(`- ${r.figure}, ${r.metric}: ${r.note}`);
}
const cpu = cpus();
const result = {
  command: `npm run bench${opts.quick ? " -- --quick" : ""}`,
  date: new Date().toISOString(),
  quick: opts.quick,
  machine: {
    cpus: cpu.length,
    model: cpu[0]?.model,
    memoryGb: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
  },
  durationS: Number(((performance.now() - started) / 1000).toFixed(1)),
  rows,
};
// Only a full run may stand for the figures: a quick run is shorter loads, never latest.json.
if (!only) {
  const name = opts.quick ? "quick.json" : "latest.json";
  writeFileSync(
    new URL(`./results/${name}`, import.meta.url),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  console.log(`\nwritten: bench/results/${name} (${result.durationS} s)`);
}
process.exit(0);
