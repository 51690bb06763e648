// A SIGKILL soak of the Slack path, shared by the test (test/e2e/survive-kill.test.ts, short)
// and the bench script (bench/exactly-once-soak.ts, as long as asked). The built server (`node
// bin/ardary-bridge.js serve`, after `npm run build`) runs on the given database with the fake
// Slack and the Ardary simulator. Inbound SMS callbacks flow one after another, each sent again
// until it is answered 200 (as the provider does); the moment the fake Slack accepts a post, the
// server is killed with SIGKILL (between the post and its saving) and started again. Kills
// alternate: after a card (a new number's thread), then after a reply in a thread. New numbers
// join as the SMS go on (one every 5 SMS, up to `numbers`), and one joins at once whenever the
// next kill is to come after a card: however slow a restart, there is always a card to kill
// after. At the end every SMS must be in Slack exactly once, in the order it was sent per
// number, each number with one card.
import { type ChildProcess, spawn } from "node:child_process";
import { startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { type FakePost, startFakeSlack } from "../fakes/slack.ts";
import type { TestDatabase } from "./db.ts";
import { freePort, inboundUrl, sleep, usPhone } from "./world.ts";

export interface SoakOptions {
  db: TestDatabase;
  /** SMS sent (one callback each). */
  total: number;
  /** SIGKILLs, each followed by a restart. */
  kills: number;
  /** Phone numbers joining one every 5 SMS (8); one more joins when a kill waits for a card. */
  numbers?: number;
  /** How long a killed worker's job stays held (JOB_LEASE_MS; the server's default is 60 s). */
  leaseMs?: number;
  /** Pause between two callbacks, ms (50). */
  gapMs?: number;
  /**
   * After each restart, Slack answers the look-ups for an earlier attempt's post
   * (conversations.replies, conversations.history) with 429 for this long: a look-up that meets
   * a rate limit must wait and look again, never take it for "not found" (issue 22).
   */
  lookupLimitMs?: number;
  /** Progress lines. */
  say?: (line: string) => void;
}

export interface SoakResult {
  total: number;
  kills: number;
  /** What each kill came right after. */
  killedAfter: ("card" | "reply")[];
  posts: number;
  /** Top-level posts (cards), and the numbers that wrote. */
  cards: number;
  numbers: number;
  /** SMS in more than one post. */
  doubles: number[];
  /** SMS answered 200 but in no post. */
  missing: number[];
  /** Numbers whose SMS appear out of the order they were sent in. */
  outOfOrder: string[];
  seconds: number;
  /** One line per post (card or reply, the SMS it shows) and per kill: what to read on a failure. */
  timeline: string[];
  /** Look-ups Slack answered 429 (`lookupLimitMs`). */
  lookupsLimited: number;
}

const SECRET = "soak-callback-secret-0123456789";
const text = (n: number) => `soak sms ${n} end`;

/** The SMS numbers a post shows (a card carries its first SMS; merged posts several). */
function smsIn(post: FakePost): number[] {
  const all = [...(post.text ?? "").matchAll(/soak sms (\d+) end/g)].map((m) => Number(m[1]));
  return [...new Set(all)];
}

export async function runKillSoak(o: SoakOptions): Promise<SoakResult> {
  const numbers = o.numbers ?? 8;
  const say = o.say ?? (() => {});
  const slack = await startFakeSlack({ channels: ["C0GENERAL"] });
  const sim = await startSimulator({ accessKey: "soak-key", login: "soak@example.com" });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    PORT: String(port),
    ...o.db.env,
    ARDARY_API_URL: sim.apiUrl,
    ARDARY_ACCESS_KEY: "soak-key",
    ARDARY_LOGIN: "soak@example.com",
    ARDARY_MODE: "prod",
    ARDARY_CALLBACK_SECRET: SECRET,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: slack.signingSecret,
    SLACK_CHANNEL: "C0GENERAL",
    SLACK_API_URL: slack.apiUrl,
    JOB_BACKOFF_MS: "200",
    ...(o.leaseMs ? { JOB_LEASE_MS: String(o.leaseMs) } : {}),
    LOG_LEVEL: "warn",
  };
  let server: ChildProcess | undefined;
  /** The last lines the server wrote on stderr, to say why it did not start. */
  let stderr = "";

  async function start(): Promise<ChildProcess> {
    const child = spawn("node", ["bin/ardary-bridge.js", "serve"], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    let exited = false;
    child.once("exit", () => {
      exited = true;
    });
    for (let i = 0; !(await fetch(`${base}/healthz`).catch(() => null))?.ok; i++) {
      if (exited || i > 600) throw new Error(`the server did not start: ${stderr}`);
      await sleep(100);
    }
    return child;
  }

  async function kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }

  const started = performance.now();
  const acknowledged = new Set<number>();
  const killedAfter: ("card" | "reply")[] = [];
  const kills: { afterPost: number; what: string }[] = [];
  /** The number each SMS was sent from; `joined` numbers write in turn. */
  const phoneOf = new Map<number, string>();
  let joined = 0;
  /** Set by the killer when it waits for a card: the next SMS comes from a new number. */
  let cardWanted = false;
  try {
    server = await start();
    // The callbacks, each sent again until acknowledged (as the provider does).
    let sent = 0;
    const sending = (async () => {
      for (let n = 0; n < o.total; n++) {
        // The last few wait (10 s at most, 30 with look-ups held after each restart) for the
        // kills: on a slow machine the posts lag the callbacks, and the soak would end before the
        // last kill found its post.
        const patience = o.lookupLimitMs ? 1500 : 500;
        for (let w = 0; n >= o.total - 4 && killedAfter.length < o.kills && w < patience; w++)
          await sleep(20);
        if (cardWanted || (joined < numbers && n >= joined * 5)) {
          joined++;
          cardWanted = false;
          phoneOf.set(n, usPhone(joined - 1));
        } else phoneOf.set(n, usPhone(n % joined));
        const url = inboundUrl(base, SECRET, phoneOf.get(n) ?? "", text(n));
        while ((await fetch(url).catch(() => null))?.status !== 200) await sleep(100);
        acknowledged.add(n);
        sent = n + 1;
        await sleep(o.gapMs ?? 50);
      }
    })();
    while (killedAfter.length < o.kills && sent < o.total) {
      const after = killedAfter.length % 2 === 0 ? "card" : "reply";
      const seen = slack.posts.length;
      const wanted = (p: FakePost) => (after === "card" ? !p.thread_ts : !!p.thread_ts);
      if (after === "card" && killedAfter.length > 0) cardWanted = true;
      while (!slack.posts.slice(seen).some(wanted) && sent < o.total) await sleep(1);
      if (sent >= o.total) break;
      await kill(server);
      killedAfter.push(after);
      kills.push({ afterPost: slack.posts.length, what: `SIGKILL after a ${after}` });
      say(`kill ${killedAfter.length}: right after a ${after} (post ${slack.posts.length})`);
      server = await start();
      if (o.lookupLimitMs)
        slack.rateLimit("C0GENERAL", o.lookupLimitMs, [
          "conversations.replies",
          "conversations.history",
        ]);
    }
    await sending;
    // Every SMS acknowledged is posted; then the jobs a killed worker held (their lease runs
    // out) have time to run, so that a late second post would be seen.
    const posted = () => new Set(slack.posts.flatMap(smsIn));
    for (let i = 0; [...acknowledged].some((n) => !posted().has(n)); i++) {
      if (i > 1200) break; // 2 minutes: what is still missing is reported
      await sleep(100);
    }
    await sleep(2 * (o.leaseMs ?? 60_000) + 500);
  } finally {
    if (server) await kill(server);
    await sim.close();
    await slack.close();
  }

  const counts = new Map<number, number>();
  const order = new Map<string, number[]>();
  for (const post of slack.posts) {
    for (const n of smsIn(post)) {
      counts.set(n, (counts.get(n) ?? 0) + 1);
      const phone = phoneOf.get(n) ?? "";
      order.set(phone, [...(order.get(phone) ?? []), n]);
    }
  }
  const outOfOrder = [...order]
    .filter(([, list]) => list.some((n, i) => i > 0 && n < (list[i - 1] ?? 0)))
    .map(([phone]) => phone);
  const timeline = slack.posts.flatMap((p, i) => [
    `${p.thread_ts ? "  reply" : "card"} ${phoneOf.get(smsIn(p)[0] ?? 0)}: ${smsIn(p).join(" ")}`,
    ...kills.filter((k) => k.afterPost === i + 1).map((k) => k.what),
  ]);
  return {
    total: o.total,
    kills: killedAfter.length,
    killedAfter,
    posts: slack.posts.length,
    cards: slack.posts.filter((p) => !p.thread_ts).length,
    numbers: new Set([...acknowledged].map((n) => phoneOf.get(n))).size,
    doubles: [...counts].filter(([, c]) => c > 1).map(([n]) => n),
    missing: [...acknowledged].filter((n) => !counts.has(n)),
    outOfOrder,
    seconds: (performance.now() - started) / 1000,
    timeline,
    lookupsLimited: slack.requests.filter(
      (r) => r.method.startsWith("conversations.") && r.status === 429,
    ).length,
  };
}
