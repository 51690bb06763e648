// Reading a V8 CPU profile (`node --cpu-prof`, a .cpuprofile file) for profile-ingest.ts and
// profile-boot.ts: each sample's self time within a window, summed by function and by package.

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  /** µs, on the profile's own clock. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a function comes from: its package, node's internals, V8, or our built code. */
export function where(url: string): string {
  if (url === "") return "(native / V8)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith("node:")) return "node internals";
  if (url.includes("/dist/")) return "ours (dist/)";
  return url;
}

/** A function's name and place, as the profile tools print it. */
export function frameName(node: ProfileNode | undefined): string {
  const f = node?.callFrame;
  if (!f) return "";
  return `${f.functionName || "(anonymous)"} ${where(f.url)}${f.url ? `:${f.lineNumber + 1}` : ""}`;
}

/**
 * Self time (µs) of each node, from the samples taken between `from` and `to` (µs on the
 * profile's clock); `(idle)` left out when `busyOnly`.
 */
export function selfTime(
  prof: CpuProfile,
  from: number,
  to: number,
  busyOnly = false,
): Map<number, number> {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = prof.startTime;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    t += dt;
    if (t < from || t > to) return;
    if (busyOnly && byId.get(id)?.callFrame.functionName === "(idle)") return;
    self.set(id, (self.get(id) ?? 0) + dt);
  });
  return self;
}

/** Self time summed by function and by package. */
export function sums(
  prof: CpuProfile,
  self: Map<number, number>,
): { byFunction: Map<string, number>; byPackage: Map<string, number> } {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const name = frameName(node);
    const pkg = where(node.callFrame.url);
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  return { byFunction, byPackage };
}

/** The `n` largest entries, one line each, as `line` writes them. */
export function top(
  m: Map<string, number>,
  n: number,
  line: (key: string, us: number) => string,
): string {
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => line(k, us))
    .join("\n");
}
