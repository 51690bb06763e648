// The report's figures, each defined once in docs/reports.md, read from the tables in a few
// statements over the period's SMS (the messages_report_at index), whatever the history's size.
// `Report` is the JSON contract (names, seconds, integers); `ReportFigures` adds what the words
// and the chart show beside it (per day, SMS with a link).
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/database.ts";
import { rowsOf } from "../db/database.ts";
import { messages, reportAt } from "../db/schema.ts";
import { dayName, instantOf, wallClock } from "../kernel/time.ts";
import { AUTO_REPLY_AUTHOR, type Schedule } from "../replies/hours.ts";
import type { Period } from "./period.ts";

/** The JSON form: a contract for scripts and dashboards (docs/reports.md). */
export interface Report {
  since: string;
  until: string;
  timezone: string;
  conversations: { active: number; new: number; closed: number };
  sms: { in: number; out: number; segments_out: number };
  first_response_s: { count: number; median: number | null; p90: number | null };
  unanswered: { count: number; oldest_waiting_s: number | null };
  delivery: {
    received: number;
    sent: number;
    failed: number;
    unknown: number;
    failure_reasons: { reason: string; count: number }[];
  };
  opt_outs: { stop: number; start: number };
  clicks: number;
  calls: number;
  agents: { id: string; name: string; replies: number; first_response_median_s: number | null }[];
  channels: { platform: string; channel: string; in: number; out: number }[];
  in_by_hour: number[];
}

export interface DayFigures {
  /** YYYY-MM-DD, local. */
  day: string;
  in: number;
  out: number;
  first_response_median_s: number | null;
}

export interface ReportFigures {
  report: Report;
  /** Every local day the period touches, in order. */
  days: DayFigures[];
  /** SMS sent with a tracked link (clicks per SMS with a link). */
  withLink: number;
  /** True when the period holds no SMS, click nor call. */
  empty: boolean;
}

export interface ReportOptions {
  period: Period;
  timeZone: string;
  /** BUSINESS_HOURS: when set, first responses count only the time inside them. */
  hours?: Schedule;
  /** "Now", for the waits still open (default: the clock). */
  now?: Date;
}

const AT = reportAt(messages);
/** A person's SMS: one that answers (not the auto-reply, not a cancelled one). */
const PERSON = sql`(${messages.direction} = 'out' and ${messages.status} <> 'cancelled' and ${messages.author} is distinct from ${AUTO_REPLY_AUTHOR})`;

const num = (v: unknown) => Number(v ?? 0);

async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  return rowsOf<T>(await db.execute(query));
}

/** The value below which `q` of the sorted values fall (linear between neighbours). */
export function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] ?? 0) + ((sorted[hi] ?? 0) - (sorted[lo] ?? 0)) * (pos - lo);
}

const seconds = (v: number | null) => (v === null ? null : Math.round(v));
const median = (list: number[]) =>
  seconds(
    quantile(
      [...list].sort((a, b) => a - b),
      0.5,
    ),
  );

/**
 * Time inside the opening hours (`schedule`, in `timeZone`) as a running total: `at(t)` is the
 * open time from the start of local day `firstDay` to instant `t`, in ms, so the open time of
 * `[a, b)` is `at(b) - at(a)`: two binary searches per wait, however many. Without a schedule
 * it is plain time. Days are added as the waits reach them.
 */
