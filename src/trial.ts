// A first look without any account: `ardary-bridge try` (npm run try) runs the Ardary
// simulator and the bridge together, wired to each other, and has a customer write in;
// `ardary-bridge tail` shows it; `ardary-bridge conversations` lists the conversations.
import type { Logger } from "pino";
import { callServer, runningServer, withDatabase } from "./admin.ts";
import { openDatabase } from "./db.ts";
import type { Env } from "./env.ts";
import { type Feed, type FeedCursor, listConversations, readFeed } from "./feed.ts";
import { callbackSecretOf, callbackUrl, startBridge } from "./main.ts";

export const SIM_KEY = "sim-key";
export const SIM_LOGIN = "sim@example.com";
const FIRST_CUSTOMER = "+33612345678";

/** The bridge's callback URL, read as `callback-url` reads it (the running server, or the db). */
export async function bridgeCallbackUrl(env: Env): Promise<string> {
  return withDatabase(
    env,
    async (server) => (await callServer<{ url: string }>(server, "/callback-url")).url,
    async (database) => callbackUrl(env, env.PORT, await callbackSecretOf(env, database), true),
  );
}

/** Runs the simulator (port 4010, or a free one) and the bridge pointed at it, until a signal. */
export async function runTrial(base: Env, log: Logger): Promise<void> {
  const { startSimulator } = await import("../adapters/ardary/simulator.ts");
  const options = { accessKey: SIM_KEY, login: SIM_LOGIN };
  const sim = await startSimulator({ ...options, port: 4010 }).catch(() =>
    startSimulator({ ...options, port: 0 }),
  );
  const env: Env = {
    ...base,
    ARDARY_API_URL: sim.apiUrl,
    ARDARY_ACCESS_KEY: SIM_KEY,
    ARDARY_LOGIN: SIM_LOGIN,
    // The simulator plays the provider: "prod" makes it answer with delivery statuses.
    ARDARY_MODE: "prod",
  };
  const running = await startBridge(env, log);
  sim.setCallbackUrl(`${running.url}/ardary/callback/${running.callbackSecret}`);
  console.log(
    [
      "",
      `Trial: the bridge at ${running.url}, a simulated Ardary at ${sim.url} (nothing leaves this machine).`,
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

/** Prints the last conversation events, then new ones as they happen, until a signal. */
export async function tail(env: Env, pollMs = 500): Promise<void> {
  const server = runningServer(env);
  let read: (cursor?: FeedCursor) => Promise<Feed>;
  if (server) {
    read = (c) =>
      callServer<Feed>(server, c ? `/feed?event=${c.event}&message=${c.message}` : "/feed");
  } else {
    const database = await openDatabase({
      url: env.DATABASE_URL,
      dataDir: env.DATA_DIR,
      maxConnections: 1,
    });
    process.once("SIGTERM", () => void database.close().finally(() => process.exit(0)));
    process.once("SIGINT", () => void database.close().finally(() => process.exit(0)));
    read = (c) => readFeed(database.db, c);
  }
  let feed = await read();
  if (feed.lines.length === 0) console.log("(no conversation events yet: waiting)");
  for (;;) {
    for (const line of feed.lines) console.log(line);
    await new Promise((r) => setTimeout(r, pollMs));
    feed = await read(feed.cursor);
  }
}

export async function printConversations(env: Env): Promise<number> {
  const lines = await withDatabase(
    env,
    (server) => callServer<string[]>(server, "/conversations"),
    (database) => listConversations(database.db),
  );
  console.log(lines.length > 0 ? lines.join("\n") : "no conversations yet");
  return 0;
}
