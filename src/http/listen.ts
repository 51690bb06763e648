// The HTTP port is taken first, before the database is opened, so a busy port ends the boot at
// once with one line naming PORT. Until the app is ready, requests get a 503 "starting" (the
// platform may route to the port as soon as it is bound), or "database unavailable" while the
// boot waits for the database (src/boot/wait.ts).
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export class BootError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "BootError";
  }
}

export interface Listening {
  server: Server;
  port: number;
  /** Hands the requests to the app from now on. */
  serve(app: RequestListener): void;
  /** Why requests are refused until `serve` (default "starting"). */
  waiting(reason: string): void;
  close(): Promise<void>;
}

/** Binds `port` on every interface; a busy or forbidden port is a BootError naming PORT. */
export async function listenOn(port: number, host = "0.0.0.0"): Promise<Listening> {
  let handler: RequestListener | undefined;
  let reason = "starting";
  const server = createServer((req, res) => {
    if (handler) return handler(req, res);
    res.writeHead(503, { "content-type": "application/json", "retry-after": "1" });
    res.end(JSON.stringify({ ok: false, error: reason }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => reject(portError(err, port)));
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    serve(app) {
      handler = app;
    },
    waiting(why) {
      reason = why;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function portError(err: NodeJS.ErrnoException, port: number): Error {
  if (err.code === "EADDRINUSE")
    return new BootError(
      `port ${port} is already in use (EADDRINUSE): set PORT to a free port, or stop the process that holds it`,
      err,
    );
  if (err.code === "EACCES")
    return new BootError(
      `port ${port} needs privileges this process does not have (EACCES): set PORT to 1024 or above`,
      err,
    );
  return err;
}
