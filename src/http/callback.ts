// The SMS provider's callback route (`/<callbackPath>/callback/<secret>`, from the provider's
// descriptor): store, then answer. A GET without a body, the provider's usual call, is answered
// on node:http before Express (`fast`): one look at the URL, the query parsed once, no router,
// no response machinery. Everything else (POST and its bodies, other methods, odd URLs) goes
// through Express and its body parsers (`gate`, `handle`), so every refusal keeps its answer.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";
import { isObject, type SmsEvent, type SmsProvider } from "../contracts/index.ts";
import type { StoredEvent } from "../conversations/keys.ts";
import type { DatabaseHealth } from "../db/health.ts";
import type { Batcher } from "../ingest/batcher.ts";
import { AppError, BadRequestError } from "../kernel/errors.ts";

export interface CallbackOptions {
  provider: SmsProvider;
  callbackSecret: string;
  /** The callback URL's first segment, the provider's name (`/<path>/callback/<secret>`). */
  callbackPath: string;
  log: Logger;
  health: DatabaseHealth;
  ingest: Batcher<StoredEvent, boolean>;
  /** How long a callback waits for its batch before the database is probed (src/db/health.ts). */
  patience: number;
  /** The most a callback waits while no probe has answered since it arrived. */
  budget: number;
  /** Answers an error as every route does (the app's one error → HTTP mapping and its log). */
  refuse: (err: unknown, res: ServerResponse) => void;
}

/** What a callback is answered: a status and a JSON body. */
interface Answer {
  status: number;
  body: string;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest();

/** Compares in constant time, whatever the lengths. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** `sameSecret` against one expected value, hashed once. */
function secretCheck(expected: string): (given: string) => boolean {
  const digest = sha256(expected);
  return (given) => timingSafeEqual(sha256(given), digest);
}

/**
 * The secret a callback's path gives, from the raw path after `/<path>/callback` (percent-encoded
 * as `callback-url` prints it, or not: a `/` of the secret may have been left as is): decoded,
 * and also without a trailing `/` when it ends with one. Undefined when it cannot be decoded.
 */
export function secretIn(rawPath: string): string[] | undefined {
  const raw = rawPath.replace(/^\//, "");
  try {
    const whole = decodeURIComponent(raw);
    return raw.endsWith("/") ? [whole, decodeURIComponent(raw.slice(0, -1))] : [whole];
  } catch {
    return undefined;
  }
}

// Answers that never change, made once.
const WRONG_SECRET: Answer = { status: 404, body: JSON.stringify({ error: "not found" }) };
const STORED = JSON.stringify({ ok: true, duplicate: false });
const REPEAT = JSON.stringify({ ok: true, duplicate: true });

export function callbackRoute(o: CallbackOptions) {
  const isSecret = secretCheck(o.callbackSecret);
  /** Lower case, as Express matches routes. */
  const prefix = `/${o.callbackPath.toLowerCase()}/callback/`;

  /** The method and the secret, before any body is read. Undefined: go on. */
  function check(method: string | undefined, rest: string): Answer | BadRequestError | undefined {
    if (method !== "GET" && method !== "POST") return { status: 405, body: "" };
    const given = secretIn(rest);
    if (!given) return new BadRequestError("malformed %-escape in the path");
    if (!given.some(isSecret)) {
      o.log.warn("callback with a wrong secret: refused");
      return WRONG_SECRET;
    }
    return undefined;
  }

  async function accept(params: Record<string, unknown>): Promise<Answer> {
    let event: SmsEvent;
    try {
      event = o.provider.parseCallback(params);
    } catch (err) {
      const bad = err instanceof AppError ? err : new BadRequestError("unreadable callback", err);
      o.log.warn({ params: paramNames(params), reason: bad.message }, "malformed callback");
      throw bad;
    }
    if (event.kind === "ignored") {
      o.log.info({ params: paramNames(params), reason: event.reason }, "callback ignored");
      return { status: 200, body: JSON.stringify({ ok: true, ignored: event.reason }) };
    }
    if (event.note) o.log.info({ kind: event.kind, note: event.note }, "callback adjusted");
    o.health.assertUp();
    // Said once per batch when it is stored (src/http/app.ts), not once per callback.
    const fresh = await o.health.await(o.ingest.submit(event), o.patience, o.budget);
    return { status: 200, body: fresh ? STORED : REPEAT };
  }

  function send(res: ServerResponse, a: Answer): void {
    if (a.status === 405) {
      res.writeHead(405, { Allow: "GET, POST", "Content-Length": 0 });
      res.end();
      return;
    }
    res.writeHead(a.status, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(a.body),
    });
    res.end(a.body);
  }

  return {
    /**
     * Answers the provider's GET without a body, true; false for anything Express must see (a
     * body, another method, a URL that is not plainly `/<path>/callback/<something>?<query>`).
     */
    fast(req: IncomingMessage, res: ServerResponse): boolean {
      const url = req.url ?? "";
      if (req.method !== "GET" || url.charCodeAt(0) !== 47 /* / */) return false;
      const h = req.headers;
      if (h["transfer-encoding"] !== undefined) return false;
      if (h["content-length"] !== undefined && h["content-length"] !== "0") return false;
      const q = url.indexOf("?");
      const path = q === -1 ? url : url.slice(0, q);
      if (path.length <= prefix.length || url.includes("#")) return false;
      if (path.slice(0, prefix.length).toLowerCase() !== prefix) return false;
      const refused = check(req.method, path.slice(prefix.length - 1));
      if (refused instanceof Error) {
        o.refuse(refused, res);
        return true;
      }
      if (refused) {
        send(res, refused);
        return true;
      }
      const params = q === -1 ? {} : { ...parseQuery(url.slice(q + 1)) };
      accept(params).then(
        (a) => send(res, a),
        (err) => o.refuse(err, res),
      );
      return true;
    },
    /** Express: mounted on `/<path>/callback`, before any body parser. */
    gate(req: Request, res: Response, next: NextFunction): void {
      const refused = check(req.method, req.path);
      if (refused instanceof Error) next(refused);
      else if (refused) send(res, refused);
      else next();
    },
    /** Express: the route, after the body parsers. */
    async handle(req: Request, res: Response): Promise<void> {
      const params = {
        ...(req.query as Record<string, unknown>),
        ...(isObject(req.body) ? req.body : {}),
      };
      send(res, await accept(params));
    },
  };
}

/** Parameter names for the logs: short, and only the characters a name is made of. */
function paramNames(params: Record<string, unknown>): string[] {
  return Object.keys(params)
    .slice(0, 8)
    .map((k) => k.slice(0, 24).replace(/[^A-Za-z_]/g, "?"));
}
