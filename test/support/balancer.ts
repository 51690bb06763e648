// A small HTTP load balancer in front of the web processes, as a platform's router is: each
// request goes to the next live target (round robin); a request whose target dies under it is
// answered 502 (its sender tries again: the provider retries a callback, Slack an event).
// Targets are taken out of the rotation when they are killed and put back once ready.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, request } from "undici";

export interface Balancer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The targets requests may go to now. */
  setTargets(urls: string[]): void;
  /** Requests forwarded, and answered 502 (target died or refused). */
  stats: { forwarded: number; failed: number };
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "host", "upgrade"]);

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startBalancer(): Promise<Balancer> {
  let targets: string[] = [];
  let next = 0;
  const stats = { forwarded: 0, failed: 0 };
  const agent = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const target = targets.length > 0 ? targets[next++ % targets.length] : undefined;
    if (!target) {
      stats.failed++;
      res.writeHead(503).end("no live target");
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === "string" && !HOP_BY_HOP.has(k)) headers[k] = v;
    try {
      const answer = await request(`${target}${req.url ?? "/"}`, {
        dispatcher: agent,
        method: (req.method ?? "GET") as "GET",
        headers,
        body: body.length > 0 ? body : undefined,
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      const out = Buffer.from(await answer.body.arrayBuffer());
      const type = answer.headers["content-type"];
      res.writeHead(answer.statusCode, type ? { "content-type": String(type) } : {});
      res.end(out);
      stats.forwarded++;
    } catch {
      stats.failed++;
      res.writeHead(502).end("target failed");
    }
  };
  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    setTargets(urls) {
      targets = [...urls];
    },
    stats,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await agent.close();
    },
  };
}
