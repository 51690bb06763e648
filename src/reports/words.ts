// The report as people read it (the digest, `/sms report`, `report --format text`) and as a
// spreadsheet reads it (`--format csv`: one figure per row). Plain text: it reads the same on
// Slack, on Discord and in a terminal.
import { wallClock } from "../kernel/time.ts";
import type { ReportFigures } from "./figures.ts";

/** 45 s, 4 min 12 s, 2 h 05 min, 3 days 4 h. */
export function duration(s: number | null): string {
  if (s === null) return "–";
  const t = Math.round(s);
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min${t % 60 ? ` ${t % 60} s` : ""}`;
  if (t < 48 * 3600) {
    const m = Math.floor((t % 3600) / 60);
    return `${Math.floor(t / 3600)} h${m ? ` ${String(m).padStart(2, "0")} min` : ""}`;
  }
  const h = Math.floor((t % 86_400) / 3600);
  return `${Math.floor(t / 86_400)} days${h ? ` ${h} h` : ""}`;
}

/** A local date, with its time unless it is midnight: "2026-11-02", "2026-11-02 14:30". */
export function localDate(at: Date, timeZone: string): string {
  const w = wallClock(at, timeZone);
  const p = (n: number) => String(n).padStart(2, "0");
  const date = `${w.year}-${p(w.month)}-${p(w.day)}`;
  return w.hour === 0 && w.minute === 0 ? date : `${date} ${p(w.hour)}:${p(w.minute)}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The report in words, one figure per line. */
export function reportText(f: ReportFigures, o: { businessHours: boolean }): string {
  const r = f.report;
  const since = new Date(r.since);
  const until = new Date(r.until);
  const lines = [
    `📊 SMS report, ${localDate(since, r.timezone)} → ${localDate(until, r.timezone)} (${r.timezone})`,
  ];
  if (f.empty) lines.push("Nothing happened in this period: no SMS, click or call.");
  const c = r.conversations;
  lines.push(`Conversations: ${c.active} active, ${c.new} new, ${c.closed} closed`);
  lines.push(
    `SMS: ${r.sms.in} in, ${r.sms.out} out (${plural(r.sms.segments_out, "segment")} billed)`,
  );
  const fr = r.first_response_s;
  lines.push(
    fr.count === 0
      ? `First response: no customer was answered in this period${o.businessHours ? " (business hours only)" : ""}`
      : `First response: median ${duration(fr.median)}, 90% within ${duration(fr.p90)} (${plural(fr.count, "answer")}${o.businessHours ? ", business hours only" : ""})`,
  );
  const u = r.unanswered;
  lines.push(
    u.count === 0
      ? "Unanswered now: none"
      : `Unanswered now: ${u.count}, the oldest waiting for ${duration(u.oldest_waiting_s)}`,
  );
  const d = r.delivery;
  lines.push(
    `Delivery: ${d.received} received on the handset, ${d.sent} sent without a receipt, ${d.failed} failed, ${d.unknown} unknown`,
  );
  for (const reason of d.failure_reasons) lines.push(`  • ${reason.reason} ×${reason.count}`);
  const perLink =
    f.withLink > 0 ? ` (${(r.clicks / f.withLink).toFixed(1)} per SMS with a link)` : "";
  lines.push(
    `STOP ${r.opt_outs.stop}, START ${r.opt_outs.start} · link clicks ${r.clicks}${perLink} · calls ${r.calls}`,
  );
  if (r.agents.length > 0)
    lines.push(
      `Agents: ${r.agents
        .slice(0, 10)
        .map(
          (a) =>
            `${a.name} ${plural(a.replies, "reply", "replies")}${a.first_response_median_s === null ? "" : ` (first response ${duration(a.first_response_median_s)})`}`,
        )
        .join(" · ")}`,
    );
  if (r.channels.length > 0)
    lines.push(
      `Channels: ${r.channels
        .slice(0, 10)
        .map((ch) => `${ch.platform} ${ch.channel || "(none)"} ${ch.in} in / ${ch.out} out`)
        .join(" · ")}`,
    );
  const busiest = r.in_by_hour
    .map((n, h) => ({ n, h }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n || a.h - b.h)
    .slice(0, 3);
  if (busiest.length > 0)
    lines.push(
      `Busiest hours (SMS in): ${busiest.map((x) => `${String(x.h).padStart(2, "0")}:00 (${x.n})`).join(", ")}`,
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
