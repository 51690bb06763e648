// What works and what to do next, for the setup page (src/http/setup-page.ts) and `ardary-bridge
// doctor` (src/cli/doctor.ts): one part per piece (the database, the SMS provider, each chat
// platform), each a list of lines ✓ ⚠️ ✗. The core checks what is its own (the database, the
// queue, the callback URL, when the provider last called back, the last send); each adapter adds
// its lines (its descriptor's from the configuration, its adapter's that call out). Calls out are
// made at most once a minute (`remote`), and no look waits past its deadline: a part whose
// platform does not answer says "no answer" and the call's answer serves the next look.
import type {
  ChatAdapter,
  CheckState,
  SetupContext,
  SetupFile,
  SetupLine,
  SmsProvider,
} from "../contracts/index.ts";
import * as store from "../conversations/store.ts";
import type { Database } from "../db/database.ts";
import { DeadlineError, withDeadline } from "../db/health.ts";
import { maskedDatabaseUrl } from "../db/pg-options.ts";
import { lastCallbackAt } from "../ingest/inbox.ts";
import { errorMessage, NoAnswerError } from "../kernel/errors.ts";
import { listJobs } from "../queue/overview.ts";
import { ephemeralPlatform } from "./checks.ts";
import { type Env, offChat } from "./env.ts";

export interface SetupPart {
  /** Stable key: "database", or the adapter's name. */
  id: string;
  /** For people: "Database", "Ardary", "Slack". */
  name: string;
  /** The worst of its lines (an `off` line counts for nothing). */
  state: CheckState;
  lines: SetupLine[];
}

export interface SetupReport {
  /** When it was made (ISO). */
  at: string;
  /** The process that made it, for people. */
  process: string;
  /** True when no line is ✗: `doctor` exits 0. */
  ok: boolean;
  parts: SetupPart[];
}

export interface LookOptions {
  /** The address people reach the bridge at, when PUBLIC_URL does not say (the page's request). */
  requestUrl?: string;
  /** How long calls out may keep this look waiting (the page: under a second). */
  deadlineMs: number;
}

export interface SetupSources {
  env: Env;
  database: Database;
  provider: SmsProvider;
  chat: Map<string, ChatAdapter>;
  processName: string;
  /** The port this process listens on (a local callback URL), when it does. */
  port?: number;
  /** Secrets to keep out of every line, besides those the environment holds (the callback's). */
  secrets?: string[];
}

export interface Setup {
  report(o: LookOptions): Promise<SetupReport>;
  /** Files served at /setup/<name> (Slack's manifest…), from every adapter, on or off. */
  files(): SetupFile[];
}

/** How long an answer from outside is reused. */
export const REMOTE_TTL_MS = 60_000;

const ORDER: CheckState[] = ["off", "ok", "warn", "fail"];

/** The worst state of the lines (off counts for nothing; only off lines: off). */
export function worst(lines: SetupLine[]): CheckState {
  return lines.reduce<CheckState>(
    (w, l) => (ORDER.indexOf(l.state) > ORDER.indexOf(w) ? l.state : w),
    "off",
  );
}

/** A past moment for people: "just now", "4 min ago", "3 h ago", "2 days ago". */
export function ago(at: Date, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - at.getTime()) / 1000));
  if (s < 45) return "just now";
  if (s < 90 * 60) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

interface Cached {
  promise: Promise<unknown>;
  settledAt?: number;
}

/**
 * Values that must never show: every variable whose name says it is a secret (tokens, keys,
 * secrets, passwords), the database's password, and the ones given.
 */
function secretsOf(env: Env, more: string[]): string[] {
  const found = [...more];
  for (const [k, v] of Object.entries(env.values))
    if (/TOKEN|SECRET|KEY|PASSWORD/.test(k) && typeof v === "string") found.push(v);
  if (env.DATABASE_URL) {
    try {
      const password = decodeURIComponent(new URL(env.DATABASE_URL).password);
      if (password) found.push(password);
    } catch {}
  }
  return found.filter((s) => s.length >= 6);
}

