// The HTTP app: the provider's callback (src/http/callback.ts) in front of Express, which has
// every other route and /healthz; and the one place errors become HTTP answers.
import type { RequestListener, ServerResponse } from "node:http";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { Logger } from "pino";
import type { Env } from "../boot/env.ts";
import type { SmsProvider } from "../contracts/index.ts";
import type { StoredEvent } from "../conversations/keys.ts";
import type { Database } from "../db/database.ts";
import {
  DatabaseHealth,
  DeadlineError,
  dataErrorCode,
  isDatabaseUnavailable,
  withDeadline,
} from "../db/health.ts";
import type { DegradedStatus } from "../flows/degraded.ts";
import { Batcher } from "../ingest/batcher.ts";
import { phoneOf, storeEvents } from "../ingest/inbox.ts";
import { AppError, errorMessage } from "../kernel/errors.ts";
import { maskPhone } from "../kernel/phone.ts";
import { jobsNotifier } from "../queue/jobs.ts";
import { callbackRoute } from "./callback.ts";

export interface AppOptions {
  database: Database;
  provider: SmsProvider;
  callbackSecret: string;
  /** The callback URL's first segment, the provider's name (`/<path>/callback/<secret>`). */
  callbackPath: string;
  log: Logger;
  /** Routes mounted before any body parser (Slack verifies signatures on the raw body). */
  platformRouter?: Router;
  /** Wakes this process's worker, if it runs one, when callbacks were stored. */
  wakeWorker?: () => void;
  /** Pages for people (the setup page at `/`, src/http/setup-page.ts), after every other route. */
  pages?: Router;
  /** What refuses the bridge or is down (src/flows/degraded.ts), shown on /healthz. */
  degraded?: () => Promise<DegradedStatus>;
}

export { sameSecret, secretIn } from "./callback.ts";

