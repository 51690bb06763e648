// A first look without any account: `ardary-bridge try` (npm run try) runs the SMS provider's
// local stand-in (its descriptor's `trial`) and the bridge together, wired to each other, and
// has a customer write in; `ardary-bridge tail` shows it; `conversations` lists them.
import type { Logger } from "pino";
import { callServer, runningServer, withDatabase } from "./admin.ts";
import { openDatabase } from "./db.ts";
import { type Env, loadEnv } from "./env.ts";
import { type Feed, type FeedCursor, listConversations, readFeed } from "./feed.ts";
import { callbackUrl, startBridge } from "./main.ts";

const FIRST_CUSTOMER = "+33612345678";

/** The bridge's callback URL, read as `callback-url` reads it (the running server, or the db). */
export async function bridgeCallbackUrl(env: Env): Promise<string> {
  return withDatabase(
    env,
    async (server) => (await callServer<{ url: string }>(server, "/callback-url")).url,
    async (services) => callbackUrl(env, env.PORT, services.callbackSecret, true),
  );
}

/** Runs the provider's stand-in and the bridge pointed at it, until a signal. */
export async function runTrial(log: Logger): Promise<void> {
  const base = loadEnv();
  const provider = await base.sms.descriptor.trial?.();
  if (!provider) throw new Error(`the SMS provider ${base.sms.descriptor.name} has no trial mode`);
  const env = loadEnv({ ...process.env, ...provider.env });
  const running = await startBridge(env, log);
  provider.connect(
    callbackUrl(env, running.port, running.callbackSecret, true).replace(
      /^https?:\/\/[^/]+/,
      running.url,
    ),
  );
  console.log(
    [
      "",
      `Trial: the bridge at ${running.url}, a simulated ${env.sms.descriptor.name} at ${provider.url} (nothing leaves this machine).`,
      "A customer writes in now. In another terminal:",
      "  npx ardary-bridge tail            live conversation events",
      "  npx ardary-bridge conversations   the conversations",
      `  npx ardary-bridge send --to ${FIRST_CUSTOMER} --text "On its way!"   answer (its statuses show in tail)`,
      "",
    ].join("\n"),
  );
  await provider.customerWrites(FIRST_CUSTOMER, "Hello! Is my order on its way?");
  const stop = () =>
    void running
      .close()
      .then(() => provider.close())
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
    const stop = () => void database.close().finally(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
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
    (services) => listConversations(services.database.db),
  );
  console.log(lines.length > 0 ? lines.join("\n") : "no conversations yet");
  return 0;
}
