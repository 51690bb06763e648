// Local administration for the CLI. PGlite lets one process open its folder, so while the server
// runs, `ardary-bridge send|jobs|callback-url` go through it: the server writes its port and a
// random token to DATA_DIR/server.json (readable by its owner only) and checks the token here.
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { type Env, timeZoneOf } from "../boot/env.ts";
import { cliContext, type Services } from "../boot/services.ts";
import type { Setup } from "../boot/setup.ts";
import { listConversations, readFeed } from "../conversations/feed.ts";
import * as store from "../conversations/store.ts";
import { isHttpLink, withLink } from "../flows/command.ts";
import { BadRequestError } from "../kernel/errors.ts";
import { toE164 } from "../kernel/phone.ts";
import { formatInZone, isTimeZone } from "../kernel/time.ts";
import { listJobs } from "../queue/overview.ts";
import { unansweredLines } from "../team/assign.ts";
import { sameSecret, toHttp } from "./app.ts";

export interface ServerInfo {
  pid: number;
  port: number;
  token: string;
}

function serverInfoPath(env: Pick<Env, "DATA_DIR">): string {
  return join(env.DATA_DIR, "server.json");
}

/** The running server that holds the PGlite folder, if any. */
export function runningServer(env: Pick<Env, "DATA_DIR" | "DATABASE_URL">): ServerInfo | null {
  if (env.DATABASE_URL) return null;
  try {
    const info = JSON.parse(readFileSync(serverInfoPath(env), "utf8")) as ServerInfo;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return null;
  }
}

export interface SendRequest {
  to: string;
  text: string;
  at?: string;
  link?: string;
  author?: string;
  /** A marketing SMS (`send --marketing`): STOP notice, held to the allowed hours. */
  marketing?: boolean;
}

/** Queues one SMS from the CLI; shared by the direct path and the server's admin route. */
export async function queueFromCli(services: Services, req: SendRequest, now = new Date()) {
  const { bridge, database, provider, env } = services;
  const missing = unconfiguredProvider(env);
  if (missing) throw new BadRequestError(missing);
  const phone = toE164(req.to);
  if (!phone)
    throw new BadRequestError(
      `"${req.to}" is not a phone number in international form (+33612345678)`,
    );
  if (!req.text?.trim()) throw new BadRequestError("the text is empty");
  if (req.link !== undefined && !isHttpLink(req.link))
    throw new BadRequestError("the link must be an http:// or https:// URL");
  const sendAt = req.at ? provider.parseLocalDate(req.at) : undefined;
  if (sendAt === null) throw new BadRequestError(`"${req.at}" is not a date (YYYY-MM-DD HH:mm)`);
  // The rule of `/sms --at` (src/flows/command.ts): a time that has come is refused.
  if (sendAt && sendAt.getTime() <= now.getTime())
    throw new BadRequestError(
      `--at "${req.at}" is in the past (${formatInZone(sendAt, timeZoneOf(env))}): nothing queued`,
    );
  const text = req.link ? withLink(req.text, provider.linkPlaceholder) : req.text;
  const result = await database.db.transaction((tx) =>
    bridge.queueSms(tx, {
      phone,
      text,
      link: req.link,
      sendAt,
      author: req.author ?? "cli",
      // The export's author_id: the CLI has no chat id, `--author` stands for one.
      authorId: req.author,
      marketing: req.marketing === true,
      // SMS_SIGNATURE goes under a person's SMS: a CLI send is one when it names its author.
      signed: req.author !== undefined,
    }),
  );
  if ("refused" in result) throw new BadRequestError(result.refused);
  if ("duplicate" in result) throw new BadRequestError("duplicate");
  return {
    messageId: result.message.id,
    ref: result.message.clientRef,
    // A marketing SMS: what its sender is told (held until when, or that it leaves now).
    ...(result.message.marketing ? { marketing: bridge.marketingNotice(result.held) } : {}),
    ...(result.held ? { heldUntil: result.held.toISOString() } : {}),
  };
}

/**
 * Why the SMS provider cannot send anything (its credentials are not set), naming what to set;
 * undefined when it can. `send` is refused at once with it: nothing queued that cannot go.
 */
export function unconfiguredProvider(env: Env): string | undefined {
  const missing = env.sms.descriptor.unconfigured?.(env.sms.config);
  return missing && `the SMS provider (${env.sms.descriptor.name}) is not configured: ${missing}`;
}

/** How long `doctor` lets the platforms answer: a terminal can wait longer than a page. */
export const DOCTOR_DEADLINE_MS = 10_000;

