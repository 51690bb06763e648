// `ardary-bridge doctor`: the setup page's checks (src/boot/setup.ts) in a terminal, ✓ ⚠️ ✗ per
// line with what to do, or as JSON (`--json`). Exits 0 only when no line is ✗, so a release
// phase or a health check can use it. It asks the running server when one holds the embedded
// database (and the chat connections), else opens the database itself; a configuration that does
// not load, or a database that does not answer, is a ✗ line of its own, not a crash.
import pino from "pino";
import { type Env, EnvError } from "../boot/env.ts";
import { createServices, processName } from "../boot/services.ts";
import { createSetup, type SetupReport, worst } from "../boot/setup.ts";
import type { CheckState, SetupLine } from "../contracts/index.ts";
import { withDeadline } from "../db/health.ts";
import { DOCTOR_DEADLINE_MS, runningServer } from "../http/admin.ts";
import { errorMessage } from "../kernel/errors.ts";
import { callServer } from "./local.ts";

export const DOCTOR_HELP = `Usage: ardary-bridge doctor [--json]

Checks what the setup page (/) checks: the database, the SMS provider (credentials, mode, the
callback URL, when it last called back, the last send) and each chat platform (token, channel,
connection, commands). One line each, ✓ works, ⚠️ to look at, ✗ to fix, with what to do.
Exits 0 when nothing is ✗, 1 otherwise (usable in a release phase or a health check).
  --json   the same as JSON, for scripts`;

const SIGN: Record<CheckState, string> = { ok: "✓", warn: "⚠️", fail: "✗", off: "–" };

/** A configuration that does not load: one ✗ line per problem. */
export function configurationReport(err: EnvError): SetupReport {
  const lines: SetupLine[] = err.problems.map((p, i) => ({
    id: `problem-${i + 1}`,
    label: /^([A-Z][A-Z0-9_]+):/.exec(p)?.[1] ?? "Configuration",
    state: "fail",
    found: p.replace(/^[A-Z][A-Z0-9_]+: /, ""),
  }));
  return report([{ id: "configuration", name: "Configuration", state: "fail", lines }]);
}

function report(parts: SetupReport["parts"]): SetupReport {
  return {
    at: new Date().toISOString(),
    process: processName({ DYNO: undefined }),
    ok: parts.every((p) => p.state !== "fail"),
    parts,
  };
}

/** The checks, made here or by the running server. */
export async function doctorReport(env: Env): Promise<SetupReport> {
  const server = runningServer(env);
  if (server) return callServer<SetupReport>(server, "/setup");
  let services: Awaited<ReturnType<typeof createServices>>;
  try {
    // Chat adapters are made (their checks call out) but not started: no gateway, no events.
    services = await withDeadline(
      createServices(env, {
        log: pino({ level: "silent" }),
        chat: true,
        worker: false,
        maxConnections: 2,
      }),
      15_000,
      "database",
    );
  } catch (err) {
    const line: SetupLine = {
      id: "connection",
      label: "Connection",
      state: "fail",
      found: errorMessage(err),
      todo: env.DATABASE_URL
        ? "check that the database runs and that DATABASE_URL names it; the other checks need it"
        : "the other checks need it",
    };
    return report([{ id: "database", name: "Database", state: "fail", lines: [line] }]);
  }
  try {
    const setup = createSetup({
      ...services,
      processName: processName(env),
      port: env.PORT,
      secrets: [services.callbackSecret],
    });
    return await setup.report({ deadlineMs: DOCTOR_DEADLINE_MS });
  } finally {
    await services.close();
  }
}

/** The report for a terminal: a part per block, a line each, what to do under it. */
export function renderReport(r: SetupReport, publicUrl?: string): string {
  const count = (s: CheckState) =>
    r.parts.reduce((n, p) => n + p.lines.filter((l) => l.state === s).length, 0);
  const [fail, warn] = [count("fail"), count("warn")];
  const head =
    fail + warn === 0
      ? "everything is set up"
      : [fail > 0 ? `${fail} to fix (✗)` : "", warn > 0 ? `${warn} to look at (⚠️)` : ""]
          .filter(Boolean)
          .join(", ");
  const out = [`ardary-bridge doctor: ${head}`, ""];
  for (const p of r.parts) {
    out.push(`${SIGN[worst(p.lines)]} ${p.name}`);
    for (const l of p.lines) {
      out.push(`    ${SIGN[l.state]} ${l.label}: ${l.found}`);
      if (l.todo && l.state !== "ok") out.push(`       → ${l.todo}`);
      const href = l.link?.href.startsWith("/")
        ? publicUrl && `${publicUrl.replace(/\/$/, "")}${l.link.href}`
        : l.link?.href;
      if (href) out.push(`       ${l.link?.text}: ${href}`);
      if (l.command && l.state !== "ok") out.push(`       $ ${l.command}`);
    }
    out.push("");
  }
  return out.join("\n");
}

/** Runs the command; `load` reads the configuration (it may throw EnvError). */
export async function runDoctor(args: string[], load: () => Env): Promise<number> {
  const unknown = args.filter((a) => a !== "--json");
  if (unknown.length > 0) {
    console.error(DOCTOR_HELP);
    return 2;
  }
  let env: Env | undefined;
  let r: SetupReport;
  try {
    env = load();
    r = await doctorReport(env);
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    r = configurationReport(err);
  }
  process.stdout.write(
    args.includes("--json") ? `${JSON.stringify(r, null, 2)}\n` : renderReport(r, env?.PUBLIC_URL),
  );
  return r.ok ? 0 : 1;
}
