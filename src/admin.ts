// Local administration for the CLI. PGlite lets one process open its folder, so while the server
// runs, `ardary-bridge send|jobs|callback-url` go through it: the server writes its port and a
// random token to DATA_DIR/server.json (readable by its owner only) and checks the token here.
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import express, { type Router } from "express";
import { sameSecret } from "./app.ts";
import type { Bridge } from "./bridge.ts";
import { type Database, migrateOpen, openDatabase } from "./db.ts";
import type { Env } from "./env.ts";
import { BadRequestError } from "./errors.ts";
import { listConversations, readFeed } from "./feed.ts";
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
  router.get("/feed", async (req, res) => {
    const { event, message } = req.query;
    const cursor =
      event === undefined ? undefined : { event: Number(event), message: Number(message ?? 0) };
    res.json(await readFeed(o.database.db, cursor));
  });
  router.get("/conversations", async (_req, res) => {
    res.json(await listConversations(o.database.db));
  });
  router.get("/callback-url", (_req, res) => {
    res.json({ url: o.callbackUrl() });
  });
  return {
    router,
    /** Tells local CLI commands where the server is (PGlite only). */
    async advertise(port: number) {
      if (o.database.kind !== "pglite" || o.env.DATA_DIR.startsWith("memory://")) return;
      writeFileSync(serverInfoPath(o.env), JSON.stringify({ pid: process.pid, port, token }), {
        mode: 0o600,
      });
    },
    async withdraw() {
      if (o.database.kind === "pglite" && !o.env.DATA_DIR.startsWith("memory://"))
        rmSync(serverInfoPath(o.env), { force: true });
    },
  };
}

/** Calls the running server's admin API (PGlite only allows one process to open the folder). */
export async function callServer<T>(server: ServerInfo, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${server.port}/internal${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", "x-admin-token": server.token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(json.error ?? `server answered ${res.status}`);
  return json;
}

/** Runs `fn` on the database, or through the running server when it holds the PGlite folder. */
export async function withDatabase<T>(
  env: Env,
  viaServer: (server: ServerInfo) => Promise<T>,
  direct: (database: Database) => Promise<T>,
): Promise<T> {
  const server = runningServer(env);
  if (server) return viaServer(server);
  const database = await openDatabase({
    url: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    maxConnections: 2,
  });
  try {
    await migrateOpen(database, env.DATABASE_URL);
    return await direct(database);
  } finally {
    await database.close();
  }
}
