// The REST half of the fake Discord: the routes the bridge and discord.js call, under
// /api/v10, with `Authorization: Bot <token>`, Discord's JSON error shapes, and per-bucket
// rate limits announced in X-RateLimit-* headers the way @discordjs/rest reads them.
// https://discord.com/developers/docs/topics/rate-limits
// https://discord.com/developers/docs/topics/opcodes-and-status-codes#json
import { createHash } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import { type DiscordWorld, type FakeMessage, type Json, snowflake } from "./discord.ts";

/** An error Discord answers with: `{ message, code }` (and `errors` for 50035). */
export class FakeApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: Json,
  ) {
    super(message);
  }
}

/** 400 Invalid Form Body, with one `{ code, message }` per field path. */
export function invalidFormBody(
  fields: Record<string, { code: string; message: string }>,
): FakeApiError {
  const errors: Json = {};
  for (const [path, error] of Object.entries(fields)) {
    let node = errors;
    for (const part of path.split(".")) {
      node[part] ??= {};
      node = node[part] as Json;
    }
    node._errors = [error];
  }
  return new FakeApiError(400, 50035, "Invalid Form Body", errors);
}

/**
 * Discord's embed limits: a description of at most 4096 characters, and at most 6000 across
 * every embed of a message (titles, descriptions, fields, footers, authors).
 * https://discord.com/developers/docs/resources/message#embed-object-embed-limits
 */
export function checkEmbeds(embeds: Json[]): void {
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  const i = embeds.findIndex((e) => text(e.description).length > 4096);
  const tooLong = { code: "BASE_TYPE_MAX_LENGTH", message: "Must be 4096 or fewer in length." };
  if (i >= 0) throw invalidFormBody({ [`embeds.${i}.description`]: tooLong });
  const sizes = embeds.flatMap((e) => [
    ...[e.title, e.description, (e.footer as Json)?.text, (e.author as Json)?.name].map(text),
    ...(Array.isArray(e.fields) ? (e.fields as Json[]) : [])
      .flatMap((f) => [f.name, f.value])
      .map(text),
  ]);
  if (sizes.reduce((n, t) => n + t.length, 0) > 6000) {
    const message = "Embed size exceeds maximum size of 6000";
    throw invalidFormBody({ embeds: { code: "MAX_EMBED_SIZE_EXCEEDED", message } });
  }
}

export interface RateLimitOptions {
  /** Requests per bucket (route + major parameter) and window. */
  perRoute: number;
  windowMs: number;
}

/** One request the fake answered, in arrival order. */
export interface RequestRecord {
  method: string;
  /** The path with ids replaced as @discordjs/rest buckets them: "/channels/:id/messages". */
  route: string;
  path: string;
  time: number;
  status: number;
  body: unknown;
}

/** Whose limit a 429 is about (X-RateLimit-Scope): the bot's, the bot's global one, or the resource's. */
export type RateLimitScope = "user" | "global" | "shared";

interface Verdict {
  headers: Record<string, string>;
  /** Seconds to wait, when the request must be answered 429. */
  retryAfter?: number;
  scope?: RateLimitScope;
}

/** Route and major parameter of a path, computed as @discordjs/rest does. */
export function bucketOf(path: string): { route: string; major: string } {
  const match =
    /(?:^\/webhooks\/(\d{17,20}\/[^/?]+))|(?:^\/(?:channels|guilds|webhooks)\/(\d{17,20}))/.exec(
      path,
    );
  const route = path
    .replaceAll(/\d{17,20}/g, ":id")
    .replace(/\/reactions\/(.*)/, "/reactions/:reaction")
    .replace(/\/webhooks\/:id\/[^/?]+/, "/webhooks/:id/:token")
    .replace(/^\/interactions\/:id\/[^/?]+/, "/interactions/:id/:token");
  return { route, major: match?.[2] ?? match?.[1] ?? "global" };
}

