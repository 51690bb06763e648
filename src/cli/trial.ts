// A first look without any account: `ardary-bridge try` (npm run try) runs the SMS provider's
// local stand-in (Ardary's simulator) and the bridge together, wired to each other, and has a customer write in;
// `ardary-bridge tail` shows it; `ardary-bridge conversations` lists the conversations.
// A trial leaves no traces: its data is in a folder of its own beside DATA_DIR (`.data-try`), and
// it ignores the shell's DATABASE_URL, PUBLIC_URL and chat variables (src/boot/env.ts
// trialSource). While it runs, `tail`, `conversations` and `send` go to it, and say so.
import type { Logger } from "pino";
import { type Env, loadEnv, timeZoneOf, trialDataDir, trialSource } from "../boot/env.ts";
import { type Feed, type FeedCursor, listConversations, readFeed } from "../conversations/feed.ts";
import { openDatabase } from "../db/database.ts";
import { runningServer } from "../http/admin.ts";
import { callbackUrl } from "../http/app.ts";
import { unansweredLines } from "../team/assign.ts";
import { callServer, withDatabase } from "./local.ts";

const FIRST_CUSTOMER = "+33612345678";

/** The bridge's callback URL, read as `callback-url` reads it (the running server, or the db). */
export async function bridgeCallbackUrl(env: Env): Promise<string> {
  return withDatabase(
    env,
    async (server) => (await callServer<{ url: string }>(server, "/callback-url")).url,
    async (services) => callbackUrl(env, env.PORT, services.callbackSecret, true),
  );
}

/**
 * The environment a look at the data (`tail`, `conversations`, `send`) uses: the running trial's
 * while there is one (said on stderr), else the one given.
 */
export function lookEnv(env: Env): Env {
  const trial = { DATA_DIR: trialDataDir(env.DATA_DIR), DATABASE_URL: undefined };
  if (trial.DATA_DIR === env.DATA_DIR || !runningServer(trial)) return env;
  console.error(
    `(the trial runs: this reads it, in ${trial.DATA_DIR}; stop it with Ctrl-C to reach your own bridge)`,
  );
  return { ...env, ...trial };
}

/** What `try` runs: a bridge (src/main.ts startBridge, handed over by the command). */
export type StartBridge = (
  env: Env,
  log: Logger,
) => Promise<{ url: string; port: number; callbackSecret: string; close(): Promise<void> }>;

/** Runs the provider's stand-in (port 4010, or a free one) and the bridge pointed at it. */
export async function runTrial(base: Env, log: Logger, startBridge: StartBridge): Promise<void> {
  const standIn = base.sms.descriptor.standIn;
  if (!standIn) throw new Error(`${base.sms.descriptor.name} has no local stand-in to try`);
  const sim = await standIn(4010);
  const env = loadEnv(trialSource(sim.env));
  const running = await startBridge(env, log);
  sim.setCallbackUrl(callbackUrl(env, running.port, running.callbackSecret, true));
  console.log(
    [
      "",
      `Trial: the bridge at ${running.url}, a simulated ${base.sms.descriptor.label ?? base.sms.descriptor.name} at ${sim.url} (nothing leaves this machine).`,
      `Its data is in ${env.DATA_DIR}, apart from yours; the shell's DATABASE_URL and chat variables are ignored.`,
      `The set-up page: ${running.url}/`,
      "A customer writes in now. In another terminal:",
      "  npx ardary-bridge tail            live conversation events",
      "  npx ardary-bridge conversations   the conversations",
      `  npx ardary-bridge send --to ${FIRST_CUSTOMER} --text "Hello!"    answer (its statuses show in tail)`,
      `  npx ardary-bridge simulate sms --from +33698765432 --text "Hi" --simulator ${sim.url}`,
      "",
    ].join("\n"),
  );
  await sim.inbound(FIRST_CUSTOMER, "Hello! Is my order on its way?");
  const stop = () =>
    void running
      .close()
      .then(() => sim.close())
      .finally(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  await new Promise(() => {});
}

/**
 * Prints the last conversation events, then new ones as they happen, until a signal; times in
 * the provider's zone, or UTC (`utc`).
 */
export async function tail(env: Env, utc = false, pollMs = 500): Promise<void> {
  const server = runningServer(env);
  const zone = timeZoneOf(env, utc);
  let read: (cursor?: FeedCursor) => Promise<Feed>;
  if (server) {
    const query = `zone=${encodeURIComponent(zone)}`;
    read = (c) =>
      callServer<Feed>(
        server,
        c ? `/feed?${query}&event=${c.event}&message=${c.message}` : `/feed?${query}`,
      );
  } else {
    const database = await openDatabase({
      url: env.DATABASE_URL,
      dataDir: env.DATA_DIR,
      maxConnections: 1,
    });
    process.once("SIGTERM", () => void database.close().finally(() => process.exit(0)));
    process.once("SIGINT", () => void database.close().finally(() => process.exit(0)));
    read = (c) => readFeed(database.db, zone, c);
  }
  let feed = await read();
  if (feed.lines.length === 0) console.log("(no conversation events yet: waiting)");
  for (;;) {
    for (const line of feed.lines) console.log(line);
    await new Promise((r) => setTimeout(r, pollMs));
    feed = await read(feed.cursor);
  }
}

/**
 * `unanswered`: only the conversations waiting for an answer, oldest first. Times in
 * the provider's zone, or UTC (`utc`).
 */
export async function printConversations(
  env: Env,
  unanswered = false,
  utc = false,
): Promise<number> {
  const zone = timeZoneOf(env, utc);
  const query = `zone=${encodeURIComponent(zone)}${unanswered ? "&unanswered=1" : ""}`;
  const lines = await withDatabase(
    env,
    (server) => callServer<string[]>(server, `/conversations?${query}`),
    (services) => (unanswered ? unansweredLines : listConversations)(services.database.db, zone),
  );
  console.log(lines.length > 0 ? lines.join("\n") : "no conversations yet");
  return 0;
}
