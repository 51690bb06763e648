// The reports' variables: REPORT_CHANNEL (where the digest goes: `[platform:]channel`) and
// REPORT_SCHEDULE (when: period.ts's grammar), checked at boot (src/boot/env.ts), and what the
// reports read of the environment, wherever they run (a job, `/sms report`, the CLI).
import type { ChatAdapter } from "../contracts/index.ts";
import { optionalVar } from "../contracts/index.ts";
import type { Schedule } from "../replies/hours.ts";
import { type ReportSchedule, SCHEDULE_GRAMMAR, scheduleVar } from "./period.ts";

export const REPORT_VARS = {
  /** Where the digest is posted: a channel id, `slack:C0123`, `discord:1234…`. */
  REPORT_CHANNEL: optionalVar,
  /** When the digest is posted (src/reports/period.ts), e.g. `mon 09:00`. */
  REPORT_SCHEDULE: scheduleVar,
};

export const REPORT_HINTS: Record<string, string> = {
  REPORT_CHANNEL:
    "the channel the digest is posted in: its id, or <platform>:<id> with several chat platforms (slack:C0123ABCD)",
  REPORT_SCHEDULE: SCHEDULE_GRAMMAR,
};

/** What the reports read of the configuration. */
export interface ReportSettings {
  timeZone: string;
  /** BUSINESS_HOURS: first responses count only the time inside them. */
  hours?: Schedule;
  /** REPORT_CHANNEL as written. */
  channelSpec?: string;
  schedule?: ReportSchedule;
}

export function reportSettings(values: Record<string, unknown>, timeZone: string): ReportSettings {
  const hours = values.BUSINESS_HOURS as { schedule: Schedule } | undefined;
  return {
    timeZone,
    hours: hours?.schedule,
    channelSpec: values.REPORT_CHANNEL as string | undefined,
    schedule: values.REPORT_SCHEDULE as ReportSchedule | undefined,
  };
}

/** REPORT_CHANNEL's platform (given, else the default, else the only one on) and channel. */
export function reportTarget(
  spec: string,
  on: string[],
  defaultPlatform?: string,
): { platform: string | undefined; channel: string } {
  const m = /^([a-z][a-z0-9-]*):(.+)$/.exec(spec.trim());
  if (m && !/^\d+$/.test(m[1] ?? "")) return { platform: m[1], channel: (m[2] ?? "").trim() };
  return {
    platform: defaultPlatform ?? (on.length === 1 ? on[0] : undefined),
    channel: spec.trim(),
  };
}

/** Boot problems of the report variables, given the chat platforms that are on. */
export function reportProblems(
  source: Record<string, string | undefined>,
  on: string[],
  defaultPlatform?: string,
): string[] {
  const spec = source.REPORT_CHANNEL?.trim();
  if (!spec)
    return source.REPORT_SCHEDULE?.trim()
      ? ["REPORT_CHANNEL: required with REPORT_SCHEDULE (the channel the digest is posted in)"]
      : [];
  const { platform } = reportTarget(spec, on, defaultPlatform);
  if (on.length === 0)
    return [
      `REPORT_CHANNEL: "${spec}" names a chat channel, but no chat platform is on to post in`,
    ];
  if (!platform)
    return [
      `REPORT_CHANNEL: "${spec}": say which platform, e.g. ${on.map((p) => `${p}:${spec}`).join(" or ")}`,
    ];
  if (!on.includes(platform))
    return [
      `REPORT_CHANNEL: "${spec}": ${platform} is not a chat platform that is on (on: ${on.join(", ")})`,
    ];
  return [];
}

/** The adapter and channel the digest goes to, or why there is none. */
export function resolveTarget(
  settings: ReportSettings,
  chat: ReadonlyMap<string, ChatAdapter>,
  defaultPlatform?: string,
): { adapter: ChatAdapter; channel: string } | { problem: string } {
  if (!settings.channelSpec) return { problem: "REPORT_CHANNEL is not set" };
  const t = reportTarget(settings.channelSpec, [...chat.keys()], defaultPlatform);
  const adapter = t.platform ? chat.get(t.platform) : undefined;
  if (!adapter)
    return {
      problem: `REPORT_CHANNEL "${settings.channelSpec}": no such chat platform is on here`,
    };
  if (!adapter.postReport)
    return {
      problem: `REPORT_CHANNEL "${settings.channelSpec}": ${t.platform} cannot post reports`,
    };
  return { adapter, channel: t.channel };
}
