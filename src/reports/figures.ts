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
 * Seconds of `[from, to)` inside the opening hours (`schedule`, in `timeZone`); the whole span
 * when there are none. Opening instants are cached per local day and minute.
 */
export function businessSeconds(
  from: number,
  to: number,
  schedule: Schedule | undefined,
  timeZone: string,
  cache = new Map<string, number>(),
): number {
  if (to <= from) return 0;
  if (!schedule) return (to - from) / 1000;
  const instant = (day: number, minute: number) => {
    const key = `${day}:${minute}`;
    let t = cache.get(key);
    if (t === undefined) {
      t = instantOf(day, minute, timeZone).getTime();
      cache.set(key, t);
    }
    return t;
  };
  let total = 0;
  const first = wallClock(from, timeZone).dayNumber;
  const last = wallClock(to, timeZone).dayNumber;
  for (let day = first; day <= last; day++) {
    const weekday = new Date(day * 86_400_000).getUTCDay();
    for (const w of schedule) {
      if (w.day !== weekday) continue;
      const start = Math.max(from, instant(day, w.start));
      const end = Math.min(to, w.end >= 1440 ? instant(day + 1, 0) : instant(day, w.end));
      if (end > start) total += end - start;
    }
  }
  return total / 1000;
}

/** Computes the report of a period. */
export async function computeReport(db: Db, o: ReportOptions): Promise<ReportFigures> {
  const { since, until } = o.period;
  const now = o.now ?? new Date();
  const tz = o.timeZone;
  const inSpan = sql`${AT} >= ${since.toISOString()}::timestamptz and ${AT} < ${until.toISOString()}::timestamptz`;
  const firstDay = wallClock(since, tz).dayNumber;
  const lastDay = wallClock(new Date(until.getTime() - 1), tz).dayNumber;
  // Literals, not parameters: grouping sets compare their expressions as written.
  const zone = sql.raw(`'${tz.replace(/'/g, "''")}'`);
  const localDay = (t: SQL) =>
    sql`(((${t}) at time zone ${zone})::date - date '${sql.raw(dayName(firstDay))}')`;
  const localHour = sql`extract(hour from ${AT} at time zone ${zone})`;

  // One pass over the period's SMS: totals, per day, per hour, per conversation (channels).
  const grouped = await rows<{
    g: number;
    day: number | null;
    hour: number | null;
    conv: number | null;
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
  }>(
    db,
    sql`select grouping(${localDay(AT)}, ${localHour}, ${messages.conversationId})::int as g,
      ${localDay(AT)} as day,
      ${localHour}::int as hour,
      ${messages.conversationId} as conv,
      count(*) filter (where ${messages.direction} = 'in')::int as sms_in,
      count(*) filter (where ${messages.direction} = 'out' and ${messages.status} <> 'cancelled')::int as sms_out,
      coalesce(sum(${messages.segments}) filter (where ${messages.direction} = 'out' and ${messages.status} in ('submitted', 'sent', 'received')), 0)::int as segments_out,
      count(*) filter (where ${messages.direction} = 'out' and ${messages.status} = 'received')::int as received,
      count(*) filter (where ${messages.direction} = 'out' and ${messages.status} = 'sent')::int as sent,
      count(*) filter (where ${messages.direction} = 'out' and ${messages.status} = 'failed')::int as failed,
      count(*) filter (where ${messages.direction} = 'out' and ${messages.status} = 'unknown')::int as unknown,
      count(*) filter (where ${messages.optIntent} = 'out')::int as stop,
      count(*) filter (where ${messages.optIntent} = 'in')::int as start,
      count(*) filter (where ${messages.direction} = 'out' and ${messages.status} <> 'cancelled' and ${messages.link} is not null)::int as with_link
    from ${messages}
    where ${inSpan}
    group by grouping sets ((), (${localDay(AT)}), (${localHour}), (${messages.conversationId}))`,
  );
  // grouping(): a bit set for each grouped-away column (day 4, hour 2, conversation 1).
  const total = grouped.find((r) => num(r.g) === 7);
  const perDay = grouped.filter((r) => num(r.g) === 3);
  const perHour = grouped.filter((r) => num(r.g) === 5);
  const perConv = grouped.filter((r) => num(r.g) === 6);

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

  const reasons = await rows<{ reason: string | null; n: number }>(
    db,
    sql`select coalesce(${messages.error}, 'no reason given') as reason, count(*)::int as n
      from ${messages}
      where ${inSpan} and ${messages.direction} = 'out' and ${messages.status} = 'failed'
      group by 1 order by 2 desc, 1 limit 5`,
  );

  const sinceIso = since.toISOString();
  const untilIso = until.toISOString();
  const events = await rows<{ kind: string; n: number }>(
    db,
    sql`select kind, count(*)::int as n from events
      where kind in ('click', 'call') and (payload->>'at') >= ${sinceIso} and (payload->>'at') < ${untilIso}
      group by kind`,
  );

  const responses = await firstResponses(db, o, inSpan, localDay);
  const cache = new Map<string, number>();
  const waits = responses.map((r) => ({
    ...r,
    s: businessSeconds(num(r.start_ms), num(r.reply_ms), o.hours, tz, cache),
  }));
  const sortedWaits = waits.map((w) => w.s).sort((a, b) => a - b);

  const agents = await rows<{ id: string; name: string | null; replies: number }>(
    db,
    sql`select coalesce(${messages.authorId}, ${messages.author}, '') as id,
        max(${messages.author}) as name, count(*)::int as replies
      from ${messages} where ${inSpan} and ${PERSON}
      group by 1 order by 3 desc, 1`,
  );

  const hours = Array.from({ length: 24 }, () => 0);
  for (const r of perHour) hours[num(r.hour)] = num(r.sms_in);
  const days: DayFigures[] = [];
  for (let d = firstDay; d <= lastDay; d++) {
    const row = perDay.find((r) => num(r.day) === d - firstDay);
    days.push({
      day: dayName(d),
      in: num(row?.sms_in),
      out: num(row?.sms_out),
      first_response_median_s: median(
        waits.filter((w) => num(w.day) === d - firstDay).map((w) => w.s),
      ),
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
    sms: {
      in: num(total?.sms_in),
      out: num(total?.sms_out),
      segments_out: num(total?.segments_out),
    },
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
      received: num(total?.received),
      sent: num(total?.sent),
      failed: num(total?.failed),
      unknown: num(total?.unknown),
      failure_reasons: reasons.map((r) => ({ reason: r.reason ?? "", count: num(r.n) })),
    },
    opt_outs: { stop: num(total?.stop), start: num(total?.start) },
    clicks: count("click"),
    calls: count("call"),
    agents: agents.map((a) => ({
      id: a.id,
      name: a.name ?? a.id,
      replies: num(a.replies),
      first_response_median_s: median(waits.filter((w) => w.agent === a.id).map((w) => w.s)),
    })),
    channels: [...channels.values()].sort(
      (a, b) => b.in + b.out - (a.in + a.out) || a.channel.localeCompare(b.channel),
    ),
    in_by_hour: hours,
  };
  const empty =
    report.sms.in === 0 && report.sms.out === 0 && report.clicks === 0 && report.calls === 0;
  return { report, days, withLink: num(total?.with_link), empty };
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
  localDay: (t: SQL) => SQL,
): Promise<{ start_ms: number; reply_ms: number; agent: string; day: number }[]> {
  const sinceAt = sql`${o.period.since.toISOString()}::timestamptz`;
  return rows(
    db,
    sql`with span as (
        select ${messages.conversationId} as conv, ${messages.id} as id, ${AT} as at,
          ${messages.direction} = 'in' as inbound, ${PERSON} as person,
          coalesce(${messages.authorId}, ${messages.author}, '') as agent
        from ${messages} where ${inSpan}
      ), marked as (
        select *, count(*) filter (where person)
          over (partition by conv order by at, id rows between unbounded preceding and 1 preceding) as seg
        from span
      ), segs as (
        select conv, seg, min(at) filter (where inbound) as first_in,
          min(at) filter (where person) as reply_at, max(agent) filter (where person) as agent
        from marked group by conv, seg
      ), answered as (
        select s.*, case when s.seg = 0 then (
            select min(${AT}) from ${messages}
            where ${messages.conversationId} = s.conv and ${messages.direction} = 'in' and ${AT} < ${sinceAt}
              and ${AT} > coalesce((select max(${AT}) from ${messages}
                where ${messages.conversationId} = s.conv and ${PERSON} and ${AT} < ${sinceAt}), '-infinity')
          ) end as carried
        from segs s where s.reply_at is not null
      )
      select (extract(epoch from coalesce(least(carried, first_in), first_in, carried)) * 1000)::float8 as start_ms,
        (extract(epoch from reply_at) * 1000)::float8 as reply_ms,
        agent, ${localDay(sql`reply_at`)} as day
      from answered where coalesce(first_in, carried) is not null`,
  );
}
