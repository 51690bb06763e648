// The parts that refuse the bridge or are down, and the work that waits for them (issue 22): a
// chat platform's token and a channel the bot was removed from (the adapters' RefusedError), the
// SMS provider's account (its `account-refused` outcome), and the provider or a platform
// unreachable (an outage). A degraded part is not a dead process:
// - refused: its work waits (a DeferredError: no attempt spent, nothing dropped, order kept by
//   the queue), it is said once (the log at error level naming what to fix; a note in the default
//   channel for a channel or the provider, `noticeJob`), shown by `status()` (/healthz, a set-up
//   page), and tried again every `refusedRetryMs` (a minute): one try per interval across every
//   process (the hold's `next`, moved atomically), the adapter's `check()` for a token. The first
//   try that works ends the hold and the wait of everything it held (releaseWaiting), in order.
// - unavailable (an outage): its jobs fail and back off as ever (attempts, give-up), but a free
//   try every `outageProbeMs` (tryEarly) finds the return, and the first success ends the back-off
//   of every job behind the same failure: what waited goes within seconds of the return.
// The holds live in `settings` (`degraded:<part>`), so every process agrees and any answers
// /healthz. Parts: `sms`, `chat:<platform>` (its token), `chat:<platform>#<channel>`.
import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { ChatAdapter } from "../contracts/index.ts";
import { CHAT_JOB, NOTICE_JOB, SMS_JOB } from "../conversations/kinds.ts";
import * as store from "../conversations/store.ts";
import type { Db } from "../db/database.ts";
import { withDeadline } from "../db/health.ts";
import { DeferredError, errorMessage, RefusedError } from "../kernel/errors.ts";
import { releaseWaiting, tryEarly } from "../queue/jobs.ts";

/** What a part is doing, as /healthz and a set-up page show it. */
export type PartState =
  | { state: "ok" }
  | {
      state: "refused" | "unavailable";
      reason: string;
      /** What a person must do (refused only). */
      fix?: string;
      /** ISO-8601: since when. */
      since: string;
    };

export interface DegradedStatus {
  /** The SMS provider. */
  sms: PartState;
  /** Each chat platform that is on: its token, and the channels that refuse the bot. */
  chat: Record<string, PartState & { channels?: Record<string, PartState> }>;
}

interface Hold {
  state: "refused" | "unavailable";
  reason: string;
  fix?: string;
  /** Epoch ms. */
  since: number;
  /** Epoch ms: when the part is tried again. */
  next: number;
}

export interface DegradedOptions {
  db: Db;
  log: Logger;
  /** The chat adapters that are on, by platform. */
  adapters: Map<string, ChatAdapter>;
  /** Each platform's default channel: where a channel's or the provider's refusal is said. */
  defaults: Record<string, string>;
  /** Names people read: each platform's and the provider's (`sms`). */
  labels?: Record<string, string>;
  /** How often a refused part is tried again (REFUSED_RETRY_MS, a minute). */
  refusedRetryMs?: number;
  /** How often a free try looks for the end of an outage (OUTAGE_PROBE_MS, 5 s). */
  outageProbeMs?: number;
}

export interface Degraded {
  /**
   * Before calling out for `parts`: undefined when the call may be made (nothing refused, or it is
   * this caller's turn to try), else the wait to throw (DeferredError until the next try).
   */
  turn(...parts: string[]): Promise<DeferredError | undefined>;
  /**
   * `part` refused us: it is held (said once: the log, and `say`'s notes when the hold begins);
   * returns the wait the refused work throws.
   */
  refused(
    part: string,
    why: { reason: string; fix: string },
    say?: () => Promise<void>,
  ): Promise<DeferredError>;
  /** A call to `part` failed for now (an outage): free tries look for its return. */
  failing(part: string, reason: string): Promise<void>;
  /** A call to `part` worked: a hold on it ends, and what waited behind it goes now. */
  worked(part: string): Promise<void>;
  /** Every part's state, read from the database. */
  status(): Promise<DegradedStatus>;
  /** Checks the tokens now and every `refusedRetryMs`, and probes outages (worker processes). */
  start(): void;
  stop(): Promise<void>;
}

const PREFIX = "degraded:";
/** How stale this process's view of the holds may be on a job's path. */
const CACHE_MS = 1000;
/** A caller that lost the try to another looks again this soon. */
const LOSER_WAIT_MS = 2000;
/** The most a round of checks may take (a platform's check: 15 s at most). */
const TICK_DEADLINE_MS = 30_000;

export const smsPart = "sms";
export const chatPart = (platform: string) => `chat:${platform}`;
export const channelPart = (platform: string, channel: string) => `chat:${platform}#${channel}`;

