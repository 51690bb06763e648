// The soak's RSS criterion ("RSS of each process at the end within 10 % of its value after the
// first minute"), judged per process *instance*: a slot killed and started again is a new
// process, with its own age. Every running process's VmRSS is read once a second through the
// load, keyed by the instance (slot, start number, pid); an instance ends at its SIGKILL (the
// last read just before it) or at the end of the load. An instance that lived `minLifeS` or more
// is judged: its RSS at age `baselineAgeS` against its last read. With a kill every 10 s few
// live that long; `npm run soak -- <minutes> --no-kill` keeps all four alive through the run.
import type { BridgeProcess } from "./cluster.ts";

export interface RssInstance {
  name: string;
  pid: number;
  /** Its slot's n-th start (1: started with the cluster). */
  start: number;
  /** Spawned, seconds after the load started (negative: before). */
  startedS: number;
  /** Its last read, seconds after the load started. */
  endedS: number;
  endedBy: "kill" | "load end" | "running";
  /** Age at its last read, s. */
  lifeS: number;
  /** First read at or after `baselineAgeS` of age (null: it did not live that long). */
  baselineMb: number | null;
  endMb: number;
  peakMb: number;
  /** (end − baseline) / baseline, % (null: no baseline). */
  changePct: number | null;
  /** Lived `minLifeS` or more: the criterion applies. */
  judged: boolean;
  /** Judged and within the tolerance (null: not judged). */
  within: boolean | null;
  /**
   * The trend, less sensitive than two reads to the heap's saw-tooth (±30 % in a minute): the
   * median of the reads in the minute from `baselineAgeS`, of those in its last minute, and
   * the least-squares slope of every read from `baselineAgeS` on (MB per minute).
   */
  trend: { firstMinuteMb: number; lastMinuteMb: number; slopeMbPerMin: number } | null;
  /** Read once after the drain (instances alive at the end only). */
  afterDrainMb?: number;
  /** [age s, MB]: every 10th read, and the last. */
  series: [number, number][];
}

export interface RssFigure {
  sampleEveryMs: number;
  baselineAgeS: number;
  minLifeS: number;
  /** 0.1: within 10 %. */
  tolerance: number;
  instances: RssInstance[];
  judged: number;
  within: number;
  /** Every judged instance within the tolerance; null when none lived `minLifeS`. */
  met: boolean | null;
}

interface Live {
  name: string;
  pid: number;
  start: number;
  spawnedAt: number;
  samples: [number, number][];
  endedAt?: number;
  endedBy?: "kill" | "load end";
  afterDrainMb?: number;
}

export class RssSampler {
  private readonly current = new Map<BridgeProcess, Live>();
  private readonly all: Live[] = [];
  private timer: NodeJS.Timeout | undefined;
  private reads = 0;

  constructor(
    private readonly processes: BridgeProcess[],
    private readonly t0: number,
    /** A line every minute: each process's RSS and age. */
    private readonly say: (line: string) => void = () => {},
    private readonly everyMs = 1000,
  ) {}

  start(): void {
    this.sampleAll();
    this.timer = setInterval(() => this.sampleAll(), this.everyMs);
    this.timer.unref(); // a soak that throws does not hang on it
  }

  private sampleAll(): void {
    for (const p of this.processes) this.sample(p);
    if (++this.reads % Math.round(60_000 / this.everyMs) !== 0) return;
    const now = [...this.current.values()].map((l) => {
      const [age, mb] = l.samples[l.samples.length - 1] ?? [0, 0];
      return `${l.name} ${mb.toFixed(0)} MB (${age.toFixed(0)} s old)`;
    });
    this.say(`${((Date.now() - this.t0) / 1000).toFixed(0)} s: RSS ${now.join(", ")}`);
  }

  /** One read of a process (a new instance when it was started again since the last one). */
  sample(p: BridgeProcess): void {
    if (!p.alive() || !p.pid) return;
    let live = this.current.get(p);
    // An instance that has ended (its SIGKILL sent, the process not yet gone) is read no more:
    // a read between the end and the exit made a second instance of the same process.
    if (live?.endedBy && live.pid === p.pid && live.start === p.starts) return;
    if (!live || live.pid !== p.pid || live.start !== p.starts) {
      live = { name: p.name, pid: p.pid, start: p.starts, spawnedAt: p.spawnedAt, samples: [] };
      this.current.set(p, live);
      this.all.push(live);
    }
    let mb: number;
    try {
      mb = p.rssMb();
    } catch {
      return; // gone between alive() and the read
    }
    if (Number.isFinite(mb)) live.samples.push([(Date.now() - live.spawnedAt) / 1000, mb]);
  }

  /** A last read, then the instance ends (before its SIGKILL, or at the end of the load). */
  end(p: BridgeProcess, by: "kill" | "load end"): void {
    this.sample(p);
    const live = this.current.get(p);
    if (live && !live.endedBy) {
      live.endedAt = Date.now();
      live.endedBy = by;
    }
  }

  /** The load is over: every instance still running ends here. */
  stop(): void {
    clearInterval(this.timer);
    for (const p of this.processes) this.end(p, "load end");
  }