/** Fixed windows per bucket, plus windows tests force with `fake.rateLimit`. */
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly forced: { key: string; until: number; scope: RateLimitScope }[] = [];

  constructor(private readonly options: RateLimitOptions | null) {}

  /** `scope` "global": every request but interaction callbacks (Discord exempts them). */
  force(routeOrChannelId: string, ms: number, scope: RateLimitScope = "user"): void {
    this.forced.push({ key: routeOrChannelId, until: Date.now() + ms, scope });
  }

  check(method: string, path: string): Verdict {
    const now = Date.now();
    const { route, major } = bucketOf(path);
    const hash = createHash("sha1").update(`${method} ${route}`).digest("hex").slice(0, 32);
    const limit = this.options?.perRoute ?? 50;
    const windowMs = this.options?.windowMs ?? 1000;
    const headers = (remaining: number, resetAt: number): Record<string, string> => ({
      "X-RateLimit-Limit": String(limit),
      "X-RateLimit-Remaining": String(Math.max(0, remaining)),
      "X-RateLimit-Reset": (resetAt / 1000).toFixed(3),
      "X-RateLimit-Reset-After": (Math.max(0, resetAt - now) / 1000).toFixed(3),
      "X-RateLimit-Bucket": hash,
    });
    const forced = this.forced
      .filter((f) => f.until > now && this.matches(f, method, path, route))
      .sort((a, b) => b.until - a.until)[0];
    if (forced) {
      // Discord rounds the Retry-After header up to whole seconds; the fake gives the exact value so tests stay fast.
      const retryAfter = (forced.until - now) / 1000;
      return { headers: headers(0, forced.until), retryAfter, scope: forced.scope };
    }
    // Interaction callbacks are not bucketed the same way (@discordjs/rest bursts them).
    if (!this.options || route.startsWith("/interactions/")) {
      return { headers: headers(limit - 1, now + windowMs) };
    }
    const key = `${hash}:${major}`;
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, window);
    }
    if (window.count >= limit) {
      return { headers: headers(0, window.resetAt), retryAfter: (window.resetAt - now) / 1000 };
    }
    window.count += 1;
    return { headers: headers(limit - window.count, window.resetAt) };
  }

  private matches(
    f: { key: string; scope: RateLimitScope },
    method: string,
    path: string,
    route: string,
  ): boolean {
    const key = f.key;
    if (f.scope === "global") return !route.startsWith("/interactions/");
    if (/^\d+$/.test(key)) return path.split("/").includes(key);
    return (
      key === route || key === `${method} ${route}` || key === path || key === `${method} ${path}`
    );
  }
}

