// Run by figure 6 in a child process: how long loading the bridge's modules takes (the tsx
// loader transpiling src/ and adapters/, and their dependencies), and the RSS right after.
import { performance } from "node:perf_hooks";

const t0 = performance.now();
await import("../src/main.ts");
const importMs = performance.now() - t0;
console.log(
  JSON.stringify({
    importMs,
    sinceStartMs: performance.now(),
    rssMb: process.memoryUsage().rss / 2 ** 20,
  }),
);
