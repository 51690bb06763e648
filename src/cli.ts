// The `ardary-bridge` command. `serve` is what `npm start` runs; the others administer a bridge.
import { parseArgs } from "node:util";
import { callServer as admin, queueFromCli, runningServer, withDatabase } from "./admin.ts";
import { testModeNotice } from "./boot-checks.ts";
import { Bridge, SMS_JOB } from "./bridge.ts";
import { migrateDatabase } from "./db.ts";
import { EnvError, loadEnv } from "./env.ts";
import { errorMessage } from "./errors.ts";
import { type JobCounts, listJobs, Worker } from "./jobs.ts";
import {
  accountDateParser,
  callbackSecretOf,
  callbackUrl,
  createLogger,
  defaultsOf,
  providerOf,
  startBridge,
} from "./main.ts";
import { createSender } from "./sender.ts";
import * as store from "./store.ts";
import * as trial from "./trial.ts";

const HELP: Record<string, string> = {
  main: `ardary-bridge: answer customer SMS (Ardary) from Slack or Discord

Usage: ardary-bridge <command> [options]

Commands:
  serve            run the bridge (HTTP server + job worker); what \`npm start\` runs
  migrate          apply database migrations and exit (the Procfile's release phase)
  send             queue an SMS and wait until the provider answered for it
  jobs             list pending and dead jobs
  callback-url     print the URL to enter in the Ardary dashboard (Parameters > API)
  try              a first look: the bridge and a simulated Ardary together (\`npm run try\`)
  tail             print conversation events as they happen (SMS in and out, statuses, clicks, calls)
  conversations    list the conversations
  simulator        run a local Ardary API for development
  simulate sms     ask a running simulator to deliver an incoming SMS to the bridge
  simulate call    ask a running simulator to deliver an incoming call to the bridge
  discord register-commands [--guild <id>]
                   register the /sms slash command with Discord (globally, or in one guild)

Every command reads its configuration from the environment (see README.md).
\`ardary-bridge <command> --help\` shows each command's options.`,
  serve:
    "Usage: ardary-bridge serve\n\nRuns the HTTP server and the job worker until SIGTERM/SIGINT.",
  migrate:
    "Usage: ardary-bridge migrate\n\nApplies the migrations (safe while other processes start).",
  send: `Usage: ardary-bridge send --to <number> --text <text> [--at <date>] [--link <url>]

  --to     recipient in international form, e.g. +33612345678
  --text   the SMS text; [Link] marks where a --link goes (added at the end if absent)
  --at     send later: "YYYY-MM-DD HH:mm" in ARDARY_TIMEZONE, or ISO-8601
  --link   a URL to track (clicks come back to the thread)`,
  jobs: "Usage: ardary-bridge jobs\n\nLists pending jobs by kind and the last dead jobs with their errors.",
  try: "Usage: ardary-bridge try\n\nRuns the bridge and a simulated Ardary wired together; a customer writes in.",
  tail: "Usage: ardary-bridge tail\n\nPrints the last conversation events, then each new one, until Ctrl-C.",
  conversations:
    "Usage: ardary-bridge conversations\n\nLists the conversations, most recent first.",
  "callback-url":
    "Usage: ardary-bridge callback-url\n\nPrints the full callback URL, secret included.",
  simulator: `Usage: ardary-bridge simulator [--port 4010] [--callback <url>]

Runs a local Ardary API at http://127.0.0.1:<port>/api. Point the bridge at it with
ARDARY_API_URL=http://127.0.0.1:<port>/api; the access key and login are ARDARY_ACCESS_KEY and
ARDARY_LOGIN (or sim-key / sim@example.com). --callback defaults to the bridge's callback URL.`,
  discord: `Usage: ardary-bridge discord register-commands [--guild <id>]

Registers /sms for DISCORD_APPLICATION_ID. With --guild it is available at once in that server;
without, globally (Discord may take up to an hour to show it everywhere).`,
  simulate: `Usage: ardary-bridge simulate sms --from <number> --text <text> [--simulator <url>]
       ardary-bridge simulate call --from <number> [--simulator <url>]

Asks a running simulator (default http://127.0.0.1:4010) to call the bridge back.`,
};

async function main(argv: string[]): Promise<number> {
  const [command = "help", ...rest] = argv;
  if (command === "help" || command === "--help" || command === "-h") return print(HELP.main);
  if (rest.includes("--help") || rest.includes("-h")) return print(HELP[command] ?? HELP.main);
  switch (command) {
    case "serve":
      return serve();
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
      return jobs();
    case "callback-url":
      return printCallbackUrl();
    case "try":
      return trial.runTrial(loadEnv(), createLogger("warn")).then(() => 0);
    case "tail":
      return trial.tail(loadEnv()).then(() => 0);
    case "conversations":
      return trial.printConversations(loadEnv());
    case "simulator":
      return simulator(rest);
    case "simulate":
      return simulate(rest);
    case "discord":
      return discord(rest);
    default:
      console.error(`unknown command "${command}"\n\n${HELP.main}`);
      return 2;
  }
}

function print(text: string | undefined): number {
  console.log(text);
  return 0;
}