/** The Express app: REST under /api/v10. */
export function createRestApp(world: DiscordWorld): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  const api = express.Router();

  // Log, authenticate, rate-limit, parse.
  api.use(async (req: Request, res: Response, next: NextFunction) => {
    const path = req.path;
    const record: RequestRecord = {
      method: req.method,
      route: bucketOf(path).route,
      path,
      time: Date.now(),
      status: 0,
      body: undefined,
    };
    world.requests.push(record);
    if (world.silentPaths.has(path)) return; // received, never answered
    res.on("finish", () => {
      record.status = res.statusCode;
    });
    const open =
      path.startsWith("/interactions/") || path.startsWith("/webhooks/") || path === "/gateway";
    if (!open && (world.revoked || req.get("authorization") !== `Bot ${world.token}`)) {
      res.status(401).json({ message: "401: Unauthorized", code: 0 });
      return;
    }
    const verdict = world.limiter.check(req.method, path);
    res.set(verdict.headers);
    if (verdict.retryAfter !== undefined) {
      // https://discord.com/developers/docs/topics/rate-limits#exceeding-a-rate-limit
      const global = verdict.scope === "global";
      res
        .status(429)
        .set({
          "Retry-After": verdict.retryAfter.toFixed(3),
          "X-RateLimit-Scope": verdict.scope ?? "user",
          ...(global ? { "X-RateLimit-Global": "true" } : {}),
        })
        .json({
          message: "You are being rate limited.",
          retry_after: Number(verdict.retryAfter.toFixed(3)),
          global,
        });
      return;
    }
    try {
      req.body = await readBody(req, world);
    } catch {
      res.status(400).json({ message: "The request body contains invalid JSON.", code: 50109 });
      return;
    }
    record.body = req.body;
    next();
  });

  const body = (req: Request): Json => (req.body && typeof req.body === "object" ? req.body : {});
  const p = (req: Request, name: string): string => String(req.params[name] ?? "");
  const message = (m: FakeMessage) => world.restMessage(m);

  api.get("/gateway", (_req, res) => {
    res.json({ url: world.url });
  });
  api.get("/gateway/bot", (_req, res) => {
    const identifies = world.connectionHistory.filter((e) => e.kind === "identify").length;
    res.json({
      url: world.url,
      shards: 1,
      session_start_limit: {
        total: 1000,
        remaining: Math.max(0, 1000 - identifies),
        reset_after: 86_400_000,
        max_concurrency: 1,
      },
    });
  });
  api.get("/users/@me", (_req, res) => {
    res.json({ ...world.botUser, verified: true, mfa_enabled: false, flags: 0, email: null });
  });
  api.get("/applications/@me", (_req, res) => {
    res.json(world.applicationPayload());
  });

  api.get("/channels/:id", (req, res) => {
    res.json(world.channelFor(p(req, "id")).data);
  });
  api.patch("/channels/:id", (req, res) => {
    res.json(world.patchChannel(p(req, "id"), body(req)));
  });
  api.get("/channels/:id/messages", (req, res) => {
    const state = world.channelFor(p(req, "id"));
    const limit = Math.min(100, Math.max(1, Number(req.query.limit ?? 50) || 50));
    const before = typeof req.query.before === "string" ? BigInt(req.query.before) : undefined;
    const after = typeof req.query.after === "string" ? BigInt(req.query.after) : undefined;
    let list = [...state.messages].reverse();
    if (before !== undefined) list = list.filter((m) => BigInt(m.id) < before);
    if (after !== undefined) {
      // Discord: the `limit` messages right after the id (the oldest of those after it),
      // answered newest first.
      list = list.filter((m) => BigInt(m.id) > after).slice(-limit);
    }
    res.json(list.slice(0, limit).map(message));
  });
  // https://discord.com/developers/docs/resources/guild#list-active-guild-threads: every
  // active thread of the guild (public and private), by id descending, and the bot's own
  // thread memberships.
  api.get("/guilds/:id/threads/active", (_req, res) => {
    const threads = world.threads
      .filter((t) => !t.thread_metadata?.archived)
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? 1 : -1));
    res.json({ threads, members: [] });
  });
  api.post("/channels/:id/messages", (req, res) => {
    res.json(message(world.postMessage(p(req, "id"), body(req))));
  });
  api.get("/channels/:id/messages/:mid", (req, res) => {
    res.json(message(world.messageFor(world.channelFor(p(req, "id")), p(req, "mid"))));
  });
  api.patch("/channels/:id/messages/:mid", (req, res) => {
    res.json(message(world.editMessage(p(req, "id"), p(req, "mid"), body(req))));
  });
  api.delete("/channels/:id/messages/:mid", (req, res) => {
    world.deleteMessage(p(req, "id"), p(req, "mid"));
    res.status(204).end();
  });
  api.put("/channels/:id/messages/:mid/reactions/:emoji/@me", (req, res) => {
    world.react(p(req, "id"), p(req, "mid"), p(req, "emoji"), true);
    res.status(204).end();
  });
  api.delete("/channels/:id/messages/:mid/reactions/:emoji/@me", (req, res) => {
    world.react(p(req, "id"), p(req, "mid"), p(req, "emoji"), false);
    res.status(204).end();
  });
  api.post("/channels/:id/messages/:mid/threads", (req, res) => {
    res.status(201).json(world.startThread(p(req, "id"), p(req, "mid"), body(req)));
  });
  api.post("/channels/:id/threads", (req, res) => {
    const thread = world.createThread(p(req, "id"), body(req));
    res.status(201).json(thread.message ? { ...thread, message: message(thread.message) } : thread);
  });

  api.post("/interactions/:id/:token/callback", (req, res) => {
    const { interaction, message: created } = world.interactionCallback(
      p(req, "id"),
      p(req, "token"),
      body(req),
    );
    if (req.query.with_response !== "true") {
      res.status(204).end();
      return;
    }
    const type = body(req).type;
    res.json({
      interaction: {
        id: interaction.id,
        type: interaction.type,
        response_message_id: created?.id,
        response_message_loading: type === 5,
        response_message_ephemeral: interaction.ephemeral,
      },
      resource: { type, ...(created ? { message: message(created) } : {}) },
    });
  });
  api.get("/webhooks/:app/:token/messages/:mid", (req, res) => {
    res.json(message(world.webhookMessage(p(req, "app"), p(req, "token"), p(req, "mid"))));
  });
  api.patch("/webhooks/:app/:token/messages/:mid", (req, res) => {
    res.json(message(world.webhookEdit(p(req, "app"), p(req, "token"), p(req, "mid"), body(req))));
  });
  api.delete("/webhooks/:app/:token/messages/:mid", (req, res) => {
    if (p(req, "mid") !== "@original") throw new FakeApiError(404, 10008, "Unknown Message");
    world.webhookDelete(p(req, "app"), p(req, "token"));
    res.status(204).end();
  });
  api.post("/webhooks/:app/:token", (req, res) => {
    res.json(message(world.webhookFollowup(p(req, "app"), p(req, "token"), body(req))));
  });

  const commandsOf = (app: string, guild: string | null) => {
    if (app !== world.applicationId) throw new FakeApiError(403, 50001, "Missing Access");
    return guild === null ? world.commands.global : (world.commands.guild[guild] ?? []);
  };
  api.get("/applications/:app/commands", (req, res) => {
    res.json(commandsOf(p(req, "app"), null));
  });
  api.put("/applications/:app/commands", (req, res) => {
    res.json(world.overwriteCommands(p(req, "app"), null, req.body));
  });
  api.get("/applications/:app/guilds/:guild/commands", (req, res) => {
    res.json(commandsOf(p(req, "app"), p(req, "guild")));
  });
  api.put("/applications/:app/guilds/:guild/commands", (req, res) => {
    res.json(world.overwriteCommands(p(req, "app"), p(req, "guild"), req.body));
  });

  api.use((_req, res) => {
    res.status(404).json({ message: "404: Not Found", code: 0 });
  });
  api.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof FakeApiError) {
      res.status(error.status).json({
        message: error.message,
        code: error.code,
        ...(error.errors ? { errors: error.errors } : {}),
      });
      return;
    }
    res.status(500).json({ message: "500: Internal Server Error", code: 0, fake: String(error) });
  });

  app.use("/api/v10", api);
  app.use((_req, res) => {
    res.status(404).json({ message: "404: Not Found", code: 0 });
  });
  return app;
}

