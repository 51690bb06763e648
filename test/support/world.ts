// What the tests and the bench share of the world around the bridge: callback URLs as Ardary
// sends them, phone numbers, free ports, and a process's RSS.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { formatArdaryDate } from "../../adapters/ardary/dates.ts";

/** A fixed date: callbacks differ by text (and number), so each is a distinct event. */
const DATE = formatArdaryDate(new Date("2026-01-05T09:00:00Z"));

/** GET <base>/ardary/callback/<secret>?message=<json>: an incoming SMS as Ardary calls it. */
export function inboundUrl(base: string, secret: string, from: string, body: string): string {
  const payload = JSON.stringify({ title: "incoming sms", from, body, date: DATE });
  return `${base}/ardary/callback/${secret}?message=${encodeURIComponent(payload)}`;
}

/** The i-th of a pool of valid US test numbers (+1 555 01xx xxxx), E.164. */
export function usPhone(i: number): string {
  return `+1555${String(1_000_000 + i)
    .slice(1)
    .padStart(7, "0")}`;
}

/** The i-th of a pool of valid French mobile numbers, E.164. */
export function frMobile(i: number): string {
  return `+3361${String(i).padStart(7, "0")}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** VmRSS of a process, MB (Linux /proc). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  return kb / 1024;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A process's RSS once it has stopped moving: sampled every 250 ms until four samples in a
 * row lie within 3 MB of each other (or `maxMs` has passed). A server that has just answered
 * its first request may still be growing (PGlite settling, the worker's first queries); a
 * figure measured from a moving start measures the start, not the load.
 */
export async function steadyRssMb(pid: number, maxMs = 20_000): Promise<number> {
  const samples: number[] = [rssMb(pid)];
  const end = Date.now() + maxMs;
  while (Date.now() < end) {
    await sleep(250);
    samples.push(rssMb(pid));
    const last = samples.slice(-4);
    if (last.length === 4 && Math.max(...last) - Math.min(...last) < 3) break;
  }
  return samples[samples.length - 1] as number;
}
