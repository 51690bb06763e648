// Where the CPU went during a phase of a figure: the machine as a whole (/proc/stat: busy share
// of all cores, other people's work included), each bridge process, the Postgres backends of the
// figure's database, and this bench process (load generator, simulator, fake Slack).
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of a process, ms; 0 once it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

export interface CpuReport {
  wallMs: number;
  /** Busy share of the machine's cores, 0–1. */
  machineBusy: number;
  /** CPU ms per name (bridge processes, "postgres", "bench"). */
  ms: Record<string, number>;
}

/** Starts counting; `end()` says what each used since. `pgPids()` lists the database's backends. */
export function cpuPhase(processes: { name: string; pid: () => number }[], pgPids: () => number[]) {
  const t0 = performance.now();
  const m0 = machineTicks();
  const p0 = new Map(processes.map((p) => [p.name, processCpuMs(p.pid())]));
  const pg0 = new Map(pgPids().map((pid) => [pid, processCpuMs(pid)]));
  const b0 = process.cpuUsage();
  return {
    end(): CpuReport {
      const m1 = machineTicks();
      const ms: Record<string, number> = {};
      for (const p of processes) ms[p.name] = processCpuMs(p.pid()) - (p0.get(p.name) ?? 0);
      let pg = 0;
      for (const pid of new Set([...pg0.keys(), ...pgPids()]))
        pg += processCpuMs(pid) - (pg0.get(pid) ?? 0);
      ms.postgres = pg;
      const b = process.cpuUsage(b0);
      ms.bench = (b.user + b.system) / 1000;
      return {
        wallMs: performance.now() - t0,
        machineBusy: (m1.busy - m0.busy) / Math.max(1, m1.total - m0.total),
        ms,
      };
    },
  };
}

/** "machine 97 % busy of 2 cores; serve 1.2 s, postgres 0.8 s, bench 0.5 s". */
export function describeCpu(r: CpuReport): string {
  const parts = Object.entries(r.ms).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`);
  return `${(r.wallMs / 1000).toFixed(1)} s of wall time, the machine ${(r.machineBusy * 100).toFixed(0)} % busy over its ${cpus().length} cores; CPU: ${parts.join(", ")}`;
}
