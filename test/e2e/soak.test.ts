// The soak in short (figure 8 is `npm run soak`, minutes long): the built bridge as 2 `serve
// --no-worker` + 2 `worker` processes on one Postgres database, behind a balancer, with
// callbacks and Slack thread replies flowing while a worker, a web process and the other worker
// are SIGKILLed in turn and started again. Nothing may be lost, stored or posted twice, posted
// out of order, or sent twice; each process instance's RSS is read through the run. (Postgres
// only: the embedded database allows one process.)
import { describe, expect, it } from "vitest";
import { runSoak, soakClean } from "../support/soak.ts";

describe("soak: processes killed under load", () => {
  it("every callback answered 200 is stored and posted once, in order; every reply sent once", {
    timeout: 180_000,
  }, async () => {
    const r = await runSoak({
      durationMs: 15_000,
      killEveryMs: 4_500,
      victims: ["worker-1", "web-1", "worker-2"],
      rate: 40,
      numbers: 20,
      channels: 5,
      repliesPerSecond: 2,
      rssBaselineAgeS: 5,
      rssMinLifeS: 10,
      drainTimeoutMs: 60_000,
      // A killed worker's jobs are taken again after 5 s rather than a minute.
      leaseMs: 5_000,
    });
    expect(r.kills.map((k) => k.name).slice(0, 2)).toEqual(["worker-1", "web-1"]);
    expect(r.callbacks.sent).toBeGreaterThan(100);
    expect(r.replies.sent).toBeGreaterThan(5);
    expect(r.problems.filter((p) => !p.startsWith("kills:"))).toEqual([]);
    expect(r.callbacks).toMatchObject({
      storedTwice: 0,
      notStored: 0,
      postedTwice: 0,
      notPosted: 0,
      stillQueued: 0,
      outOfOrder: 0,
    });
    expect(r.replies).toMatchObject({ acceptedTwice: 0, notAccepted: 0, wrongId: 0 });
    expect(r.deadJobs).toBe(0);
    expect(soakClean(r)).toBe(true);
    // RSS is read per process instance: one per start, each kill ends one; web-2, never
    // killed, lives through the load and is judged (its figure is not asserted: 15 s is short).
    expect(r.rss.instances).toHaveLength(4 + r.kills.length);
    expect(r.rss.instances.filter((i) => i.endedBy === "kill")).toHaveLength(r.kills.length);
    expect(r.rss.instances.find((i) => i.name === "web-2")).toMatchObject({
      start: 1,
      judged: true,
    });
  });
});
