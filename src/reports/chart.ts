// The report's chart, one PNG of two panels: SMS in and out per day with the first response
// median per day, then SMS in by hour of day. Drawn by pureimage (pure JavaScript: nothing
// native, nothing downloaded) with the DejaVu Sans font of the dejavu-fonts-ttf package, both
// loaded only when a chart is drawn (dynamic import): the callback path never holds them.
// 960 × 720 with 20 px text and up: readable at Slack's and Discord's preview sizes.
// docs/reports.md says why this library and what else was weighed.
import { createRequire } from "node:module";
import { PassThrough } from "node:stream";
import type { ReportFigures } from "./figures.ts";
import { duration } from "./words.ts";

export const CHART_WIDTH = 960;
export const CHART_HEIGHT = 720;

const FAMILY = "DejaVu Sans";
const COLORS = {
  background: "#ffffff",
  text: "#1f2933",
  faint: "#7b8794",
  grid: "#e4e7eb",
  in: "#2f6fbf",
  out: "#e5853b",
  response: "#2f9e63",
};

type PImage = typeof import("pureimage");
let loaded: Promise<PImage> | undefined;

/** pureimage and the font, once per process, when the first chart is drawn. */
function pureimage(): Promise<PImage> {
  loaded ??= (async () => {
    const lib = await import("pureimage");
    const path = createRequire(import.meta.url).resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf");
    await lib.registerFont(path, FAMILY).load();
    return lib;
  })();
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}

