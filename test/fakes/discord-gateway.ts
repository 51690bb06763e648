// The gateway half of the fake Discord: a WebSocket server that speaks the real protocol as
// @discordjs/ws 1.x expects it (JSON encoding, no compression):
// HELLO → IDENTIFY → READY → GUILD_CREATE, heartbeats, sequence numbers, RESUME with replay of
// what a session missed, INVALID_SESSION when a resume cannot be honoured.
// https://discord.com/developers/docs/events/gateway
import { randomBytes } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";

/** Gateway opcodes used here (https://discord.com/developers/docs/topics/opcodes-and-status-codes). */
export const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  VoiceStateUpdate: 4,
  Resume: 6,
  Reconnect: 7,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const;

/** Intent bits the fake filters on. */
export const Intent = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  GuildMessageReactions: 1 << 10,
  MessageContent: 1 << 15,
} as const;

const PRIVILEGED = Intent.GuildMembers | Intent.GuildPresences | Intent.MessageContent;

/** What the gateway needs from the rest of the fake. */
export interface GatewayHost {
  token: string;
  heartbeatIntervalMs: number;
  /** Whether the privileged intents are switched on "in the developer portal". */
  privilegedIntents: boolean;
  /** Address handed out as resume_gateway_url (and by GET /gateway/bot). */
  gatewayUrl(): string;
  readyPayload(sessionId: string): Record<string, unknown>;
  guildCreatePayloads(): Record<string, unknown>[];
}

/** One IDENTIFY, RESUME, refused resume or close, in order, for tests. */
export interface ConnectionEvent {
  kind: "identify" | "resume" | "invalid-session" | "close";
  sessionId: string | null;
  at: number;
  intents?: number;
  /** WebSocket close code, for kind "close". */
  code?: number;
}

interface Session {
  id: string;
  intents: number;
  seq: number;
  socket: WebSocket | null;
  /** Every dispatch sent (or owed) to this session, for replay on RESUME. */
  sent: { s: number; payload: Record<string, unknown> }[];
  /** False once the client closed with 1000/1001 or the session was invalidated. */
  resumable: boolean;
}

const REPLAY_LIMIT = 5000;

export interface DispatchOptions {
  /** Intent bit a session must have asked for to receive the event (none: always sent). */
  intent?: number;
  /** Rewrites the payload per session (e.g. to blank content without the MessageContent intent). */
  shape?: (data: Record<string, unknown>, intents: number) => Record<string, unknown>;
}

