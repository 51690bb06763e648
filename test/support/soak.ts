// The soak (figure 8): 2 `serve --no-worker` + 2 `worker` processes of the built bridge on one
// Postgres database, behind a small load balancer (balancer.ts), with the Ardary
// simulator (prod mode: status callbacks come back through the balancer) and the fake Slack
// (every channel limited to a burst of 5 then 1 post/s). Inbound SMS callbacks flow at `rate`
// per second, each number sending its SMS one after another (the next once the last was
// answered 200), each retried until answered 200 as the provider does; people reply in the
// threads (Slack events through the balancer, retried with X-Slack-Retry-Num until answered
// 200, the same event_id). Every `killEveryMs` a random one of the four processes (seeded) is
// SIGKILLed and started again. Then the load stops, the backlog drains, and the logs are read:
// - every callback answered 200 is stored once (messages) and posted once, in order per number;
// - every reply is accepted by the simulator once, under its own reference (id_sms_api);
// - each process instance's RSS, read once a second (soak-rss.ts): for those that lived
//   `rssMinLifeS`, its RSS at age `rssBaselineAgeS` against its last read.
// `npm run soak` (bench/soak-run.ts) runs it for minutes; test/e2e/soak.test.ts for seconds.
import postgres from "postgres";
import { Agent, request } from "undici";
import { startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { decodeRef } from "../../adapters/slack/refs.ts";
import { migrateDatabase } from "../../src/db/database.ts";
import { startFakeSlack } from "../fakes/slack.ts";
import { startBalancer } from "./balancer.ts";
import { type BridgeProcess, benchUrl, bridgeEnv, startCluster } from "./cluster.ts";
import { createTestDatabase } from "./db.ts";
import { prng } from "./fuzz-cases.ts";
import { SECRET } from "./harness.ts";
import { insideRetryAfter, token } from "./slack-posts.ts";
import { acceptedCounts, callbackCounts, orderProblems, postedBy } from "./soak-order.ts";
import { type RssFigure, RssSampler } from "./soak-rss.ts";
import { frMobile, inboundUrl, sleep } from "./world.ts";

export interface SoakOptions {
  /** How long the load runs (kills included); the drain follows. */
  durationMs: number;
  /** 0: no kills (every process lives through the run). */
  killEveryMs: number;
  /** Seed of the victims' draw (default 1): the same seed kills the same slots in turn. */
  seed?: number;
  /** Inbound callbacks per second, all numbers together. */
  rate: number;
  /** Numbers sending; each sends rate / numbers SMS per second. */
  numbers: number;
  /** Channels the numbers are routed to (round robin). */
  channels: number;
  repliesPerSecond: number;
  /** A process's RSS at this age (s) is the one its last read is held against. */
  rssBaselineAgeS: number;
  /** Processes that lived this long (s) are judged on their RSS. */
  rssMinLifeS: number;
  /** Most time the backlog gets to drain once the load has stopped. */
  drainTimeoutMs: number;
  /** JOB_LEASE_MS of the processes (default: the bridge's, 60 s). */
  leaseMs?: number;
  /** The processes to kill, by name, in order (default: a random one each time). */
  victims?: string[];
  /** Progress lines. */
  say?: (line: string) => void;
}

export interface SoakResult {
  loadSeconds: number;
  drainSeconds: number;
  kills: { name: string; atS: number }[];
  callbacks: {
    sent: number;
    /** Tries that were not answered 200 (a process killed under them), tried again. */
    retries: number;
    stored: number;
    storedTwice: number;
    notStored: number;
    posted: number;
    postedTwice: number;
    /** Answered 200, not posted, and no longer waiting to be: lost. */
    notPosted: number;
    /** Answered 200 and still waiting for its post when the drain ended (a backlog, not a loss). */
    stillQueued: number;
    outOfOrder: number;
  };
  replies: {
    sent: number;
    retries: number;
    accepted: number;
    acceptedTwice: number;
    notAccepted: number;
    /** Accepted under another id_sms_api than the message's own reference. */
    wrongId: number;
  };
  slack: { posts: number; limited: number; insideRetryAfter: number };
  deadJobs: number;
  balancer: { forwarded: number; failed: number };
  rss: RssFigure;
  /** The first problems found, in words (which SMS, which posts, when). */
  problems: string[];
}

/** 0 lost, 0 duplicated, 0 out of order, on both flows. */
export function soakClean(r: SoakResult): boolean {
  const c = r.callbacks;
  const p = r.replies;
  return (
    c.storedTwice + c.notStored + c.postedTwice + c.notPosted + c.outOfOrder === 0 &&
    p.acceptedTwice + p.notAccepted + p.wrongId === 0
  );
}

const ROLES = [
  { role: "web" as const, name: "web-1" },
  { role: "web" as const, name: "web-2" },
  { role: "worker" as const, name: "worker-1" },
  { role: "worker" as const, name: "worker-2" },
];

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const say = o.say ?? (() => {});
  const channelOf = (n: number) => `CSOAK${String(n % o.channels).padStart(3, "0")}`;
  const phoneOf = (n: number) => frMobile(300_000 + n);
  const sim = await startSimulator({ accessKey: "sim-key", login: "sim@example.com" });
  const fake = await startFakeSlack({
    channels: ["C0GENERAL", ...Array.from({ length: o.channels }, (_, i) => channelOf(i))],
    rateLimit: { burst: 5, perSecond: 1 },
  });
  const lb = await startBalancer();
  sim.setCallbackUrl(`${lb.url}/ardary/callback/${SECRET}`);
  const database = await createTestDatabase();
  const url = database.url as string;
  const sql = postgres(benchUrl(url), { max: 2, onnotice: () => {} });
  const agent = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
  let processes: BridgeProcess[] = [];
  let stopCluster: () => Promise<void> = async () => {};
  try {
    await migrateDatabase({ url: benchUrl(url) });
    for (let n = 0; n < o.numbers; n++)
      await sql`insert into routes (pattern, platform, channel)
        values (${phoneOf(n)}, 'slack', ${channelOf(n)})`;
    const env = bridgeEnv({
      databaseUrl: url,
      simApiUrl: sim.apiUrl,
      slack: {
        botToken: fake.botToken,
        signingSecret: fake.signingSecret,
        apiUrl: fake.apiUrl,
        channel: "C0GENERAL",
      },
      mode: "prod",
      secret: SECRET,
      extra: o.leaseMs ? { JOB_LEASE_MS: String(o.leaseMs) } : {},
    });
    const cluster = await startCluster(ROLES, env);
    processes = cluster.processes;
    stopCluster = cluster.stop;
    const live = new Set(processes.filter((p) => p.role === "web"));
    const route = () => lb.setTargets([...live].map((p) => p.url as string));
    route();
    say(`4 processes up: ${processes.map((p) => `${p.name} (pid ${p.pid})`).join(", ")}`);

    const t0 = Date.now();
    const loadEnd = t0 + o.durationMs;
    let stopping = false;
    const rss = new RssSampler(processes, t0, say);
    rss.start();

    // Inbound: each number sends every `period` ms, the next SMS once the last was answered.
    const period = (o.numbers / o.rate) * 1000;
    const answered = new Map<number, number>(); // number → SMS answered 200 so far
    let callbackRetries = 0;
    const inbound = Array.from({ length: o.numbers }, async (_, n) => {
      for (let k = 0; ; k++) {
        const at = t0 + (n / o.numbers) * period + k * period;
        // Behind schedule (a slow answer) the number catches up, but never past the end.
        if (at >= loadEnd || Date.now() >= loadEnd) return;
        await sleep(at - Date.now());
        const target = inboundUrl(lb.url, SECRET, phoneOf(n), token("soak", n, k));
        for (;;) {
          const status = await request(target, { dispatcher: agent })
            .then(async (r) => {
              await r.body.dump();
              return r.statusCode;
            })
            .catch(() => 0);
          if (status === 200) break;
          callbackRetries++;
          await sleep(100);
        }
        answered.set(n, k + 1);
      }
    });

    // Threads known so far (phone → thread), for the replies.
    const threads = new Map<string, { channel: string; ts: string }>();
    const refreshThreads = async () => {
      const rows = await sql<{ phone: string; thread_ref: string }[]>`
        select phone, thread_ref from conversations where thread_ref is not null`;
      for (const r of rows) {
        const t = decodeRef(r.thread_ref);
        if (t) threads.set(r.phone, t);
      }
    };
    let repliesSent = 0;
    let replyRetries = 0;
    const replying = (async () => {
      const every = 1000 / o.repliesPerSecond;
      const pick = prng((o.seed ?? 1) + 1);
      const pending: Promise<void>[] = [];
      for (let r = 0; Date.now() < loadEnd; r++) {
        await sleep(every);
        if (r % Math.max(1, Math.round(o.repliesPerSecond)) === 0) await refreshThreads();
        const list = [...threads.values()];
        const thread = list[Math.floor(pick() * list.length)];
        if (!thread) continue;
        const id = repliesSent++;
        const event = fake.userMessage({
          channel: thread.channel,
          user: "U0ALICE",
          text: token("reply", id),
          thread_ts: thread.ts,
        });
        pending.push(
          (async () => {
            const eventId = `Ev0SOAK${String(id).padStart(6, "0")}`;
            for (let attempt = 0; ; attempt++) {
              const res = await fake.signer
                .sendEvent(`${lb.url}/slack/events`, event, {
                  eventId,
                  ...(attempt > 0 ? { retryNum: Math.min(attempt, 3) } : {}),
                })
                .catch(() => ({ status: 0 }));
              if (res.status === 200) return;
              replyRetries++;
              await sleep(200);
            }
          })(),
        );
      }
      await Promise.all(pending);
    })();

    // The kills: a random process every killEveryMs (drawn from the seed), started again at once.
    const kills: { name: string; atS: number }[] = [];
    const draw = prng(o.seed ?? 1);
    const killing = (async () => {
      for (;;) {
        if (!(o.killEveryMs > 0)) return;
        // On the clock (kill i at (i + 1) × killEveryMs), a restart's boot time included.
        await sleep(Math.min(t0 + (kills.length + 1) * o.killEveryMs, loadEnd) - Date.now());
        if (stopping || Date.now() >= loadEnd) return;
        const named = o.victims?.[kills.length];
        const drawn = processes[Math.floor(draw() * processes.length)];
        const victim = (processes.find((p) => p.name === named) ?? drawn) as BridgeProcess;
        live.delete(victim);
        route();
        rss.end(victim, "kill");
        await victim.kill();
        kills.push({ name: victim.name, atS: (Date.now() - t0) / 1000 });
        await victim.start();
        if (victim.role === "web") {
          live.add(victim);
          route();
        }
        const [q] = await sql<
          { pending: number; deferred: number; running: number; expired: number }[]
        >`
          select count(*) filter (where state = 'pending')::int as pending,
            count(*) filter (where state = 'pending' and run_at > now())::int as deferred,
            count(*) filter (where state = 'running')::int as running,
            count(*) filter (where state = 'running' and lease_until < now())::int as expired
          from jobs`;
        say(
          `  jobs: ${q?.pending} pending (${q?.deferred} deferred), ${q?.running} running (${q?.expired} lease expired); ${fake.posts.length} Slack posts so far`,
        );
        say(
          `${((Date.now() - t0) / 1000).toFixed(0)} s: killed ${victim.name}, back in ${(victim.bootMs / 1000).toFixed(1)} s; ${[...answered.values()].reduce((a, b) => a + b, 0)} SMS answered, ${repliesSent} replies`,
        );
      }
    })();

    await Promise.all(inbound);
    await replying;
    stopping = true;
    await killing;
    rss.stop();
    const loadSeconds = (Date.now() - t0) / 1000;
    const sent = [...answered.values()].reduce((a, b) => a + b, 0);
    say(
      `load over after ${loadSeconds.toFixed(0)} s: ${sent} SMS, ${repliesSent} replies; draining`,
    );

    // The drain: every SMS answered 200 posted, every reply accepted by the simulator.
    const d0 = Date.now();
    const postedCounts = () => postedBy(fake.posts);
    const replyTexts = () => {
      const m = new Map<number, string[]>();
      for (const s of sim.sent) {
        const hit = /^reply-(\d+)-0-x$/.exec(s.message);
        if (hit) m.set(Number(hit[1]), [...(m.get(Number(hit[1])) ?? []), s.id_sms_api]);
      }
      return m;
    };
    for (;;) {
      const posted = postedCounts();
      const accepted = replyTexts();
      if (posted.size >= sent && accepted.size >= repliesSent) break;
      if (Date.now() - d0 > o.drainTimeoutMs) {
        say(
          `drain timed out: ${posted.size}/${sent} SMS posted, ${accepted.size}/${repliesSent} replies accepted`,
        );
        break;
      }
      await sleep(200);
    }
    const drainSeconds = (Date.now() - d0) / 1000;
    // Still waiting for a post (read before the posts: one made in between counts as posted).
    const waiting = new Set(
      (
        await sql<{ body: string }[]>`
          select body from messages where direction = 'in' and chat_ref is null`
      ).map((r) => r.body),
    );
    rss.afterDrain();

    // Stored once: the inbound messages by text.
    const stored = new Map<string, number>();
    for (const r of await sql<{ body: string; n: number }[]>`
      select body, count(*)::int as n from messages where direction = 'in' group by body`)
      stored.set(r.body, r.n);
    const posted = postedCounts();
    const counts = callbackCounts(answered, stored, posted, waiting);
    // In order: each number's SMS in the order the fake accepted the posts; none posted twice.
    const { outOfOrder, problems } = orderProblems(fake.posts, posted, t0);
    if (kills.length > 0)
      problems.push(`kills: ${kills.map((k) => `${k.name} at ${k.atS.toFixed(2)} s`).join(", ")}`);
    // Replies: accepted once, under the reference the bridge gave the SMS.
    const refs = new Map<string, string>();
    for (const r of await sql<{ body: string; client_ref: string }[]>`
      select body, client_ref from messages where direction = 'out' and client_ref is not null`)
      refs.set(r.body, r.client_ref);
    const accepted = replyTexts();
    const replyCounts = acceptedCounts(accepted, refs, repliesSent);
    const [dead] = await sql<{ n: number }[]>`
      select count(*)::int as n from jobs where state = 'dead'`;
    const slack = insideRetryAfter(fake.requests);
    return {
      loadSeconds,
      drainSeconds,
      kills,
      callbacks: {
        sent,
        retries: callbackRetries,
        stored: [...stored.keys()].filter((b) => b.startsWith("soak-")).length,
        storedTwice: counts.storedTwice,
        notStored: counts.notStored,
        posted: posted.size,
        postedTwice: counts.postedTwice,
        notPosted: counts.notPosted,
        stillQueued: counts.stillQueued,
        outOfOrder,
      },
      replies: {
        sent: repliesSent,
        retries: replyRetries,
        accepted: accepted.size,
        acceptedTwice: replyCounts.acceptedTwice,
        notAccepted: replyCounts.notAccepted,
        wrongId: replyCounts.wrongId,
      },
      slack: {
        posts: fake.posts.length,
        limited: slack.limited,
        insideRetryAfter: slack.early,
      },
      deadJobs: dead?.n ?? 0,
      balancer: { ...lb.stats },
      rss: rss.figure({ baselineAgeS: o.rssBaselineAgeS, minLifeS: o.rssMinLifeS }),
      problems,
    };
  } finally {
    await stopCluster();
    await agent.close();
    await sql.end({ timeout: 5 });
    await database.drop();
    await lb.close();
    await fake.close();
    await sim.close();
  }
}