/**
 * JSON, or multipart with payload_json and files (what @discordjs/rest sends with attachments):
 * `files[n]` parts become the attachments (of `message` for a forum post), their bytes kept by
 * the world (`world.attachmentData(url)`).
 * https://discord.com/developers/docs/reference#uploading-files
 */
async function readBody(req: Request, world: DiscordWorld): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  if (raw.length === 0) return undefined;
  const type = req.get("content-type") ?? "";
  if (type.startsWith("multipart/form-data")) {
    const form = await new globalThis.Response(new Uint8Array(raw), {
      headers: { "content-type": type },
    }).formData();
    const payload = form.get("payload_json");
    const json = (typeof payload === "string" ? JSON.parse(payload) : {}) as Json;
    const target = json.message && typeof json.message === "object" ? (json.message as Json) : json;
    const attachments = Array.isArray(target.attachments) ? (target.attachments as Json[]) : [];
    let index = 0;
    for (const [name, value] of form.entries()) {
      if (!name.startsWith("files[") || typeof value === "string") continue;
      const n = Number(/^files\[(\d+)\]$/.exec(name)?.[1] ?? index);
      const described = attachments.find((a) => Number(a.id) === n) ?? attachments[index] ?? {};
      const filename = String(described.filename ?? value.name);
      const id = snowflake();
      const url = `https://cdn.discordapp.com/attachments/0/${id}/${filename}`;
      world.keepAttachment(url, Buffer.from(await value.arrayBuffer()));
      const at = attachments.indexOf(described);
      const made = {
        ...described,
        id,
        filename,
        size: value.size,
        content_type: value.type || "application/octet-stream",
        url,
      };
      if (at >= 0) attachments[at] = made;
      else attachments.push(made);
      index += 1;
    }
    if (attachments.length) target.attachments = attachments;
    return json;
  }
  return JSON.parse(raw.toString("utf8"));
}
