// The `ardary-bridge` command. `serve` is what `npm start` runs; the others administer a bridge.
import { parseArgs } from "node:util";
import { ADAPTERS } from "../adapters/index.ts";
import { testModeNotice } from "./boot/checks.ts";
import { type Env, EnvError, loadEnv, timeZoneOf, trialSource } from "./boot/env.ts";
import { createLogger, features } from "./boot/services.ts";
import { DOCTOR_HELP, runDoctor } from "./cli/doctor.ts";
import { callServer as admin, withDatabase } from "./cli/local.ts";
import { runCommand } from "./cli/run.ts";
import * as trial from "./cli/trial.ts";
import type { AdapterCommand } from "./contracts/index.ts";
import * as store from "./conversations/store.ts";
import { migrateDatabase } from "./db/database.ts";
import { installDriverFaultGuard } from "./db/driver-guard.ts";
import { queueFromCli, runningServer, unconfiguredProvider } from "./http/admin.ts";
import { callbackUrl } from "./http/app.ts";
import { errorMessage } from "./kernel/errors.ts";
import { formatInZone } from "./kernel/time.ts";
import { startBridge } from "./main.ts";
import { type JobCounts, listJobs } from "./queue/overview.ts";

const HELP: Record<string, string> = {
  main: `ardary-bridge: answer customer SMS (%SMS_PROVIDERS%) from %CHAT_PLATFORMS%

Usage: ardary-bridge <command> [options]

Commands:
  serve            run the bridge (HTTP server + job worker); what \`npm start\` runs
                   (--no-worker: HTTP only)
  worker           run the jobs and the chat connections, without HTTP
  migrate          apply database migrations and exit (the Procfile's release phase)
  send             queue an SMS and wait until the provider answered for it
  jobs             list pending and dead jobs; \`jobs retry <id>|--dead\` re-queues dead ones
  callback-url     print the URL to enter in the SMS provider's dashboard
  doctor           check the set-up: database, SMS provider, chat platforms (✓ ⚠️ ✗; --json)
  try              a first look: the bridge and a local stand-in of the provider (\`npm run try\`)
  tail             print conversation events as they happen (SMS in and out, statuses, clicks, calls)
  conversations    list the conversations
%ADAPTER_COMMANDS%

Every command reads its configuration from the environment (see docs/configuration.md).
\`ardary-bridge <command> --help\` shows each command's options.`,
  serve:
    "Usage: ardary-bridge serve [--no-worker]\n\nRuns the HTTP server and the job worker until SIGTERM/SIGINT.\n  --no-worker  HTTP only: callbacks and chat events are stored; a `worker` process runs the jobs",
  worker:
    "Usage: ardary-bridge worker\n\nRuns the jobs (sends, chat posts) and the chat connections, without HTTP, until SIGTERM/SIGINT.",
  migrate:
    "Usage: ardary-bridge migrate\n\nApplies the migrations (safe while other processes start).",
  send: `Usage: ardary-bridge send --to <number> --text <text> [--at <date>] [--link <url>] [--author <name>] [--marketing]

  --to        recipient in international form, e.g. +33612345678
  --text      the SMS text; [Link] marks where a --link goes (added at the end if absent)
  --at        send later: "YYYY-MM-DD HH:mm" in %TIMEZONE_VAR%, or ISO-8601 (a time that has
              passed is refused)
  --link      a URL to track (clicks come back to the thread)
  --author    who writes it, as the thread shows it (and the export's author_id); SMS_SIGNATURE
              is added only with an author
  --marketing a promotion: the STOP notice is added and it is held until the hours marketing
              SMS may leave (MARKETING_HOURS, default mon-sat 08:00-20:00, never on a public
              holiday: MARKETING_HOLIDAYS); the command then returns, the server sends it

Refused at once, nothing queued, while the SMS provider's credentials are not set.`,
  jobs: `Usage: ardary-bridge jobs [--utc]
       ardary-bridge jobs retry <id>… | --dead

Lists pending jobs by kind (when the next is due: in %TIMEZONE_VAR%, or UTC with --utc) and
the last dead jobs with their errors and conversations.
\`retry\` puts dead jobs back in the queue with fresh attempts (an SMS keeps its reference, so
the provider never gets it twice).`,
  "callback-url":
    "Usage: ardary-bridge callback-url\n\nPrints the full callback URL, secret included.",
  doctor: DOCTOR_HELP,
  try: "Usage: ardary-bridge try\n\nRuns the bridge and a local stand-in of the SMS provider wired together; a customer writes in.",
  tail: "Usage: ardary-bridge tail [--utc]\n\nPrints the last conversation events, then each new one, until Ctrl-C.\nTimes are in the SMS provider's time zone (%TIMEZONE_VAR%); --utc shows them in UTC.",
  conversations:
    "Usage: ardary-bridge conversations [--unanswered | --phone <number> | --name <name>] [--utc]\n\nLists the conversations, most recent first, each with its number of SMS.\n  --unanswered  only those waiting for an answer, oldest wait first\n  --phone, --name  that customer's threads and last SMS\n  --utc  times in UTC (by default in %TIMEZONE_VAR%)",
};

