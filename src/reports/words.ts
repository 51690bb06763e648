// The report as people read it (the digest, `/sms report`, `report --format text`) and as a
// spreadsheet reads it (`--format csv`: one figure per row). Plain text: it reads the same on
// Slack, on Discord and in a terminal.
import { type Catalogue, fill, wordsOf } from "../contracts/index.ts";
import { wallClock } from "../kernel/time.ts";
import type { ReportFigures } from "./figures.ts";

/** 45 s, 4 min 12 s, 2 h 05 min, 3 days 4 h. */
export function duration(s: number | null, w: Catalogue = wordsOf()): string {
  if (s === null) return "–";
  const t = Math.round(s);
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min${t % 60 ? ` ${t % 60} s` : ""}`;
  if (t < 48 * 3600) {
    const m = Math.floor((t % 3600) / 60);
    return `${Math.floor(t / 3600)} h${m ? ` ${String(m).padStart(2, "0")} min` : ""}`;
  }
  const h = Math.floor((t % 86_400) / 3600);
  return `${fill(w.report.days, { n: Math.floor(t / 86_400) })}${h ? ` ${h} h` : ""}`;
}

/** A local date, with its time unless it is midnight: "2026-11-02", "2026-11-02 14:30". */
export function localDate(at: Date, timeZone: string): string {
  const w = wallClock(at, timeZone);
  const p = (n: number) => String(n).padStart(2, "0");
  const date = `${w.year}-${p(w.month)}-${p(w.day)}`;
  return w.hour === 0 && w.minute === 0 ? date : `${date} ${p(w.hour)}:${p(w.minute)}`;
}

/** `n` with the word that fits it: `one` for 1, `many` otherwise (the catalogue's). */
const plural = (n: number, one: string, many: string) => fill(n === 1 ? one : many, { n });

/** The report in words, one figure per line, in `w` (BRIDGE_LANGUAGE's in chat; English by default). */
export function reportText(
  f: ReportFigures,
  o: { businessHours: boolean },
  w: Catalogue = wordsOf(),
): string {
  const r = f.report;
  const t = w.report;
  const dur = (s: number | null) => duration(s, w);
  const since = new Date(r.since);
  const until = new Date(r.until);
  const lines = [
    fill(t.title, {
      since: localDate(since, r.timezone),
      until: localDate(until, r.timezone),
      zone: r.timezone,
    }),
  ];
  if (f.empty) lines.push(t.empty);
  const c = r.conversations;
  lines.push(fill(t.conversations, { active: c.active, new: c.new, closed: c.closed }));
  const segments = plural(r.sms.segments_out, t.segment, t.segments);
  lines.push(fill(t.sms, { in: r.sms.in, out: r.sms.out, segments }));
  const fr = r.first_response_s;
  lines.push(
    fr.count === 0
      ? fill(t.noFirstResponse, { hours: o.businessHours ? t.noFirstResponseHours : "" })
      : fill(t.firstResponse, {
          median: dur(fr.median),
          p90: dur(fr.p90),
          answers: plural(fr.count, t.answer, t.answers),
          hours: o.businessHours ? t.firstResponseHours : "",
        }),
  );
  const u = r.unanswered;
  lines.push(
    u.count === 0
      ? t.unansweredNone
      : fill(t.unanswered, { count: u.count, oldest: dur(u.oldest_waiting_s) }),
  );
  const d = r.delivery;
  lines.push(
    fill(t.delivery, { received: d.received, sent: d.sent, failed: d.failed, unknown: d.unknown }),
  );
  for (const reason of d.failure_reasons) lines.push(`  • ${reason.reason} ×${reason.count}`);
  const perLink =
    f.withLink > 0 ? fill(t.perLink, { clicks: (r.clicks / f.withLink).toFixed(1) }) : "";
  lines.push(
    fill(t.optOuts, {
      stop: r.opt_outs.stop,
      start: r.opt_outs.start,
      clicks: r.clicks,
      perLink,
      calls: r.calls,
    }),
  );
  if (r.agents.length > 0)
    lines.push(
      fill(t.agents, {
        list: r.agents
          .slice(0, 10)
          .map(
            (a) =>
              `${a.name} ${plural(a.replies, t.reply, t.replies)}${a.first_response_median_s === null ? "" : fill(t.agentFirstResponse, { duration: dur(a.first_response_median_s) })}`,
          )
          .join(" · "),
      }),
    );
  if (r.channels.length > 0)
    lines.push(
      fill(t.channels, {
        list: r.channels
          .slice(0, 10)
          .map((ch) =>
            fill(t.channel, {
              platform: ch.platform,
              channel: ch.channel || t.noChannel,
              in: ch.in,
              out: ch.out,
            }),
          )
          .join(" · "),
      }),
    );
  const busiest = r.in_by_hour
    .map((n, h) => ({ n, h }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n || a.h - b.h)
    .slice(0, 3);
  if (busiest.length > 0)
    lines.push(
      fill(t.busiest, {
        list: busiest.map((x) => `${String(x.h).padStart(2, "0")}:00 (${x.n})`).join(", "),
      }),
    );
  return lines.join("\n");
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One figure per row (`figure,value`), the JSON's names joined by dots, then the days. */
export function reportCsv(f: ReportFigures): string {
  const rows: [string, unknown][] = [];
  const walk = (prefix: string, v: unknown) => {
    if (Array.isArray(v) && v.every((x) => typeof x === "number")) {
      for (const [i, x] of v.entries()) rows.push([`${prefix}.${String(i).padStart(2, "0")}`, x]);
    } else if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(`${prefix}.${i}`, x);
    } else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x);
    } else rows.push([prefix, v]);
  };
  walk("", f.report);
  for (const d of f.days) {
    rows.push([`days.${d.day}.in`, d.in]);
    rows.push([`days.${d.day}.out`, d.out]);
    rows.push([`days.${d.day}.first_response_median_s`, d.first_response_median_s]);
  }
  return `figure,value\n${rows.map(([k, v]) => `${csvCell(k)},${csvCell(v)}`).join("\n")}\n`;
}