async function serve(): Promise<number> {
  const env = loadEnv();
  const log = createLogger(env.LOG_LEVEL);
  const running = await startBridge(env, log);
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
    },
  });
  if (!values.to || values.text === undefined) {
    console.error(`--to and --text are required\n\n${HELP.send}`);
    return 2;
  }
  const env = loadEnv();
  const notice = testModeNotice(env);
  if (notice) console.error(`warning: ${notice}`);
  const req = { to: values.to, text: values.text, at: values.at, link: values.link };
  return withDatabase(
    env,
    async (server) => {
      const queued = await admin<{ messageId: number; idSmsApi: string }>(server, "/send", req);
      console.log(`queued through the running server (id_sms_api ${queued.idSmsApi})`);
      return waitForAnswer(() => admin<Answer | null>(server, `/messages/${queued.messageId}`));
    },
    async (database) => {
      const log = createLogger(env.LOG_LEVEL === "info" ? "warn" : env.LOG_LEVEL);
      const parseDate = accountDateParser(env);
      const bridge = new Bridge({ db: database.db, log, defaults: defaultsOf(env), parseDate });
      const queued = await queueFromCli(bridge, database, req, parseDate);
      console.log(`queued (id_sms_api ${queued.idSmsApi})`);
      // Send it now rather than wait for a server: a worker for SMS only (chat posts stay
      // queued for the server, which holds the chat connections).
      const worker = new Worker({
        database,
        handlers: {},
        batchHandlers: {
          [SMS_JOB]: {
            limit: env.ARDARY_BATCH_SIZE,
            handle: createSender({ db: database.db, provider: providerOf(env), log }),
          },
        },
        backoffBaseMs: env.JOB_BACKOFF_MS,
        onError: (_job, err) => console.error(`send failed, will retry: ${errorMessage(err)}`),
      });
      await worker.start();
      try {
        return await waitForAnswer(() => store.getMessage(database.db, queued.messageId));
      } finally {
        await worker.stop(5_000);
      }
    },
  );
}

type Answer = { status: string; error: string | null };

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

async function jobs(): Promise<number> {
  const env = loadEnv();
  const counts = await withDatabase<JobCounts>(
    env,
    (server) => admin(server, "/jobs"),
    (database) => listJobs(database.db),
  );
  console.log("Pending jobs:");
  if (counts.pending.length === 0) console.log("  none");
  for (const p of counts.pending)
    console.log(
      `  ${p.kind.padEnd(14)} ${String(p.count).padStart(6)}  next at ${p.nextRunAt ? new Date(p.nextRunAt).toISOString() : "-"}`,
    );
  console.log("Dead jobs (gave up after their last attempt):");
  if (counts.dead.length === 0) console.log("  none");
  for (const d of counts.dead)
    console.log(`  #${d.id} ${d.kind} after ${d.attempts} attempts: ${d.lastError ?? ""}`);
  return 0;
}

async function printCallbackUrl(): Promise<number> {
  const env = loadEnv();
  const url = await withDatabase(
    env,
    async (server) => (await admin<{ url: string }>(server, "/callback-url")).url,
    async (database) => callbackUrl(env, env.PORT, await callbackSecretOf(env, database), true),
  );
  console.log(url);
  return 0;
}

async function simulator(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: "string", default: "4010" }, callback: { type: "string" } },
  });
  const env = loadEnv();
  const { startSimulator } = await import("../adapters/ardary/simulator.ts");
  const sim = await startSimulator({
    port: Number(values.port),
    accessKey: env.ARDARY_ACCESS_KEY ?? "sim-key",
    login: env.ARDARY_LOGIN ?? "sim@example.com",
    // By default, the bridge's own callback URL, read as `callback-url` reads it.
    callbackUrl: values.callback ?? (await trial.bridgeCallbackUrl(env)),
  });
  console.log(
    `Ardary simulator at ${sim.apiUrl}\n  ARDARY_API_URL=${sim.apiUrl} ARDARY_ACCESS_KEY=${env.ARDARY_ACCESS_KEY ?? "sim-key"} ARDARY_LOGIN=${env.ARDARY_LOGIN ?? "sim@example.com"}`,
  );
  console.log(`  calls back ${sim.callbackUrl?.replace(/\/ardary\/callback\/.*/, "/ardary/callback/…")}`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  return new Promise(() => {});
}

async function discord(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  const { values } = parseArgs({ args: rest, options: { guild: { type: "string" } } });
  if (what !== "register-commands") {
    console.error(HELP.discord);
    return 2;
  }
  const env = loadEnv();
  if (!env.discord) {
    console.error(
      "Discord is not configured: set DISCORD_BOT_TOKEN, DISCORD_APPLICATION_ID and DISCORD_CHANNEL",
    );
    return 1;
  }
  const { registerCommands } = await import("../adapters/discord/commands.ts");
  const names = await registerCommands(env.discord, values.guild);
  console.log(
    `registered ${values.guild ? `in guild ${values.guild}` : "globally"}: ${names.map((n) => `/${n}`).join(", ")}`,
  );
  return 0;
}

async function simulate(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      from: { type: "string" },
      text: { type: "string" },
      simulator: { type: "string", default: "http://127.0.0.1:4010" },
    },
  });
  if (
    (what !== "sms" && what !== "call") ||
    !values.from ||
    (what === "sms" && values.text === undefined)
  ) {
    console.error(HELP.simulate);
    return 2;
  }
  const path = what === "sms" ? "/_sim/inbound" : "/_sim/call";
  const body = what === "sms" ? { from: values.from, text: values.text } : { phone: values.from };
  const res = await fetch(`${values.simulator}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  console.log(`simulator: ${res.status} ${await res.text()}`);
  return res.ok ? 0 : 1;
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