/** Every string of a line with the secrets cut out (belt and braces: no line should hold one). */
function scrubbed(line: SetupLine, secrets: string[]): SetupLine {
  const cut = (s: string) => secrets.reduce((t, secret) => t.split(secret).join("***"), s);
  return {
    ...line,
    label: cut(line.label),
    found: cut(line.found),
    ...(line.todo === undefined ? {} : { todo: cut(line.todo) }),
    ...(line.command === undefined ? {} : { command: cut(line.command) }),
    ...(line.link ? { link: { href: cut(line.link.href), text: cut(line.link.text) } } : {}),
  };
}

/** Numbers of 6 digits or more (a phone number in an error text) masked. */
function masked(text: string): string {
  return text.replace(/\+?\d[\d ]{4,}\d/g, (m) => `${m.slice(0, 3)}…`);
}

export function createSetup(s: SetupSources): Setup {
  const { env } = s;
  const cache = new Map<string, Cached>();
  const secrets = secretsOf(env, s.secrets ?? []);
  const provider = env.sms.descriptor;
  const label = (d: { name: string; label?: string }) => d.label ?? d.name;

  /** `remote` for one part: reuses an answer for a minute, waits until `deadline` at most. */
  const remoteFor =
    (part: string, deadline: number, deadlineMs: number) =>
    <T>(name: string, call: () => Promise<T>): Promise<T> => {
      const key = `${part}:${name}`;
      let entry = cache.get(key);
      const now = Date.now();
      if (!entry || (entry.settledAt !== undefined && now - entry.settledAt >= REMOTE_TTL_MS)) {
        const made: Cached = { promise: Promise.resolve().then(call) };
        made.promise.then(
          () => {
            made.settledAt = Date.now();
          },
          () => {
            made.settledAt = Date.now();
          },
        );
        cache.set(key, made);
        entry = made;
      }
      const promise = entry.promise as Promise<T>;
      if (entry.settledAt !== undefined) return promise;
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        promise,
        new Promise<T>((_, reject) => {
          timer = setTimeout(
            () => reject(new NoAnswerError(name, deadlineMs)),
            Math.max(0, deadline - Date.now()),
          );
          timer.unref();
        }),
      ]).finally(() => clearTimeout(timer));
    };

  /** An adapter's own checks, cut short at the deadline (a part that does not answer says so). */
  async function adapterChecks(
    name: string,
    run: (() => Promise<SetupLine[]>) | undefined,
    deadlineMs: number,
  ): Promise<SetupLine[]> {
    if (!run) return [];
    try {
      // A little past the calls' own deadline: they say which one did not answer.
      return await withDeadline(run(), deadlineMs + 150, `${name} checks`);
    } catch (err) {
      const silent = err instanceof NoAnswerError || err instanceof DeadlineError;
      return [
        {
          id: "checks",
          label: "Checks",
          state: "warn",
          found: silent ? `no answer within ${deadlineMs / 1000} s` : errorMessage(err),
          todo: `look again in a minute; if it goes on, the log says what ${name} answers`,
        },
      ];
    }
  }

  /** The database, and its jobs: the probe and the count go together, each with its deadline. */
  async function databasePart(deadlineMs: number): Promise<SetupPart> {
    const lines: SetupLine[] = [];
    const where = env.DATABASE_URL
      ? `Postgres (${maskedDatabaseUrl(env.DATABASE_URL)})`
      : env.DATA_DIR.startsWith("memory://")
        ? "the embedded database (PGlite), in memory"
        : `the embedded database (PGlite) in ${env.DATA_DIR}`;
    const jobs = withDeadline(listJobs(s.database.db), deadlineMs, "jobs");
    jobs.catch(() => {}); // read below, once the probe has said whether the database answers
    let up = true;
    try {
      await withDeadline(s.database.probe(), deadlineMs, "database");
    } catch {
      up = false;
    }
    const platform = ephemeralPlatform(env);
    lines.push(
      !up
        ? {
            id: "connection",
            label: "Connection",
            state: "fail",
            found: `${where} does not answer`,
            todo: env.DATABASE_URL
              ? "check that the database runs and that DATABASE_URL names it"
              : "restart the bridge; the log says why the embedded database stopped",
          }
        : s.database.kind === "pglite" && platform
          ? {
              id: "connection",
              label: "Connection",
              state: "warn",
              found: `${where}: ${platform} wipes this disk at each restart, with every conversation`,
              todo: "add a Postgres database and set DATABASE_URL",
            }
          : env.DATA_DIR.startsWith("memory://") && !env.DATABASE_URL
            ? {
                id: "connection",
                label: "Connection",
                state: "warn",
                found: `${where}: lost when the process stops`,
                todo: "set DATA_DIR to a folder, or DATABASE_URL",
              }
            : { id: "connection", label: "Connection", state: "ok", found: `${where} answers` },
    );
    if (up) {
      try {
        const counts = await jobs;
        const waiting = counts.pending.reduce((n, p) => n + p.count, 0);
        const dead = counts.dead.length;
        lines.push({
          id: "jobs",
          label: "Jobs",
          state: dead > 0 ? "warn" : "ok",
          found: `${waiting === 0 ? "none" : waiting} waiting; ${dead === 0 ? "none" : `${dead}${dead === 100 ? "+" : ""}`} given up after their last attempt`,
          ...(dead > 0
            ? {
                todo: "see why, then try them again",
                command: "npx ardary-bridge jobs; npx ardary-bridge jobs retry --dead",
              }
            : {}),
        });
      } catch (err) {
        lines.push({ id: "jobs", label: "Jobs", state: "warn", found: errorMessage(err) });
      }
    }
    return { id: "database", name: "Database", state: worst(lines), lines };
  }

  /** The callback URL, when the provider last called, the last send: the core's own lines. */
  async function callbackLines(ctx: SetupContext, dbMs: number): Promise<SetupLine[]> {
    const local = provider.isLocal?.(env.sms.config) ?? false;
    const base = (
      ctx.publicUrl ?? (local && s.port !== undefined ? `http://localhost:${s.port}` : undefined)
    )?.replace(/\/$/, "");
    const url = base && `${base}/${provider.callbackPath}/callback/<secret>`;
    const where = provider.callbackWhere ?? `${label(provider)}'s dashboard`;
    const command = "npx ardary-bridge callback-url";
    const lines: SetupLine[] = [];
    lines.push(
      !url
        ? {
            id: "callback-url",
            label: "Callback URL",
            state: "warn",
            found: "not known: PUBLIC_URL is not set",
            todo: `set PUBLIC_URL to this server's https:// address, then enter the callback URL in ${where}`,
            command,
          }
        : ctx.guessed && !local
          ? {
              id: "callback-url",
              label: "Callback URL",
              state: "warn",
              found: `${url} (the secret hidden), from the address you opened this page at`,
              todo: `set PUBLIC_URL=${base} so that the bridge knows its address; enter the URL in ${where}`,
              command,
            }
          : {
              id: "callback-url",
              label: "Callback URL",
              state: "ok",
              found: `${url} (the secret hidden)`,
              todo: local
                ? "a local stand-in: nothing to enter anywhere"
                : `enter it, whole, in ${where}`,
              command,
            },
    );
    const unread = (id: string, label: string): SetupLine => ({
      id,
      label,
      state: "warn",
      found: `not read: the database did not answer within ${dbMs / 1000} s`,
      todo: "look again in a minute",
    });
    const [last, sent] = await Promise.all([
      withDeadline(lastCallbackAt(s.database.db), dbMs, "last callback").catch(() => null),
      withDeadline(store.lastOutbound(s.database.db), dbMs, "last send").catch(() => null),
    ]);
    if (last === null) lines.push(unread("last-callback", "Last called back"));
    else
      lines.push(
        last
          ? {
              id: "last-callback",
              label: "Last called back",
              state: "ok",
              found: ctx.ago(last),
            }
          : {
              id: "last-callback",
              label: "Last called back",
              state: "warn",
              found: "never",
              todo: `once an SMS was sent or received, ${label(provider)} calls back: if it never does, the URL in ${where} is wrong; enter the one above`,
              command,
            },
      );
    lines.push(sent === null ? unread("last-send", "Last send") : lastSendLine(sent, ctx));
    return lines;
  }

  function lastSendLine(
    m: Awaited<ReturnType<typeof store.lastOutbound>>,
    ctx: SetupContext,
  ): SetupLine {
    const line = { id: "last-send", label: "Last send" };
    if (!m)
      return {
        ...line,
        state: "warn",
        found: "no SMS sent yet",
        todo: "send one to your own phone",
        command: 'npx ardary-bridge send --to <your number> --text "test"',
      };
    const when = ctx.ago(new Date(m.createdAt));
    const name = label(provider);
    switch (m.status) {
      case "submitted":
        return { ...line, state: "ok", found: `accepted by ${name} (${when})` };
      case "sent":
        return { ...line, state: "ok", found: `sent by ${name} (${when})` };
      case "received":
        return { ...line, state: "ok", found: `received on the phone (${when})` };
      case "cancelled":
        return { ...line, state: "ok", found: `cancelled before it left (${when})` };
      case "queued":
        return {
          ...line,
          state: Date.now() - new Date(m.createdAt).getTime() > 2 * 60_000 ? "warn" : "ok",
          found: `waiting to be sent (${when})`,
          todo: "if it waits long, a worker may not be running: see the jobs",
          command: "npx ardary-bridge jobs",
        };
      case "unknown":
        return {
          ...line,
          state: "warn",
          found: `outcome unknown: ${name} did not answer in time (${when})`,
          todo: "its delivery report decides; the thread offers Retry if none comes",
        };
      default:
        return {
          ...line,
          state: "warn",
          found: `failed (${when}): ${masked(m.error ?? "no reason given")}`,
          todo: "the reason says what to change; the thread shows it too",
        };
    }
  }

  return {
    files: () => env.descriptors.flatMap((d) => d.setupFiles ?? []),

    async report(o) {
      const deadline = Date.now() + o.deadlineMs;
      const publicUrl = env.PUBLIC_URL ?? o.requestUrl;
      const context = (part: string): SetupContext => ({
        publicUrl,
        guessed: !env.PUBLIC_URL && publicUrl !== undefined,
        remote: remoteFor(part, deadline, o.deadlineMs),
        ago: (at) => ago(at),
      });
      // Every part at once: a database or a platform that is slow delays no other part.
      const dbMs = Math.min(o.deadlineMs, 1500);
      const smsCtx = context(provider.name);
      const smsPart = (async (): Promise<SetupPart> => {
        const lines = [
          ...(provider.setupLines?.(env.sms.config, smsCtx) ?? []),
          ...(await callbackLines(smsCtx, dbMs)),
          ...(await adapterChecks(
            label(provider),
            s.provider.setupChecks &&
              (() => s.provider.setupChecks?.(smsCtx) ?? Promise.resolve([])),
            o.deadlineMs,
          )),
        ];
        return { id: provider.name, name: label(provider), state: worst(lines), lines };
      })();

      const off = new Set(offChat(env).map((d) => d.name));
      const noneOn = env.chat.length === 0;
      const chatParts = env.descriptors.flatMap((d) => {
        if (d.kind !== "chat") return [];
        return [
          (async (): Promise<SetupPart> => {
            const ctx = context(d.name);
            const adapter = s.chat.get(d.name);
            const lines: SetupLine[] = off.has(d.name)
              ? [
                  {
                    id: "on",
                    label: "Turned on",
                    state: noneOn ? "warn" : "off",
                    found: noneOn ? "no chat platform is on: nobody sees the SMS" : "off",
                    todo: d.howToEnable,
                  },
                  ...(d.setupLines?.(null, ctx) ?? []),
                ]
              : [
                  ...(await adapterChecks(
                    label(d),
                    adapter?.setupChecks &&
                      (() => adapter.setupChecks?.(ctx) ?? Promise.resolve([])),
                    o.deadlineMs,
                  )),
                  ...(d.setupLines?.(env.adapters[d.name], ctx) ?? []),
                ];
            return { id: d.name, name: label(d), state: worst(lines), lines };
          })(),
        ];
      });
      const [database, sms, ...chat] = await Promise.all([
        databasePart(dbMs),
        smsPart,
        ...chatParts,
      ]);

      const parts = [database, sms, ...chat].map((p) => ({
        ...p,
        lines: p.lines.map((l) => scrubbed(l, secrets)),
      }));
      return {
        at: new Date().toISOString(),
        process: s.processName,
        ok: parts.every((p) => p.state !== "fail"),
        parts,
      };
    },
  };
}