/** The commands adapters bring (`simulator`, `discord`…), given their configuration. */
function adapterCommands(env: Env | null): Map<string, AdapterCommand> {
  const all = new Map<string, AdapterCommand>();
  for (const d of ADAPTERS)
    for (const [name, cmd] of Object.entries(
      d.commands?.(env?.adapters[d.name] ?? null, { publicUrl: env?.PUBLIC_URL }) ?? {},
    ))
      all.set(name, cmd);
  return all;
}

/** The variable that names the account's time zone, as each SMS provider calls it. */
function timezoneVars(): string {
  return ADAPTERS.flatMap((d) => (d.kind === "sms" ? [d.timezoneVar] : [])).join(" or ");
}

function mainHelp(): string {
  const lines = [...adapterCommands(null)].map(([n, c]) => `  ${n.padEnd(16)} ${c.summary}`);
  // The features' commands (src/boot/services.ts FEATURES).
  for (const [n, c] of features.cli) lines.push(`  ${n.padEnd(16)} ${c.summary}`);
  const labels = (kind: string) =>
    ADAPTERS.filter((d) => d.kind === kind).map((d) => d.label ?? d.name);
  return (
    HELP.main
      ?.replace("%ADAPTER_COMMANDS%", lines.join("\n"))
      .replace("%SMS_PROVIDERS%", labels("sms").join(", "))
      .replace("%CHAT_PLATFORMS%", labels("chat").join(" or ")) ?? ""
  );
}

async function main(argv: string[]): Promise<number> {
  const [command = "help", ...rest] = argv;
  if (command === "help" || command === "--help" || command === "-h") return print(mainHelp());
  const fromAdapter = adapterCommands(null).get(command);
  const registered = features.cli.get(command);
  if (rest.includes("--help") || rest.includes("-h"))
    return print(
      HELP[command]?.replaceAll("%TIMEZONE_VAR%", timezoneVars()) ??
        registered?.help ??
        (await fromAdapter?.help()) ??
        mainHelp(),
    );
  if (registered) return runCommand(loadEnv(), command, registered, rest);
  switch (command) {
    case "serve":
      return serve({ worker: !rest.includes("--no-worker") });
    case "worker":
      return serve({ http: false });
    case "migrate": {
      const env = loadEnv();
      const server = runningServer(env);
      if (server) {
        console.log(`migrations applied by the running server (pid ${server.pid}) when it started`);
        return 0;
      }
      await migrateDatabase({ url: env.DATABASE_URL, dataDir: env.DATA_DIR });
      console.log(
        `migrations applied (${env.DATABASE_URL ? "postgres" : `PGlite in ${env.DATA_DIR}`})`,
      );
      return 0;
    }
    case "send":
      return send(rest);
    case "jobs":
      return jobs(rest);
    case "callback-url":
      return printCallbackUrl();
    case "doctor":
      return runDoctor(rest, () => loadEnv());
    case "try":
      // The shell's database and chat variables are not the trial's (src/boot/env.ts trialSource).
      return trial
        .runTrial(loadEnv(trialSource({})), createLogger("warn"), startBridge)
        .then(() => 0);
    case "tail":
      return trial.tail(trial.lookEnv(loadEnv()), rest.includes("--utc")).then(() => 0);
    case "conversations": {
      const utc = rest.includes("--utc");
      // --phone N / --name X: that customer's history (src/replies/history.ts).
      const filter = rest.findIndex((a) => a === "--phone" || a === "--name");
      const history = features.cli.get("history");
      if (filter >= 0 && history) {
        const query = rest.slice(filter + 1).filter((a) => a !== "--utc");
        const args = [...query, ...(utc ? ["--utc"] : [])];
        return runCommand(trial.lookEnv(loadEnv()), "history", history, args);
      }
      return trial.printConversations(trial.lookEnv(loadEnv()), rest.includes("--unanswered"), utc);
    }
    default: {
      if (fromAdapter) {
        const env = loadEnv();
        return (adapterCommands(env).get(command) as AdapterCommand).run(rest);
      }
      console.error(`unknown command "${command}"\n\n${mainHelp()}`);
      return 2;
    }
  }
}

function print(text: string | undefined): number {
  console.log(text);
  return 0;
}