export class FakeGateway {
  readonly history: ConnectionEvent[] = [];
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessions = new Map<string, Session>();
  private readonly bySocket = new Map<WebSocket, Session>();
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly host: GatewayHost) {}

  /** Accepts upgrades on `path` (any query: v and encoding are checked). */
  attach(server: Server, path: string): void {
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? "/", "http://fake");
      if (url.pathname.replace(/\/$/, "") !== path) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, url));
    });
  }

  /** Sessions whose socket is open and identified (or resumed). */
  get openSessions(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.socket?.readyState === WebSocket.OPEN) n++;
    return n;
  }

  /** Intents of the sessions, newest last. */
  get intents(): number[] {
    return [...this.sessions.values()].map((s) => s.intents);
  }

  /** Sends a dispatch to every live session (buffered for detached ones, replayed on RESUME). */
  dispatch(t: string, data: Record<string, unknown>, options: DispatchOptions = {}): void {
    for (const session of this.sessions.values()) {
      if (!session.resumable) continue;
      if (options.intent !== undefined && (session.intents & options.intent) === 0) continue;
      const d = options.shape ? options.shape(data, session.intents) : data;
      this.send(session, t, d);
    }
  }

  /** Closes every socket with `code` (default 4000, which discord.js answers with a RESUME). */
  disconnectAll(code = 4000): void {
    for (const ws of this.sockets) ws.close(code, "fake discord: disconnect");
  }

  /** Sends op 7 RECONNECT to every open socket (discord.js closes and resumes). */
  requestReconnect(): void {
    for (const ws of this.sockets) sendRaw(ws, { op: Op.Reconnect, d: null, s: null, t: null });
  }

  /** Forgets every session: the next RESUME gets INVALID_SESSION. */
  invalidateSessions(): void {
    for (const s of this.sessions.values()) s.resumable = false;
  }

  close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private onConnection(ws: WebSocket, url: URL): void {
    this.sockets.add(ws);
    ws.on("close", (code) => this.onClose(ws, code));
    ws.on("error", () => {});
    if (url.searchParams.get("v") !== null && url.searchParams.get("v") !== "10") {
      ws.close(4012, "Invalid API version");
      return;
    }
    if ((url.searchParams.get("encoding") ?? "json") !== "json") {
      ws.close(4002, "Error while decoding payload.");
      return;
    }
    ws.on("message", (raw, isBinary) => this.onMessage(ws, raw.toString(), isBinary));
    sendRaw(ws, {
      op: Op.Hello,
      d: { heartbeat_interval: this.host.heartbeatIntervalMs, _trace: ['["fake-gateway"]'] },
      s: null,
      t: null,
    });
  }

  private onClose(ws: WebSocket, code: number): void {
    this.sockets.delete(ws);
    const session = this.bySocket.get(ws);
    this.bySocket.delete(ws);
    if (!session) return;
    if (session.socket === ws) session.socket = null;
    // A client that closes with 1000 or 1001 ends its session; anything else may RESUME.
    if (code === 1000 || code === 1001) session.resumable = false;
    this.history.push({ kind: "close", sessionId: session.id, at: Date.now(), code });
  }

  private onMessage(ws: WebSocket, text: string, isBinary: boolean): void {
    let payload: { op?: unknown; d?: unknown };
    try {
      if (isBinary) throw new Error("binary");
      payload = JSON.parse(text);
    } catch {
      ws.close(4002, "Error while decoding payload.");
      return;
    }
    const session = this.bySocket.get(ws);
    switch (payload.op) {
      case Op.Heartbeat:
        sendRaw(ws, { op: Op.HeartbeatAck, d: null, s: null, t: null });
        return;
      case Op.Identify:
        if (session) ws.close(4005, "Already authenticated.");
        else this.identify(ws, (payload.d ?? {}) as Record<string, unknown>);
        return;
      case Op.Resume:
        if (session) ws.close(4005, "Already authenticated.");
        else this.resume(ws, (payload.d ?? {}) as Record<string, unknown>);
        return;
      case Op.PresenceUpdate:
      case Op.VoiceStateUpdate:
      case Op.RequestGuildMembers:
        if (!session) ws.close(4003, "Not authenticated.");
        return;
      default:
        ws.close(4001, "Unknown opcode.");
    }
  }

  private identify(ws: WebSocket, d: Record<string, unknown>): void {
    if (d.token !== this.host.token) {
      ws.close(4004, "Authentication failed.");
      return;
    }
    const intents = d.intents;
    if (typeof intents !== "number" || !Number.isInteger(intents) || intents < 0) {
      ws.close(4013, "Invalid intent(s).");
      return;
    }
    if (!this.host.privilegedIntents && (intents & PRIVILEGED) !== 0) {
      ws.close(4014, "Disallowed intent(s).");
      return;
    }
    const shard = d.shard;
    if (Array.isArray(shard) && (shard[0] !== 0 || shard[1] !== 1)) {
      ws.close(4010, "Invalid shard.");
      return;
    }
    const session: Session = {
      id: randomBytes(16).toString("hex"),
      intents,
      seq: 0,
      socket: ws,
      sent: [],
      resumable: true,
    };
    this.sessions.set(session.id, session);
    this.bySocket.set(ws, session);
    this.history.push({ kind: "identify", sessionId: session.id, at: Date.now(), intents });
    this.send(session, "READY", this.host.readyPayload(session.id));
    for (const guild of this.host.guildCreatePayloads()) this.send(session, "GUILD_CREATE", guild);
  }

  private resume(ws: WebSocket, d: Record<string, unknown>): void {
    const session = typeof d.session_id === "string" ? this.sessions.get(d.session_id) : undefined;
    const seq = typeof d.seq === "number" ? d.seq : -1;
    if (d.token !== this.host.token) {
      ws.close(4004, "Authentication failed.");
      return;
    }
    const oldest = session?.sent[0]?.s ?? (session ? session.seq + 1 : 0);
    if (!session?.resumable || seq > session.seq || seq + 1 < oldest) {
      this.history.push({
        kind: "invalid-session",
        sessionId: session?.id ?? null,
        at: Date.now(),
      });
      sendRaw(ws, { op: Op.InvalidSession, d: false, s: null, t: null });
      return;
    }
    // A session lives on one socket: a resume takes it over from a socket still open.
    if (session.socket && session.socket !== ws) {
      this.bySocket.delete(session.socket);
      session.socket.close(4009, "Session timed out.");
    }
    session.socket = ws;
    this.bySocket.set(ws, session);
    this.history.push({ kind: "resume", sessionId: session.id, at: Date.now() });
    for (const item of session.sent) if (item.s > seq) sendRaw(ws, item.payload);
    this.send(session, "RESUMED", { _trace: ['["fake-gateway"]'] });
  }

  private send(session: Session, t: string, d: Record<string, unknown>): void {
    session.seq += 1;
    const payload = { op: Op.Dispatch, t, s: session.seq, d };
    session.sent.push({ s: session.seq, payload });
    if (session.sent.length > REPLAY_LIMIT) session.sent.shift();
    if (session.socket) sendRaw(session.socket, payload);
  }
}

function sendRaw(ws: WebSocket, payload: unknown): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(payload));
}
