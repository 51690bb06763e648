// How a CLI command reaches the bridge's data: through the running server when it holds the
// PGlite folder (one process may open it), else by opening the database itself.

import type { Env } from "../boot/env.ts";
import { createLogger, createServices, type Services } from "../boot/services.ts";
import { runningServer, type ServerInfo } from "../http/admin.ts";
import { BadRequestError } from "../kernel/errors.ts";

/** Calls the running server's admin API, on loopback, with its token. */
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

/** Runs `direct` on the services, or `viaServer` when a running server holds the PGlite folder. */
export async function withDatabase<T>(
  env: Env,
  viaServer: (server: ServerInfo) => Promise<T>,
  direct: (services: Services) => Promise<T>,
): Promise<T> {
  const server = runningServer(env);
  if (server) return viaServer(server);
  const log = createLogger(env.LOG_LEVEL === "info" ? "warn" : env.LOG_LEVEL);
  const services = await createServices(env, { log, chat: false, maxConnections: 2 });
  try {
    return await direct(services);
  } finally {
    await services.close();
  }
}

/** Calls a server route that streams text; passes each chunk on as it comes. */
export async function callServerStream(
  server: ServerInfo,
  path: string,
  body: unknown,
  write: (chunk: string) => Promise<void>,
): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${server.port}/internal${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-admin-token": server.token },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    const json = (await res.json().catch(() => ({}))) as { error?: string };
    const message = json.error ?? `server answered ${res.status}`;
    throw res.status === 400 ? new BadRequestError(message) : new Error(message);
  }
  const decoder = new TextDecoder();
  let tail = "";
  for await (const chunk of res.body ?? []) {
    const text = decoder.decode(chunk as Uint8Array, { stream: true });
    tail = (tail + text).slice(-20);
    await write(text);
  }
  const exit = /\(exit (\d+)\)\n$/.exec(tail);
  return exit ? Number(exit[1]) : 0;
}
