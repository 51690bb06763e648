// A local fake of Slack's Socket Mode, as Slack documents it (api.slack.com/apis/socket-mode):
// POST /api/apps.connections.open with the app-level token (Authorization: Bearer xapp-…)
// answers {ok:true, url:"ws://…/link/?ticket=…"}; on that WebSocket the server first sends
// {type:"hello", num_connections, debug_info, connection_info:{app_id}}, then envelopes
// {envelope_id, type:"events_api"|"slash_commands"|"interactive", payload,
// accepts_response_payload, retry_attempt, retry_reason}; the app answers each with
// {envelope_id[, payload]} (the ack). `disconnect` sends {type:"disconnect", reason}.
// Every other /api/<method> is passed to the fake Web API (`webApiUrl`), so one SLACK_API_URL
// serves both, as slack.com does.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

export interface Ack {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface FakeSocketMode {
  /** http://127.0.0.1:PORT/api/ — SLACK_API_URL. */
  apiUrl: string;
  appToken: string;
  /** apps.connections.open calls, with the token each gave. */
  opens: { token: string }[];
  /** Resolves once an app is connected (hello sent). */
  connected(): Promise<void>;
  /** Sends an Events API event (the inner `event`); resolves with the app's ack. */
  sendEvent(event: Record<string, unknown>): Promise<Ack>;
  /** Sends a slash command; resolves with the app's ack. */
  sendCommand(c: {
    channelId: string;
    userId: string;
    text: string;
    responseUrl: string;
  }): Promise<Ack>;
  /** Sends an interactivity payload (block_actions, view_submission); resolves with the ack. */
  sendInteractive(payload: Record<string, unknown>): Promise<Ack>;
  /** Asks the app to reconnect, as Slack does before it moves a connection. */
  disconnect(reason?: string): void;
  close(): Promise<void>;
}

const APP_ID = "A0FAKEAPP";
const TEAM_ID = "T0TEAM";

async function rawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startFakeSocketMode(o: {
  webApiUrl: string;
  appToken?: string;
}): Promise<FakeSocketMode> {
  const appToken = o.appToken ?? "xapp-1-A0FAKEAPP-1-test";
  const opens: { token: string }[] = [];
  const tickets = new Set<string>();
  const waiting = new Map<string, (ack: Ack) => void>();
  let socket: WebSocket | undefined;
  let onHello: (() => void)[] = [];

  const server = createServer(async (req, res) => {
    const body = await rawBody(req);
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "POST" && url.pathname === "/api/apps.connections.open") {
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      opens.push({ token });
      res.setHeader("content-type", "application/json");
      if (!token.startsWith("xapp-")) {
        res.end(JSON.stringify({ ok: false, error: "not_allowed_token_type" }));
        return;
      }
      if (token !== appToken) {
        res.end(JSON.stringify({ ok: false, error: "invalid_auth" }));
        return;
      }
      const ticket = randomUUID();
      tickets.add(ticket);
      const { port } = server.address() as AddressInfo;
      res.end(
        JSON.stringify({
          ok: true,
          url: `ws://127.0.0.1:${port}/link/?ticket=${ticket}&app_id=${APP_ID}`,
        }),
      );
      return;
    }
    // Anything else is the Web API: passed on unchanged.
    const target = new URL(url.pathname.replace(/^\/api\//, "") + url.search, o.webApiUrl);
    const headers: Record<string, string> = {};
    for (const h of ["content-type", "authorization"])
      if (req.headers[h]) headers[h] = String(req.headers[h]);
    const answer = await fetch(target, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(body),
    });
    res.statusCode = answer.status;
    for (const h of ["content-type", "retry-after"]) {
      const v = answer.headers.get(h);
      if (v) res.setHeader(h, v);
    }
    res.end(Buffer.from(await answer.arrayBuffer()));
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, sock, head) => {
    const url = new URL(req.url ?? "/", "http://x");
    const ticket = url.searchParams.get("ticket") ?? "";
    if (url.pathname !== "/link/" || !tickets.delete(ticket)) {
      sock.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, sock, head, (ws) => {
      socket = ws;
      ws.on("message", (data) => {
        const ack = JSON.parse(String(data)) as Ack;
        waiting.get(ack.envelope_id)?.(ack);
        waiting.delete(ack.envelope_id);
      });
      ws.send(
        JSON.stringify({
          type: "hello",
          num_connections: 1,
          debug_info: { host: "applink-fake", build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: APP_ID },
        }),
      );
      for (const f of onHello) f();
      onHello = [];
    });
  });

  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;

  function envelope(type: string, payload: Record<string, unknown>, acceptsResponse: boolean) {
    if (!socket) throw new Error("no app connected to the fake Socket Mode");
    const envelope_id = randomUUID();
    const acked = new Promise<Ack>((resolve) => waiting.set(envelope_id, resolve));
    socket.send(
      JSON.stringify({
        envelope_id,
        type,
        payload,
        accepts_response_payload: acceptsResponse,
        retry_attempt: 0,
        retry_reason: "",
      }),
    );
    return acked;
  }

  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    appToken,
    opens,
    connected: () =>
      socket ? Promise.resolve() : new Promise<void>((resolve) => onHello.push(resolve)),
    sendEvent(event) {
      return envelope(
        "events_api",
        {
          token: "legacy-verification-token",
          team_id: TEAM_ID,
          api_app_id: APP_ID,
          event: { event_ts: event.ts, ...event },
          type: "event_callback",
          event_id: `Ev${randomUUID().slice(0, 8)}`,
          event_time: Math.floor(Date.now() / 1000),
          authorizations: [{ team_id: TEAM_ID, user_id: "U0BOT", is_bot: true }],
          is_ext_shared_channel: false,
        },
        false,
      );
    },
    sendCommand(c) {
      return envelope(
        "slash_commands",
        {
          token: "legacy-verification-token",
          team_id: TEAM_ID,
          team_domain: "ardary-test",
          channel_id: c.channelId,
          channel_name: c.channelId.toLowerCase(),
          user_id: c.userId,
          user_name: c.userId.toLowerCase(),
          command: "/sms",
          text: c.text,
          api_app_id: APP_ID,
          is_enterprise_install: "false",
          response_url: c.responseUrl,
          trigger_id: `${Date.now()}.${randomUUID().slice(0, 8)}`,
        },
        true,
      );
    },
    sendInteractive(payload) {
      return envelope("interactive", payload, true);
    },
    disconnect(reason = "refresh_requested") {
      socket?.send(
        JSON.stringify({ type: "disconnect", reason, debug_info: { host: "applink-fake" } }),
      );
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