export function createApp(o: AppOptions) {
  const app = express();
  app.disable("x-powered-by");
  // No ETag: nothing here is cached, and the callback path need not hash each answer.
  app.set("etag", false);
  app.set("query parser", "simple");

  const health = new DatabaseHealth({
    probe: () => o.database.probe(),
    probeTimeoutMs: 1500,
    onChange: (up, reason) =>
      up
        ? o.log.info("database reachable again")
        : o.log.error({ err: scrub(reason) }, "database unreachable: answering 503"),
  });
  // 200 while the database answers; a chat platform or the provider that refuses the bridge is a
  // degraded part, not a dead process: said in `chat` and `sms`, still 200.
  app.get("/healthz", async (_req, res) => {
    if (health.up && (await health.check())) {
      // Never a /healthz that hangs on it: without an answer in time, the parts are left out.
      const parts = o.degraded
        ? await withDeadline(o.degraded(), 1000, "degraded parts").catch(() => undefined)
        : undefined;
      res.json({
        ok: true,
        database: o.database.kind,
        ...(parts ? { chat: parts.chat, sms: parts.sms } : {}),
      });
      return;
    }
    res.status(503).json({ ok: false, error: "database unavailable" });
  });

  // Store, then answer: a batch of callbacks is one statement (src/ingest/inbox.ts); the worker acts.
  // This process's worker at once, the others (`serve --no-worker` + `worker`) by NOTIFY: at
  // every batch when this process has no worker, at most every NOTIFY_EVERY_MS when it has one
  // (they are helpers then; a NOTIFY a batch was a tenth of a busy `serve`'s statements, bench
  // figure 7).
  const notify = jobsNotifier(o.database, o.wakeWorker ? NOTIFY_EVERY_MS : 0);
  const wake = () => {
    o.wakeWorker?.();
    notify();
  };
  // A batch has a deadline of its own: a statement the driver never settles (its connection
  // died under it and nothing said so) must not keep its slot, and the requests behind it,
  // forever while the database answers the probe. The pool's stall watch finds such a
  // connection first (about 2 s, src/db/stall.ts); this is the backstop. The pool is replaced:
  // the next batches go out on fresh connections. (A batch that did commit was answered 503:
  // the provider calls again and the repeat is recognised.)
  const store = async (list: StoredEvent[]) => {
    try {
      const fresh = await withDeadline(
        storeEvents(o.database, list, wake),
        BATCH_DEADLINE_MS,
        "store",
      );
      // One line per batch, off the requests' path: a sync write to stdout per callback was a
      // fifth of the callback's CPU at LOG_LEVEL=info (bench/profile-ingest.ts).
      if (o.log.isLevelEnabled("info")) o.log.info(storedFields(list, fresh), "callbacks stored");
      return fresh;
    } catch (err) {
      if (err instanceof DeadlineError) {
        o.log.warn({ ms: BATCH_DEADLINE_MS }, "callbacks not stored in time: new connections");
        o.database.reset?.();
      }
      throw err;
    }
  };
  // One batch at a time while commits are quick, so that what arrives meanwhile shares the next
  // (4 always in flight made batches of ~4 at figure 1's load, and a socket write and a commit
  // for each: 1.28x the reference, 1.56x with one); up to 4 when a commit is slow or stuck (a
  // connection gone silent must not hold every callback until the stall watch finds it).
  const ingest = new Batcher<StoredEvent, boolean>(store, {
    maxInFlight: o.database.kind === "pglite" ? 1 : 4,
    spreadAfterMs: SPREAD_AFTER_MS,
    maxQueue: 2000,
    oneByOne: (err) => !isDatabaseUnavailable(err),
  });
  // Embedded PGlite is never slow to fail (closed means an error at once): no probe there.
  const patience = o.database.kind === "pglite" ? Number.POSITIVE_INFINITY : INGEST_PATIENCE_MS;
  const callback = callbackRoute({
    provider: o.provider,
    callbackSecret: o.callbackSecret,
    callbackPath: o.callbackPath,
    log: o.log,
    health,
    ingest,
    patience,
    budget: INGEST_BUDGET_MS,
    refuse: (err, res) => refuse(err, "callback", res),
  });
  const callbackPrefix = `/${o.callbackPath.toLowerCase()}/callback`;
  // Cheap checks first: the method and the secret, before any body is read. Mounted on the
  // prefix, the gate reads the secret from the raw path (secretIn), so a `/` in it matches
  // whether it came encoded (%2F) or not; a malformed %-escape is a bad request (400).
  app.use(`/${o.callbackPath}/callback`, callback.gate);
  app.all(
    `/${o.callbackPath}/callback/*secret`,
    express.urlencoded({ extended: false, limit: "64kb" }),
    express.json({ limit: "64kb" }),
    callback.handle,
  );

  // The chat platforms' routes after the callback's, which each callback would otherwise walk.
  if (o.platformRouter) app.use(o.platformRouter);
  if (o.pages) app.use(o.pages);

  app.use((_req, res) => {
    res.status(404).json({ error: "not found" });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    refuse(err, req.path.toLowerCase().startsWith(callbackPrefix) ? "callback" : "other", res);
  });
  // The provider's GET is answered before Express (src/http/callback.ts); the rest goes to it.
  const handler: RequestListener = (req, res) => {
    if (!callback.fast(req, res)) app(req, res);
  };
  return handler;

  /** The one way an error is answered and logged, on Express's routes and before them. */
  function refuse(err: unknown, route: "callback" | "other", res: ServerResponse): void {
    const { status, message } = toHttp(err);
    // Never the path or the raw message of a request error: the callback path holds the secret.
    if (status >= 500) {
      const level = status === 503 ? "warn" : "error";
      o.log[level]({ status, route, err: scrub(errorMessage(err)) }, "request failed");
    } else if (status !== 404) {
      o.log.warn({ status, route, reason: message }, "request refused");
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ error: message });
    res.writeHead(status, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(body),
    });
    res.end(body);
  }

  /** Belt and braces: the secret never reaches a log line, even inside a driver's message. */
  function scrub(text: string): string {
    if (!o.callbackSecret) return text;
    const forms = [o.callbackSecret, encodeURIComponent(o.callbackSecret)];
    return forms.reduce((t, form) => t.split(form).join("***"), text);
  }
}