export function openClock(schedule: Schedule | undefined, timeZone: string) {
  if (!schedule)
    return {
      cover: (_from: number, _to: number) => {},
      seconds: (from: number, to: number) => Math.max(0, to - from) / 1000,
    };
  /** Opening windows [start, end) in ms, in order, and the open time before each. */
  let windows: { start: number; end: number; before: number }[] = [];
  let firstDay = Number.POSITIVE_INFINITY;
  let lastDay = Number.NEGATIVE_INFINITY;
  const build = (from: number, to: number) => {
    const list: { start: number; end: number }[] = [];
    for (let day = from; day <= to; day++) {
      const weekday = new Date(day * 86_400_000).getUTCDay();
      for (const w of schedule) {
        if (w.day !== weekday) continue;
        const start = instantOf(day, w.start, timeZone).getTime();
        const end = (
          w.end >= 1440 ? instantOf(day + 1, 0, timeZone) : instantOf(day, w.end, timeZone)
        ).getTime();
        if (end > start) list.push({ start, end });
      }
    }
    list.sort((a, b) => a.start - b.start);
    let before = 0;
    windows = list.map((w) => {
      const out = { ...w, before };
      before += w.end - w.start;
      return out;
    });
    firstDay = from;
    lastDay = to;
  };
  const ensure = (t: number) => {
    const day = Math.floor(t / 86_400_000);
    if (day - 1 < firstDay || day + 1 > lastDay)
      build(
        Math.min(firstDay, day - 1),
        Math.max(lastDay === Number.NEGATIVE_INFINITY ? day + 1 : lastDay, day + 1),
      );
  };
  const at = (t: number) => {
    let lo = 0;
    let hi = windows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((windows[mid]?.start ?? 0) <= t) lo = mid + 1;
      else hi = mid;
    }
    const w = windows[lo - 1];
    return w ? w.before + Math.min(t, w.end) - w.start : 0;
  };
  return {
    /** Builds the windows of every day from `from` to `to` at once (the waits' extremes). */
    cover(from: number, to: number) {
      build(Math.floor(from / 86_400_000) - 1, Math.floor(to / 86_400_000) + 1);
    },
    seconds(from: number, to: number): number {
      if (to <= from) return 0;
      ensure(from);
      ensure(to);
      return (at(to) - at(from)) / 1000;
    },
  };
}

/** Seconds of `[from, to)` inside the opening hours; the whole span when there are none. */
export function businessSeconds(
  from: number,
  to: number,
  schedule: Schedule | undefined,
  timeZone: string,
): number {
  return openClock(schedule, timeZone).seconds(from, to);
}

/** A quarter of an hour (time zones are whole quarters off UTC): the local day and hour of one. */
const QUARTER_MS = 900_000;