  /** One read of the instances alive at the end, once the backlog has drained. */
  afterDrain(): void {
    for (const [p, live] of this.current)
      if (p.alive() && p.pid === live.pid) {
        try {
          live.afterDrainMb = p.rssMb();
        } catch {}
      }
  }

  figure(o: { baselineAgeS: number; minLifeS: number; tolerance?: number }): RssFigure {
    const tolerance = o.tolerance ?? 0.1;
    const instances = this.all
      .filter((l) => l.samples.length > 0)
      .map((l): RssInstance => {
        const last = l.samples[l.samples.length - 1] as [number, number];
        const base = l.samples.find(([age]) => age >= o.baselineAgeS);
        const baselineMb = base ? base[1] : null;
        const lifeS = last[0];
        const judged = baselineMb !== null && lifeS >= o.minLifeS;
        const changePct = baselineMb === null ? null : ((last[1] - baselineMb) / baselineMb) * 100;
        return {
          name: l.name,
          pid: l.pid,
          start: l.start,
          startedS: (l.spawnedAt - this.t0) / 1000,
          endedS: ((l.endedAt ?? Date.now()) - this.t0) / 1000,
          endedBy: l.endedBy ?? "running",
          lifeS,
          baselineMb,
          endMb: last[1],
          peakMb: Math.max(...l.samples.map(([, mb]) => mb)),
          changePct,
          judged,
          within: judged && changePct !== null ? Math.abs(changePct) <= tolerance * 100 : null,
          trend: judged ? trend(l.samples, o.baselineAgeS) : null,
          ...(l.afterDrainMb !== undefined ? { afterDrainMb: l.afterDrainMb } : {}),
          series: l.samples.filter((_, i) => i % 10 === 0 || i === l.samples.length - 1),
        };
      });
    const judged = instances.filter((i) => i.judged);
    const within = judged.filter((i) => i.within).length;
    return {
      sampleEveryMs: this.everyMs,
      baselineAgeS: o.baselineAgeS,
      minLifeS: o.minLifeS,
      tolerance,
      instances,
      judged: judged.length,
      within,
      met: judged.length === 0 ? null : within === judged.length,
    };
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] as number);
}

function trend(samples: [number, number][], fromS: number) {
  const after = samples.filter(([age]) => age >= fromS);
  const lastAge = after[after.length - 1]?.[0] ?? fromS;
  const n = after.length;
  const mx = after.reduce((a, [x]) => a + x, 0) / n;
  const my = after.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = after.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = after.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return {
    firstMinuteMb: median(after.filter(([age]) => age < fromS + 60).map(([, y]) => y)),
    lastMinuteMb: median(after.filter(([age]) => age > lastAge - 60).map(([, y]) => y)),
    slopeMbPerMin: sxx > 0 ? (sxy / sxx) * 60 : 0,
  };
}

const mb = (x: number) => `${x.toFixed(0)} MB`;
const range = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? "—"
    : `${mb(s[0] as number)} – ${mb(s[Math.floor(s.length / 2)] as number)} – ${mb(s[s.length - 1] as number)}`;
};

/** The rows of `npm run soak`'s table: a summary, then each judged instance. */
export function rssRows(f: RssFigure): [string, string, string][] {
  const lives = f.instances.map((i) => i.lifeS).sort((a, b) => a - b);
  const longest = lives[lives.length - 1] ?? 0;
  const rows: [string, string, string][] = [
    [
      `RSS: processes run / lived ≥ ${f.minLifeS} s / within ${f.tolerance * 100} %`,
      `${f.instances.length} / ${f.judged} / ${f.within} (longest life ${longest.toFixed(0)} s)`,
      `— / ≥ 1 / all`,
    ],
    [
      `RSS at age ${f.baselineAgeS} s, every process that reached it (min – median – max)`,
      `${range(f.instances.flatMap((i) => (i.baselineMb === null ? [] : [i.baselineMb])))} (${f.instances.filter((i) => i.baselineMb !== null).length})`,
      "—",
    ],
    [
      "RSS at the last read, every process (min – median – max)",
      range(f.instances.map((i) => i.endMb)),
      "—",
    ],
  ];
  for (const i of f.instances.filter((x) => x.judged))
    rows.push([
      `RSS ${i.name} #${i.start} (pid ${i.pid}, ${i.lifeS.toFixed(0)} s, to ${i.endedBy})`,
      `${mb(i.baselineMb as number)} → ${mb(i.endMb)} (${(i.changePct as number) >= 0 ? "+" : ""}${(i.changePct as number).toFixed(1)} %), peak ${mb(i.peakMb)}${i.afterDrainMb !== undefined ? `, ${mb(i.afterDrainMb)} after the drain` : ""}`,
      `within ${f.tolerance * 100} %: ${i.within ? "yes" : "NO"}`,
    ]);
  for (const { name, start, trend: t } of f.instances)
    if (t)
      rows.push([
        `RSS ${name} #${start}: median of the minute from age ${f.baselineAgeS} s → of its last minute; slope`,
        `${mb(t.firstMinuteMb)} → ${mb(t.lastMinuteMb)}; ${t.slopeMbPerMin.toFixed(1)} MB/min`,
        "—",
      ]);
  return rows;
}