export function createAdminRouter(o: {
  services: Services;
  setup: Setup;
  callbackUrl: () => string;
}) {
  const { database, env } = o.services;
  const token = randomBytes(24).toString("base64url");
  const router: Router = express.Router();
  router.use((req, res, next) => {
    if (!sameSecret(req.get("x-admin-token") ?? "", token)) {
      res.status(404).json({ error: "not found" });
      return;
    }
    next();
  });
  router.use(express.json({ limit: "64kb" }));
  router.post("/send", async (req, res) => {
    res.json(await queueFromCli(o.services, req.body as SendRequest));
  });
  router.get("/messages/:id", async (req, res) => {
    const m = await store.getMessage(database.db, Number(req.params.id));
    res.json(m ? { status: m.status, error: m.error, segments: m.segments } : null);
  });
  router.get("/jobs", async (_req, res) => {
    res.json(await listJobs(database.db));
  });
  router.post("/jobs/retry", async (req, res) => {
    const which = (req.body as { which?: unknown }).which;
    const list = which === "all" ? "all" : Array.isArray(which) ? which.map(Number) : [];
    res.json({ ids: await o.services.bridge.retryJobs(list) });
  });
  /** The zone the CLI reads its times in (`zone`: the provider's, or UTC), else ours. */
  const zoneOf = (req: Request): string => {
    const zone = req.query.zone;
    if (zone === undefined) return timeZoneOf(env);
    if (!isTimeZone(String(zone))) throw new BadRequestError(`unknown time zone "${zone}"`);
    return String(zone);
  };
  router.get("/feed", async (req, res) => {
    const { event, message } = req.query;
    const cursor =
      event === undefined ? undefined : { event: Number(event), message: Number(message ?? 0) };
    res.json(await readFeed(database.db, zoneOf(req), cursor));
  });
  router.get("/conversations", async (req, res) => {
    const unanswered = req.query.unanswered !== undefined;
    res.json(await (unanswered ? unansweredLines : listConversations)(database.db, zoneOf(req)));
  });
  // The features' commands (`templates`, `routes`…): their output streamed as it is written.
  router.post("/run/:name", async (req, res) => {
    const command = o.services.features.cli.get(String(req.params.name));
    if (!command) throw new BadRequestError(`unknown command ${String(req.params.name)}`);
    const { args } = req.body as { args?: unknown };
    if (!Array.isArray(args)) throw new BadRequestError("args must be a list");
    let started = false;
    const write = async (chunk: string) => {
      if (!started) {
        started = true;
        res.status(200).type("text/plain; charset=utf-8");
      }
      if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
    };
    const code = await command.run(cliContext(o.services), args.map(String), write);
    if (!started) res.status(200).type("text/plain; charset=utf-8");
    res.end(code === 0 ? "" : `\n(exit ${code})\n`);
  });
  // `doctor`: the setup page's checks, from the process that holds the chat connections.
  router.get("/setup", async (_req, res) => {
    res.json(await o.setup.report({ deadlineMs: DOCTOR_DEADLINE_MS }));
  });
  router.get("/callback-url", (_req, res) => {
    res.json({ url: o.callbackUrl() });
  });
  // Only PGlite needs it (one process may open the folder): elsewhere the CLI opens the database.
  const needed = database.kind === "pglite" && !env.DATA_DIR.startsWith("memory://");
  let server: Server | undefined;
  return {
    router,
    /**
     * Listens on the loopback interface only, on a port of its own, and tells local CLI
     * commands where (PGlite only; returns the port, or undefined when not needed).
     */
    async listen(): Promise<number | undefined> {
      if (!needed) return undefined;
      const app = express();
      app.disable("x-powered-by");
      app.use("/internal", router);
      app.use((_req: Request, res: Response) => void res.status(404).json({ error: "not found" }));
      app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
        const { status, message } = toHttp(err);
        res.status(status).json({ error: message });
      });
      const s = await new Promise<Server>((resolve, reject) => {
        const l = app.listen(0, "127.0.0.1", () => resolve(l));
        l.once("error", reject);
      });
      server = s;
      const port = (s.address() as AddressInfo).port;
      writeFileSync(serverInfoPath(env), JSON.stringify({ pid: process.pid, port, token }), {
        mode: 0o600,
      });
      return port;
    },
    async withdraw() {
      if (!needed) return;
      rmSync(serverInfoPath(env), { force: true });
      server?.closeAllConnections();
      await new Promise((r) => (server ? server.close(r) : r(undefined)));
    },
  };
}