async function serve(o: { http?: boolean; worker?: boolean }): Promise<number> {
  const env = loadEnv();
  const log = createLogger(env.LOG_LEVEL);
  let reset: (() => void) | undefined; // a driver fault replaces the pool (src/db/driver-guard.ts)
  installDriverFaultGuard(log, () => reset?.());
  const running = await startBridge(env, log, undefined, o);
  reset = running.database.reset;
  const stop = (signal: string) => {
    log.info({ signal }, "stopping: no new work, finishing the jobs in hand");
    setTimeout(() => {
      log.error("could not stop within 25 s: exiting");
      process.exit(1);
    }, 25_000).unref();
    running.close().then(
      () => process.exit(0),
      (err) => {
        log.error({ err: errorMessage(err) }, "error while stopping");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  return new Promise(() => {}); // runs until a signal
}

async function send(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      to: { type: "string" },
      text: { type: "string" },
      at: { type: "string" },
      link: { type: "string" },
      author: { type: "string" },
      marketing: { type: "boolean" },
    },
  });
  if (!values.to || values.text === undefined) {
    console.error(`--to and --text are required\n\n${HELP.send}`);
    return 2;
  }
  const env = trial.lookEnv(loadEnv());
  // Said at once, before anything is queued: an SMS the provider cannot take is never queued.
  const missing = unconfiguredProvider(env);
  if (missing) {
    console.error(`not sent: ${missing}`);
    return 1;
  }
  const notice = testModeNotice(env);
  if (notice) console.error(`warning: ${notice}`);
  const req = {
    to: values.to,
    text: values.text,
    at: values.at,
    link: values.link,
    author: values.author,
    marketing: values.marketing === true,
  };
  return withDatabase(
    env,
    async (server) => {
      const queued = await admin<Queued>(server, "/send", req);
      console.log(`queued through the running server (reference ${queued.ref})`);
      if (queued.marketing) console.log(queued.marketing);
      // Held until the allowed hours: the server sends it then.
      if (queued.heldUntil) return 0;
      return waitForAnswer(() => admin<Answer | null>(server, `/messages/${queued.messageId}`));
    },
    async (services) => {
      const queued: Queued = await queueFromCli(services, req);
      console.log(`queued (reference ${queued.ref})`);
      if (queued.marketing) console.log(queued.marketing);
      if (queued.heldUntil) return 0;
      // Send it now rather than wait for a server: a worker for SMS only (chat posts stay
      // queued for the server, which holds the chat connections).
      const worker = services.worker(["sms"]);
      await worker.start();
      try {
        return await waitForAnswer(() => store.getMessage(services.database.db, queued.messageId));
      } finally {
        await worker.stop(5_000);
      }
    },
  );
}

type Answer = { status: string; error: string | null };
/** What `send` is told once its SMS is queued (src/http/admin.ts queueFromCli). */
type Queued = { messageId: number; ref: string | null; marketing?: string; heldUntil?: string };

/** Polls an SMS for up to 30 s until the provider has answered for it, then reports. */
async function waitForAnswer(read: () => Promise<Answer | null | undefined>): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const m = await read();
    if (m && m.status !== "queued") return report(m);
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log("still queued (the provider has not answered): the server goes on trying");
  return 0;
}

function report(m: Answer): number {
  if (m.status === "failed") {
    console.error(`failed: ${m.error}`);
    return 1;
  }
  console.log(`accepted by the provider (${m.status})`);
  return 0;
}

async function jobs(args: string[]): Promise<number> {
  const env = loadEnv();
  if (args[0] === "retry") {
    const which = args.includes("--dead") ? "all" : args.slice(1).map(Number);
    if (which !== "all" && (which.length === 0 || which.some((n) => !Number.isInteger(n)))) {
      console.error(HELP.jobs);
      return 2;
    }
    const retried = await withDatabase(
      env,
      (server) => admin<{ ids: number[] }>(server, "/jobs/retry", { which }),
      async (services) => ({ ids: await services.bridge.retryJobs(which) }),
    );
    console.log(
      retried.ids.length === 0
        ? "no dead job to retry"
        : `re-queued: ${retried.ids.map((id) => `#${id}`).join(", ")}`,
    );
    return retried.ids.length === 0 ? 1 : 0;
  }
  const counts = await withDatabase<JobCounts>(
    env,
    (server) => admin(server, "/jobs"),
    (services) => listJobs(services.database.db),
  );
  const zone = timeZoneOf(env, args.includes("--utc"));
  console.log("Pending jobs:");
  if (counts.pending.length === 0) console.log("  none");
  for (const p of counts.pending)
    console.log(
      `  ${p.kind.padEnd(14)} ${String(p.count).padStart(6)}  next at ${p.nextRunAt ? formatInZone(new Date(p.nextRunAt), zone) : "-"}`,
    );
  console.log("Dead jobs (gave up after their last attempt):");
  if (counts.dead.length === 0) console.log("  none");
  for (const d of counts.dead) {
    const conv = d.conversationId === null ? "" : ` (conversation ${d.conversationId})`;
    console.log(`  #${d.id} ${d.kind}${conv} after ${d.attempts} attempts: ${d.lastError ?? ""}`);
  }
  return 0;
}

async function printCallbackUrl(): Promise<number> {
  const env = loadEnv();
  const url = await withDatabase(
    env,
    async (server) => (await admin<{ url: string }>(server, "/callback-url")).url,
    async (services) => callbackUrl(env, env.PORT, services.callbackSecret, true),
  );
  console.log(url);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof EnvError ? err.message : `error: ${errorMessage(err)}`);
    process.exitCode = 1;
  },
);