/** A round maximum and a whole step for an axis that must reach `max` (at least 1). */
export function niceScale(max: number, ticks = 5): { max: number; step: number } {
  const raw = Math.max(1, max) / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  // Whole steps: counts, seconds, minutes and hours all read best as whole numbers.
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw);
  return { max: Math.ceil(Math.max(1, max) / step) * step, step };
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** Draws the chart of a report; resolves with the PNG's bytes. */
export async function drawChart(f: ReportFigures): Promise<Buffer> {
  const PI = await pureimage();
  const img = PI.make(CHART_WIDTH, CHART_HEIGHT);
  const ctx = img.getContext("2d");
  ctx.fillStyle = COLORS.background;
  ctx.fillRect(0, 0, CHART_WIDTH, CHART_HEIGHT);
  const text = (
    s: string,
    x: number,
    y: number,
    o: { size?: number; color?: string; align?: "left" | "center" | "right" } = {},
  ) => {
    ctx.font = `${o.size ?? 20}pt '${FAMILY}'`;
    ctx.fillStyle = o.color ?? COLORS.text;
    const w = ctx.measureText(s).width;
    const left = o.align === "right" ? x - w : o.align === "center" ? x - w / 2 : x;
    ctx.fillText(s, left, y);
  };
  const line = (x1: number, y1: number, x2: number, y2: number, color: string, width = 1) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
    ctx.stroke();
  };
  const r = f.report;

  // ── Panel 1: SMS in and out per day, first response median per day ──
  const p1 = { left: 80, right: CHART_WIDTH - 90, top: 96, bottom: 370 };
  text("SMS per day", 24, 36, { size: 22 });
  text(`${f.days[0]?.day ?? ""} → ${f.days.at(-1)?.day ?? ""} (${r.timezone})`, 24, 64, {
    size: 14,
    color: COLORS.faint,
  });
  const legend = (x: number, color: string, label: string) => {
    ctx.fillStyle = color;
    ctx.fillRect(x, 44, 18, 18);
    text(label, x + 24, 61, { size: 15 });
  };
  legend(CHART_WIDTH - 470, COLORS.in, "in");
  legend(CHART_WIDTH - 400, COLORS.out, "out");
  legend(CHART_WIDTH - 320, COLORS.response, "first response (median)");
  const counts = niceScale(Math.max(0, ...f.days.flatMap((d) => [d.in, d.out])));
  const medians = f.days.map((d) => d.first_response_median_s);
  // The right axis, in seconds, minutes or hours, whichever keeps its numbers short.
  const longest = Math.max(0, ...medians.map((m) => m ?? 0));
  const unit = longest < 120 ? 1 : longest < 7200 ? 60 : 3600;
  const response = niceScale(longest / unit, 4);
  const yResponse = (s: number) => p1.bottom - (s / unit / response.max) * (p1.bottom - p1.top);
  const y1 = (v: number) => p1.bottom - (v / counts.max) * (p1.bottom - p1.top);
  for (let v = 0; v <= counts.max; v += counts.step) {
    line(p1.left, y1(v), p1.right, y1(v), COLORS.grid);
    text(String(v), p1.left - 10, y1(v) + 6, { size: 14, align: "right", color: COLORS.faint });
  }
  for (let v = 0; v <= response.max; v += response.step)
    text(duration(v * unit), p1.right + 8, yResponse(v * unit) + 6, {
      size: 13,
      color: COLORS.response,
    });
  const n = Math.max(1, f.days.length);
  const slot = (p1.right - p1.left) / n;
  const bar = Math.max(2, Math.min(36, slot * 0.36));
  const every = Math.ceil(n / 10);
  /** The median's points, null where a day had no first response (the line breaks there). */
  const points: ([number, number] | null)[] = [];
  f.days.forEach((d, i) => {
    const x = p1.left + slot * i + slot / 2;
    ctx.fillStyle = COLORS.in;
    ctx.fillRect(x - bar, y1(d.in), bar, p1.bottom - y1(d.in));
    ctx.fillStyle = COLORS.out;
    ctx.fillRect(x, y1(d.out), bar, p1.bottom - y1(d.out));
    if (i % every === 0) {
      const weekday = WEEKDAYS[new Date(`${d.day}T00:00:00Z`).getUTCDay()] ?? "";
      text(`${weekday} ${d.day.slice(8)}`, x, p1.bottom + 26, { size: 14, align: "center" });
    }
    const m = d.first_response_median_s;
    points.push(m === null ? null : [x, yResponse(m)]);
  });
  line(p1.left, p1.bottom, p1.right, p1.bottom, COLORS.faint, 2);
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1], points[i]];
    if (a && b) line(a[0], a[1], b[0], b[1], COLORS.response, 4);
  }
  for (const [x, y] of points.filter((p) => p !== null)) {
    ctx.fillStyle = COLORS.response;
    ctx.fillRect(x - 6, y - 6, 12, 12);
  }
  if (f.empty)
    text("No SMS in this period", (p1.left + p1.right) / 2, (p1.top + p1.bottom) / 2, {
      size: 22,
      align: "center",
      color: COLORS.faint,
    });

  // ── Panel 2: SMS in by hour of day ──
  const p2 = { left: 80, right: CHART_WIDTH - 90, top: 470, bottom: 660 };
  text("SMS in by hour of day", 24, 440, { size: 22 });
  const hours = niceScale(Math.max(0, ...r.in_by_hour), 4);
  const y2 = (v: number) => p2.bottom - (v / hours.max) * (p2.bottom - p2.top);
  for (let v = 0; v <= hours.max; v += hours.step) {
    line(p2.left, y2(v), p2.right, y2(v), COLORS.grid);
    text(String(v), p2.left - 10, y2(v) + 6, { size: 14, align: "right", color: COLORS.faint });
  }
  const hourSlot = (p2.right - p2.left) / 24;
  r.in_by_hour.forEach((v, h) => {
    const x = p2.left + hourSlot * h;
    ctx.fillStyle = COLORS.in;
    ctx.fillRect(x + hourSlot * 0.15, y2(v), hourSlot * 0.7, p2.bottom - y2(v));
    if (h % 3 === 0)
      text(`${String(h).padStart(2, "0")}h`, x + hourSlot / 2, p2.bottom + 26, {
        size: 14,
        align: "center",
      });
  });
  line(p2.left, p2.bottom, p2.right, p2.bottom, COLORS.faint, 2);

  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (c: Buffer) => chunks.push(c));
  await PI.encodePNGToStream(img, out);
  return Buffer.concat(chunks);
}