/**
 * How long a callback waits for its batch before the database is probed. The probe decides
 * for everyone: answered, callbacks go on waiting (a busy machine's healthy pool can be slow for
 * a moment, and a 503 would only make the provider call again); not answered within 1.5 s, the
 * database counts as unreachable and every callback waiting is answered 503 at once, the next
 * ones straight away (src/db/health.ts). A database known to be down (a connection refused or
 * reset) is refused at once; these waits are for one that is silent (a black-holed network).
 * The probe has a connection of its own (Database.probe): a pool busy with the work a recovered
 * database lets through is not a database gone.
 */
const INGEST_PATIENCE_MS = 400;

/**
 * The most a callback waits while no probe has answered since it arrived: then it alone is
 * answered 503, so that every callback is answered within 1 s (issue 22) while the probe, still
 * out, decides whether the database is gone. Once a probe answers it waits on (slow is not gone).
 */
const INGEST_BUDGET_MS = 750;

/**
 * The most a batch of callbacks may take before it counts as lost with its connection: far
 * above its slowest seen under load (~0.3 s), and under a provider's patience.
 */
const BATCH_DEADLINE_MS = 4000;
/** How long a batch commits alone before another starts beside it (src/ingest/batcher.ts). */
const SPREAD_AFTER_MS = 25;

/**
 * The most often a process that has its own worker wakes the other processes' workers after
 * storing callbacks (its own is woken at once): a worker of another process takes them this
 * much later at most, well under its poll.
 */
const NOTIFY_EVERY_MS = 100;

/**
 * The one error → HTTP mapping. Our own errors carry their status; a request that Express or
 * the body parsers refused keeps theirs (415 charset or Content-Encoding, 400 bad escape, 413);
 * a value the database cannot hold is 422; only the database being unreachable (or too busy) is
 * 503, so the provider calls again rather than losing it; anything else is a 500.
 */
export function toHttp(err: unknown): { status: number; message: string } {
  if (err instanceof AppError) return { status: err.status, message: err.message };
  if (isDatabaseUnavailable(err))
    return { status: 503, message: "temporarily unavailable, try again" };
  const e = err as { type?: unknown; status?: unknown; statusCode?: unknown };
  const status = Number(e?.status ?? e?.statusCode);
  if (status >= 400 && status < 500) {
    return { status, message: REQUEST_ERRORS[String(e.type)] ?? "bad request" };
  }
  if (dataErrorCode(err))
    return { status: 422, message: "a value in this request cannot be stored" };
  return { status: 500, message: "internal error" };
}

/** body-parser's error types (its messages may quote the request: never sent back). */
const REQUEST_ERRORS: Record<string, string> = {
  "entity.parse.failed": "unreadable request body",
  "entity.too.large": "request body too large",
  "charset.unsupported": "unsupported charset",
  "encoding.unsupported": "unsupported content encoding",
  "request.aborted": "request aborted",
  "request.size.invalid": "request size did not match content length",
  "parameters.too.many": "too many parameters",
};

/** What the log says of a stored batch: counts, and the numbers (masked) of the first few. */
function storedFields(list: StoredEvent[], fresh: boolean[]) {
  const kinds: Record<string, number> = {};
  for (const e of list) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
  return {
    callbacks: list.length,
    repeats: fresh.filter((f) => !f).length,
    kinds,
    phones: list.slice(0, 10).map((e) => maskPhone(phoneOf(e))),
  };
}

/**
 * Where the provider must call, with the secret masked unless `reveal`. The secret is one path
 * segment, percent-encoded: any secret works (Render generates base64, which may hold `/` and
 * `+`); the callback route compares it decoded (createApp's gate).
 */
export function callbackUrl(env: Env, port: number, secret: string, reveal = false): string {
  const base = (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, "");
  const shown = reveal ? encodeURIComponent(secret) : "<secret>"; // not even a part of it in the logs
  return `${base}/${env.sms.descriptor.callbackPath}/callback/${shown}`;
}