/** Computes the report of a period. */
export async function computeReport(db: Db, o: ReportOptions): Promise<ReportFigures> {
  // The sorts and hashes of a big period fit in memory rather than spill to disk.
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local work_mem = '64MB'`);
    await tx.execute(sql`set local jit = off`);
    return compute(tx, o);
  });
}

async function compute(db: Db, o: ReportOptions): Promise<ReportFigures> {
  const { since, until } = o.period;
  const now = o.now ?? new Date();
  const tz = o.timeZone;
  const inSpan = sql`${AT} >= ${since.toISOString()}::timestamptz and ${AT} < ${until.toISOString()}::timestamptz`;
  const firstDay = wallClock(since, tz).dayNumber;
  const lastDay = wallClock(new Date(until.getTime() - 1), tz).dayNumber;
  /** A quarter's local day (from the period's first) and hour, once per quarter. */
  const quarters = new Map<number, { day: number; hour: number }>();
  const local = (quarter: number) => {
    let q = quarters.get(quarter);
    if (!q) {
      const w = wallClock(quarter * QUARTER_MS, tz);
      q = { day: w.dayNumber - firstDay, hour: w.hour };
      quarters.set(quarter, q);
    }
    return q;
  };

  // One pass over the period's SMS: per quarter of an hour (then per day and hour, in the
  // provider's zone), per conversation (channels), per agent, per failure reason.
  const grouped = await rows<{
    g: number;
    quarter: number | null;
    conv: number | null;
    agent: string | null;
    reason: string | null;
    name: string | null;
    sms_in: number;
    sms_out: number;
    segments_out: number;
    received: number;
    sent: number;
    failed: number;
    unknown: number;
    stop: number;
    start: number;
    with_link: number;
    replies: number;
  }>(
    db,
    sql`select grouping(quarter, conv, agent, reason)::int as g, quarter, conv, agent, reason,
      max(author) as name,
      count(*) filter (where direction = 'in')::int as sms_in,
      count(*) filter (where direction = 'out' and status <> 'cancelled')::int as sms_out,
      coalesce(sum(segments) filter (where direction = 'out' and status in ('submitted', 'sent', 'received')), 0)::int as segments_out,
      count(*) filter (where direction = 'out' and status = 'received')::int as received,
      count(*) filter (where direction = 'out' and status = 'sent')::int as sent,
      count(*) filter (where direction = 'out' and status = 'failed')::int as failed,
      count(*) filter (where direction = 'out' and status = 'unknown')::int as unknown,
      count(*) filter (where opt_intent = 'out')::int as stop,
      count(*) filter (where opt_intent = 'in')::int as start,
      count(*) filter (where direction = 'out' and status <> 'cancelled' and link is not null)::int as with_link,
      count(*) filter (where person)::int as replies
    from (
      select floor(extract(epoch from ${AT}) / 900)::int as quarter,
        ${messages.conversationId} as conv, ${messages.direction} as direction,
        ${messages.status} as status, ${messages.segments} as segments,
        ${messages.optIntent} as opt_intent, ${messages.link} as link, ${messages.author} as author,
        ${PERSON} as person,
        case when ${PERSON} then coalesce(${messages.authorId}, ${messages.author}, '') end as agent,
        case when ${messages.direction} = 'out' and ${messages.status} = 'failed'
          then coalesce(${messages.error}, 'no reason given') end as reason
      from ${messages} where ${inSpan}
    ) s
    group by grouping sets ((quarter), (conv), (agent), (reason))`,
  );
  // grouping(): a bit for each column grouped away (quarter 8, conversation 4, agent 2, reason 1).
  const perQuarter = grouped.filter((r) => num(r.g) === 7);
  const perConv = grouped.filter((r) => num(r.g) === 11);
  const perAgent = grouped.filter((r) => num(r.g) === 13 && r.agent !== null);
  const perReason = grouped.filter((r) => num(r.g) === 14 && r.reason !== null);
  const sum = (key: keyof (typeof grouped)[number]) =>
    perQuarter.reduce((n, r) => n + num(r[key]), 0);

  const channels = new Map<
    string,
    { platform: string; channel: string; in: number; out: number }
  >();
  const convIds = perConv.map((r) => num(r.conv));
  const convRows = convIds.length
    ? await rows<{ id: number; platform: string; channel: string | null }>(
        db,
        sql`select id, platform, channel from conversations where id = any(${`{${convIds.join(",")}}`}::int[])`,
      )
    : [];
  const where = new Map(convRows.map((c) => [num(c.id), c]));
  for (const r of perConv) {
    const c = where.get(num(r.conv));
    const key = `${c?.platform ?? "none"}\u0000${c?.channel ?? ""}`;
    const entry = channels.get(key) ?? {
      platform: c?.platform ?? "none",
      channel: c?.channel ?? "",
      in: 0,
      out: 0,
    };
    entry.in += num(r.sms_in);
    entry.out += num(r.sms_out);
    channels.set(key, entry);
  }

  const [convs] = await rows<{
    created: number;
    closed: number;
    waiting: number;
    oldest: string | null;
  }>(
    db,
    sql`select
      count(*) filter (where created_at >= ${since.toISOString()}::timestamptz and created_at < ${until.toISOString()}::timestamptz)::int as created,
      count(*) filter (where closed_at >= ${since.toISOString()}::timestamptz and closed_at < ${until.toISOString()}::timestamptz)::int as closed,
      count(*) filter (where open and waiting_since is not null)::int as waiting,
      min(waiting_since) filter (where open and waiting_since is not null)::text as oldest
    from conversations`,
  );

  const sinceIso = since.toISOString();
  const untilIso = until.toISOString();
  const events = await rows<{ kind: string; n: number }>(
    db,
    sql`select kind, count(*)::int as n from events
      where kind in ('click', 'call') and (payload->>'at') >= ${sinceIso} and (payload->>'at') < ${untilIso}
      group by kind`,
  );

  const clock = openClock(o.hours, tz);
  const responses = await firstResponses(db, o, inSpan);
  let earliest = Number.POSITIVE_INFINITY;
  for (const r of responses) earliest = Math.min(earliest, num(r.start_ms));
  if (responses.length > 0) clock.cover(earliest, until.getTime());
  const waits = responses.map((r) => ({
    agent: r.agent,
    day: local(Math.floor(num(r.reply_ms) / QUARTER_MS)).day,
    s: clock.seconds(num(r.start_ms), num(r.reply_ms)),
  }));
  const sortedWaits = waits.map((w) => w.s).sort((a, b) => a - b);
  const byAgent = new Map<string, number[]>();
  const byDay = new Map<number, number[]>();
  for (const w of waits) {
    const mine = byAgent.get(w.agent) ?? [];
    mine.push(w.s);
    byAgent.set(w.agent, mine);
    const list = byDay.get(w.day) ?? [];
    list.push(w.s);
    byDay.set(w.day, list);
  }

  const hours = Array.from({ length: 24 }, () => 0);
  const dayIn = new Map<number, number>();
  const dayOut = new Map<number, number>();
  for (const r of perQuarter) {
    const q = local(num(r.quarter));
    hours[q.hour] = (hours[q.hour] ?? 0) + num(r.sms_in);
    dayIn.set(q.day, (dayIn.get(q.day) ?? 0) + num(r.sms_in));
    dayOut.set(q.day, (dayOut.get(q.day) ?? 0) + num(r.sms_out));
  }
  const days: DayFigures[] = [];
  for (let d = firstDay; d <= lastDay; d++) {
    const i = d - firstDay;
    days.push({
      day: dayName(d),
      in: dayIn.get(i) ?? 0,
      out: dayOut.get(i) ?? 0,
      first_response_median_s: median(byDay.get(i) ?? []),
    });
  }
  const count = (kind: string) => num(events.find((e) => e.kind === kind)?.n);
  const oldest = convs?.oldest ? new Date(convs.oldest) : null;
  const report: Report = {
    since: since.toISOString(),
    until: until.toISOString(),
    timezone: tz,
    conversations: {
      active: perConv.length,
      new: num(convs?.created),
      closed: num(convs?.closed),
    },
    sms: { in: sum("sms_in"), out: sum("sms_out"), segments_out: sum("segments_out") },
    first_response_s: {
      count: waits.length,
      median: seconds(quantile(sortedWaits, 0.5)),
      p90: seconds(quantile(sortedWaits, 0.9)),
    },
    unanswered: {
      count: num(convs?.waiting),
      oldest_waiting_s: oldest
        ? Math.max(0, Math.round((now.getTime() - oldest.getTime()) / 1000))
        : null,
    },
    delivery: {
      received: sum("received"),
      sent: sum("sent"),
      failed: sum("failed"),
      unknown: sum("unknown"),
      failure_reasons: perReason
        .map((r) => ({ reason: r.reason ?? "", count: num(r.failed) }))
        .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
        .slice(0, 5),
    },
    opt_outs: { stop: sum("stop"), start: sum("start") },
    clicks: count("click"),
    calls: count("call"),
    agents: perAgent
      .map((a) => ({
        id: a.agent ?? "",
        name: a.name ?? a.agent ?? "",
        replies: num(a.replies),
        first_response_median_s: median(byAgent.get(a.agent ?? "") ?? []),
      }))
      .sort((a, b) => b.replies - a.replies || a.id.localeCompare(b.id)),
    channels: [...channels.values()].sort(
      (a, b) => b.in + b.out - (a.in + a.out) || a.channel.localeCompare(b.channel),
    ),
    in_by_hour: hours,
  };
  const empty =
    report.sms.in === 0 && report.sms.out === 0 && report.clicks === 0 && report.calls === 0;
  return { report, days, withLink: sum("with_link"), empty };
}

/**
 * The period's first responses: each person's SMS that ended a wait, with when the wait began
 * (the customer's first SMS after the previous person's SMS to that number, maybe before the
 * period) and who answered. Ordered per conversation in one window over the period's SMS; the
 * wait a conversation began the period with is looked up per conversation (two index reads).
 */
async function firstResponses(
  db: Db,
  o: ReportOptions,
  inSpan: SQL,
): Promise<{ start_ms: number; reply_ms: number; agent: string }[]> {
  const sinceAt = sql`${o.period.since.toISOString()}::timestamptz`;
  return rows(
    db,
    sql`with span as (
        select ${messages.conversationId} as conv, ${messages.id} as id, ${AT} as at,
          ${messages.direction} = 'in' as inbound, ${PERSON} as person,
          coalesce(${messages.authorId}, ${messages.author}, '') as agent
        from ${messages} where ${inSpan}
      ), marked as (
        select *, count(*) filter (where person) over (partition by conv order by at, id)
          - person::int as seg
        from span
      ), segs as (
        select conv, seg, min(at) filter (where inbound) as first_in,
          min(at) filter (where person) as reply_at, max(agent) filter (where person) as agent
        from marked group by conv, seg
      ), answered as (
        select s.*, case when s.seg = 0 then (
            select ${AT} from ${messages}
            where ${messages.conversationId} = s.conv and ${messages.direction} = 'in' and ${AT} < ${sinceAt}
              and ${AT} > coalesce((select ${AT} from ${messages}
                where ${messages.conversationId} = s.conv and ${PERSON} and ${AT} < ${sinceAt}
                order by ${messages.conversationId} desc, ${AT} desc limit 1), '-infinity')
            order by ${messages.conversationId}, ${AT} limit 1
          ) end as carried
        from segs s where s.reply_at is not null
      )
      select (extract(epoch from coalesce(least(carried, first_in), first_in, carried)) * 1000)::float8 as start_ms,
        (extract(epoch from reply_at) * 1000)::float8 as reply_ms, agent
      from answered where coalesce(first_in, carried) is not null`,
  );
}