/** The platform (and channel) of a chat part; undefined for `sms`. */
function chatOf(part: string): { platform: string; channel?: string } | undefined {
  const m = /^chat:([^#]+)(?:#(.+))?$/.exec(part);
  return m?.[1] ? { platform: m[1], channel: m[2] } : undefined;
}

/** The chat jobs of a platform's conversations (an SQL condition on the jobs table). */
const onPlatform = (platform: string) =>
  sql`(payload->>'conversationId')::bigint in
    (select id from conversations where platform = ${platform})`;

/** "1 min", "5 s", "400 ms". */
function duration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

function parse(raw: string): Hold | undefined {
  try {
    const h = JSON.parse(raw) as Hold;
    return typeof h?.next === "number" ? h : undefined;
  } catch {
    return undefined;
  }
}

export function createDegraded(o: DegradedOptions): Degraded {
  const retryMs = o.refusedRetryMs ?? 60_000;
  const probeMs = o.outageProbeMs ?? 5000;
  const label = (part: string) => {
    const chat = chatOf(part);
    const name = chat ? chat.platform : "sms";
    const shown = o.labels?.[name] ?? name;
    return chat?.channel ? `${shown} channel ${chat.channel}` : shown;
  };
  /** The holds as last read, by part (raw: the stored text, for the atomic swaps). */
  let holds = new Map<string, { raw: string; hold: Hold }>();
  let readAt = Number.NEGATIVE_INFINITY;
  /** Refusals this process has logged (once per process and hold). */
  const logged = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let stopped = true;
  let lastCheck = Number.NEGATIVE_INFINITY;

  async function read(force = false): Promise<Map<string, { raw: string; hold: Hold }>> {
    if (!force && Date.now() - readAt < CACHE_MS) return holds;
    const fresh = new Map<string, { raw: string; hold: Hold }>();
    for (const [key, raw] of await store.settingsFrom(o.db, PREFIX)) {
      const hold = parse(raw);
      if (hold) fresh.set(key.slice(PREFIX.length), { raw, hold });
    }
    holds = fresh;
    readAt = Date.now();
    return holds;
  }

  const waitFor = (part: string, hold: Hold, ms: number) =>
    new DeferredError(
      `${label(part)} ${hold.state === "refused" ? "refuses the bridge" : "is unavailable"}: ${hold.reason}; waiting, tried again`,
      Math.max(50, ms) + Math.floor(Math.random() * 100),
    );

  /** Moves the hold's next try on, atomically: true when this caller won the try. */
  async function takeTry(part: string, held: { raw: string; hold: Hold }, every: number) {
    const next: Hold = { ...held.hold, next: Date.now() + every };
    const raw = JSON.stringify(next);
    if (!(await store.swapSetting(o.db, PREFIX + part, held.raw, raw))) return false;
    holds.set(part, { raw, hold: next });
    return true;
  }

  /** The wait behind `part`'s work, once it works again. */
  async function release(part: string): Promise<number> {
    const chat = chatOf(part);
    if (!chat) return releaseWaiting(o.db, SMS_JOB.kind);
    return (
      (await releaseWaiting(o.db, CHAT_JOB.kind, onPlatform(chat.platform))) +
      (await releaseWaiting(o.db, NOTICE_JOB.kind, sql`payload->>'platform' = ${chat.platform}`))
    );
  }

  const degraded: Degraded = {
    async turn(...parts) {
      let known = await read();
      // Held as far as this process knows: read again (another process may have ended it).
      if (parts.some((p) => known.get(p)?.hold.state === "refused")) known = await read(true);
      for (const part of parts) {
        const held = known.get(part);
        if (held?.hold.state !== "refused") continue;
        const left = held.hold.next - Date.now();
        if (left > 0) return waitFor(part, held.hold, left);
        // Another caller tries now: look again shortly (its success may end the hold).
        if (!(await takeTry(part, held, retryMs)))
          return waitFor(part, held.hold, Math.min(retryMs, LOSER_WAIT_MS));
      }
      return undefined;
    },

    async refused(part, why, say) {
      const now = Date.now();
      const hold: Hold = { state: "refused", ...why, since: now, next: now + retryMs };
      const raw = JSON.stringify(hold);
      let began = await store.createSetting(o.db, PREFIX + part, raw);
      if (!began) {
        // An outage that turns out to be a refusal becomes one (and is said).
        const known = (await read(true)).get(part);
        if (known?.hold.state === "unavailable")
          began = await store.swapSetting(o.db, PREFIX + part, known.raw, raw);
      }
      const current = began ? { raw, hold } : ((await read(true)).get(part) ?? { raw, hold });
      holds.set(part, current);
      if (began || !logged.has(part)) {
        logged.add(part);
        o.log.error(
          { part, reason: why.reason },
          `${label(part)} refuses the bridge: ${why.reason}. To fix: ${why.fix}. What it holds waits (nothing is lost) and is tried again every ${duration(retryMs)}.`,
        );
      }
      if (began && say) {
        await say().catch((err) =>
          o.log.warn({ part, err: errorMessage(err) }, "refusal not announced"),
        );
      }
      return waitFor(part, current.hold, current.hold.next - Date.now());
    },

    async failing(part, reason) {
      if ((await read()).has(part)) return;
      const now = Date.now();
      const hold: Hold = { state: "unavailable", reason, since: now, next: now + probeMs };
      if (await store.createSetting(o.db, PREFIX + part, JSON.stringify(hold))) {
        readAt = Number.NEGATIVE_INFINITY;
        o.log.warn(
          { part, reason },
          `${label(part)} is unavailable: ${reason}; its work backs off, and is tried early every ${duration(probeMs)}`,
        );
      }
    },

    async worked(part) {
      const held = (await read()).get(part);
      if (!held) return;
      holds.delete(part);
      logged.delete(part);
      if (!(await store.dropSetting(o.db, PREFIX + part))) return;
      const released = await release(part);
      o.log.info(
        { part, released },
        `${label(part)} works again: ${released} job(s) that waited behind it go now`,
      );
    },

    async status() {
      const known = await read(true);
      const view = (part: string): PartState => {
        const h = known.get(part)?.hold;
        if (!h) return { state: "ok" };
        return {
          state: h.state,
          reason: h.reason,
          ...(h.fix ? { fix: h.fix } : {}),
          since: new Date(h.since).toISOString(),
        };
      };
      const chat: DegradedStatus["chat"] = {};
      for (const platform of o.adapters.keys()) {
        const channels: Record<string, PartState> = {};
        for (const part of known.keys()) {
          const c = chatOf(part);
          if (c?.platform === platform && c.channel) channels[c.channel] = view(part);
        }
        chat[platform] = {
          ...view(chatPart(platform)),
          ...(Object.keys(channels).length > 0 ? { channels } : {}),
        };
      }
      return { sms: view(smsPart), chat };
    },

    start() {
      if (!stopped) return;
      stopped = false;
      const every = Math.max(50, Math.min(1000, retryMs / 2, probeMs / 2));
      let problem = "";
      const loop = () => {
        // Work the database never settles (a silent connection) does not stop the rounds.
        ticking = withDeadline(tick(), TICK_DEADLINE_MS, "degraded parts")
          .then(() => {
            problem = "";
          })
          .catch((err) => {
            // Said once while it lasts (the database gone: a line a second would say nothing more).
            if (errorMessage(err) !== problem)
              o.log.warn({ err: errorMessage(err) }, "degraded parts: check failed");
            problem = errorMessage(err);
          })
          .finally(() => {
            if (stopped) return;
            timer = setTimeout(loop, every);
            timer.unref();
          });
      };
      loop();
    },

    async stop() {
      stopped = true;
      clearTimeout(timer);
      // A check that hangs (a platform not answering) does not hold the shutdown back.
      await Promise.race([ticking, new Promise((r) => setTimeout(r, 2000).unref())]);
    },
  };

  /** Asks each platform whether it takes the token (a refusal held, its end released). */
  async function check(platform: string, adapter: ChatAdapter): Promise<void> {
    try {
      await adapter.check?.();
    } catch (err) {
      if (err instanceof RefusedError && err.scope === "account")
        await degraded.refused(chatPart(platform), { reason: err.message, fix: err.fix });
      return;
    }
    await degraded.worked(chatPart(platform));
  }

  /** One round: the tokens every `retryMs` (at start too), and the outages' free tries. */
  async function tick(): Promise<void> {
    const known = await read();
    if (Date.now() - lastCheck >= retryMs) {
      lastCheck = Date.now();
      for (const [platform, adapter] of o.adapters) {
        const held = known.get(chatPart(platform));
        // A refused token is asked when its try comes (below), by one process.
        if (held?.hold.state !== "refused") await check(platform, adapter);
      }
    }
    for (const [part, held] of known) {
      if (stopped || held.hold.next > Date.now()) continue;
      const chat = chatOf(part);
      if (held.hold.state === "refused") {
        const adapter = chat && !chat.channel ? o.adapters.get(chat.platform) : undefined;
        if (chat && adapter && (await takeTry(part, held, retryMs)))
          await check(chat.platform, adapter);
        continue;
      }
      if (!(await takeTry(part, held, probeMs))) continue;
      const tried = !chat
        ? await tryEarly(o.db, SMS_JOB.kind)
        : await tryEarly(o.db, CHAT_JOB.kind, onPlatform(chat.platform));
      // Nothing backs off behind it any more (done, or given up): the outage is no longer known.
      if (!tried && (await store.dropSetting(o.db, PREFIX + part))) holds.delete(part);
    }
  }

  return degraded;
}
