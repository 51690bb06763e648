// The Express app: routes, /healthz, and the one place errors become HTTP answers.
import { createHash, timingSafeEqual } from "node:crypto";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { Logger } from "pino";
import { Batcher } from "./batcher.ts";
import type { Bridge } from "./bridge.ts";
import { isObject, type SmsEvent, type SmsProvider } from "./contracts.ts";
import type { Database } from "./db.ts";
import { AppError, BadRequestError, errorMessage } from "./errors.ts";
import { maskPhone } from "./phone.ts";

export interface AppOptions {
  database: Database;
  bridge: Bridge;
  provider: SmsProvider;
  callbackSecret: string;
  /** The callback URL's first segment, the provider's name (`/<path>/callback/<secret>`). */
  callbackPath: string;
  log: Logger;
  /** Routes mounted before any body parser (Slack verifies signatures on the raw body). */
  platformRouter?: Router;
  /** Local administration for the CLI (PGlite allows one process): token-guarded. */
  adminRouter?: Router;
}

/** Compares in constant time, whatever the lengths. */
export function sameSecret(given: string, expected: string): boolean {
  const h = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(h(given), h(expected));
}

export function createApp(o: AppOptions) {
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  if (o.platformRouter) app.use(o.platformRouter);

  app.get("/healthz", async (_req, res) => {
    try {
      await withTimeout(o.database.db.execute("select 1"), 3000);
      res.json({ ok: true, database: o.database.kind });
    } catch (err) {
      o.log.warn({ err: errorMessage(err) }, "health check: database not answering");
      res.status(503).json({ ok: false, error: "database unavailable" });
    }
  });

  const ingest = new Batcher<SmsEvent, boolean>((list) => o.bridge.onSmsEvents(list), {
    maxInFlight: o.database.kind === "pglite" ? 1 : 4,
  });
  const callback = express.Router({ mergeParams: true });
  callback.use(
    express.urlencoded({ extended: false, limit: "64kb" }),
    express.json({ limit: "64kb" }),
  );
  callback.all(`/${o.callbackPath}/callback/:secret`, async (req: Request, res: Response) => {
    if (req.method !== "GET" && req.method !== "POST") {
      res.status(405).set("Allow", "GET, POST").end();
      return;
    }
    if (!sameSecret(String(req.params.secret ?? ""), o.callbackSecret)) {
      o.log.warn("callback with a wrong secret: refused");
      res.status(404).json({ error: "not found" });
      return;
    }
    const params = {
      ...(req.query as Record<string, unknown>),
      ...(isObject(req.body) ? req.body : {}),
    };
    let event: SmsEvent;
    try {
      event = o.provider.parseCallback(params);
    } catch (err) {
      o.log.warn({ params: Object.keys(params), reason: errorMessage(err) }, "malformed callback");
      throw err instanceof AppError ? err : new BadRequestError(errorMessage(err), err);
    }
    if (event.kind === "ignored") {
      o.log.info({ params: Object.keys(params), reason: event.reason }, "callback ignored");
      res.json({ ok: true, ignored: event.reason });
      return;
    }
    const fresh = await ingest.submit(event);
    o.log.info(
      { kind: event.kind, phone: maskPhone(phoneOf(event)), repeat: !fresh },
      "callback stored",
    );
    res.json({ ok: true, duplicate: !fresh });
  });
  app.use(callback);
  if (o.adminRouter) app.use("/internal", express.json(), o.adminRouter);

  app.use((_req, res) => {
    res.status(404).json({ error: "not found" });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, message } = toHttp(err);
    if (status >= 500)
      o.log.error({ err: errorMessage(err), path: maskPath(req.path) }, "request failed");
    res.status(status).json({ error: message });
  });
  return app;
}

/**
 * The one error → HTTP mapping. Our own errors carry their status; anything else (the database
 * unreachable, a connection reset) is a 503, so the provider calls again rather than losing it.
 */
export function toHttp(err: unknown): { status: number; message: string } {
  if (err instanceof AppError) return { status: err.status, message: err.message };
  const e = err as { type?: string; status?: number };
  if (e.type === "entity.parse.failed" || e.type === "entity.too.large") {
    return { status: e.status ?? 400, message: "unreadable request body" };
  }
  return { status: 503, message: "temporarily unavailable, try again" };
}

function phoneOf(e: Exclude<SmsEvent, { kind: "ignored" }>): string {
  return e.kind === "inbound-sms" ? e.from : e.phone;
}

/** The callback path carries the secret: never log it. */
function maskPath(path: string): string {
  return path.replace(/(\/[^/]+\/callback\/)[^/]+/, "$1***");
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error("timeout")), ms).unref()),
  ]);
}
