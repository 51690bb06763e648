// Local administration for the CLI. PGlite lets one process open its folder, so while the server
// runs, `ardary-bridge send|jobs|callback-url` go through it: the server writes its port and a
// random token to DATA_DIR/server.json (readable by its owner only) and checks the token here.
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { sameSecret, toHttp } from "./app.ts";
import type { Bridge } from "./bridge.ts";
import { isHttpLink } from "./command.ts";
import type { Database } from "./db.ts";
import type { Env } from "./env.ts";
import { BadRequestError } from "./errors.ts";
import { listJobs } from "./jobs.ts";
import { toE164 } from "./phone.ts";
import * as store from "./store.ts";

export interface ServerInfo {
  pid: number;
  port: number;
  token: string;
}

export function serverInfoPath(env: Env): string {
  return join(env.DATA_DIR, "server.json");
}

/** The running server that holds the PGlite folder, if any. */
export function runningServer(env: Env): ServerInfo | null {
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
}

/** Queues one SMS from the CLI; shared by the direct path and the server's admin route. */
export async function queueFromCli(
  bridge: Bridge,
  database: Database,
  req: SendRequest,
  parseDate: (v: string) => Date | null,
) {
  const phone = toE164(req.to);
  if (!phone)
    throw new BadRequestError(
      `"${req.to}" is not a phone number in international form (+33612345678)`,
    );
  if (!req.text?.trim()) throw new BadRequestError("the text is empty");
  if (req.link !== undefined && !isHttpLink(req.link))
    throw new BadRequestError("the link must be an http:// or https:// URL");
  const sendAt = req.at ? parseDate(req.at) : undefined;
  if (sendAt === null) throw new BadRequestError(`"${req.at}" is not a date (YYYY-MM-DD HH:mm)`);
  let text = req.text;
  if (req.link && !text.includes("[Link]")) text = `${text} [Link]`;
  const result = await database.db.transaction((tx) =>
    bridge.queueSms(tx, { phone, text, link: req.link, sendAt, author: req.author ?? "cli" }),
  );
  if ("refused" in result) throw new BadRequestError(result.refused);
  if ("duplicate" in result) throw new BadRequestError("duplicate");
  return { messageId: result.message.id, idSmsApi: result.message.idSmsApi };
}

export function createAdminRouter(o: {
  database: Database;
  bridge: Bridge;
  env: Env;
  parseDate: (v: string) => Date | null;
  callbackUrl: () => string;
}) {
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
    res.json(await queueFromCli(o.bridge, o.database, req.body as SendRequest, o.parseDate));
  });
  router.get("/messages/:id", async (req, res) => {
    const m = await store.getMessage(o.database.db, Number(req.params.id));
    res.json(m ? { status: m.status, error: m.error, segments: m.segments } : null);
  });
  router.get("/jobs", async (_req, res) => {
    res.json(await listJobs(o.database.db));
  });
  router.get("/callback-url", (_req, res) => {
    res.json({ url: o.callbackUrl() });
  });
  // Only PGlite needs it (one process may open the folder): elsewhere the CLI opens the database.
  const needed = o.database.kind === "pglite" && !o.env.DATA_DIR.startsWith("memory://");
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
      writeFileSync(serverInfoPath(o.env), JSON.stringify({ pid: process.pid, port, token }), {
        mode: 0o600,
      });
      return port;
    },
    async withdraw() {
      if (!needed) return;
      rmSync(serverInfoPath(o.env), { force: true });
      server?.closeAllConnections();
      await new Promise((r) => (server ? server.close(r) : r(undefined)));
    },
  };
}
