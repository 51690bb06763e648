// A TCP proxy the tests can cut, black-hole, strand and restore, to take "the database" away
// from a running bridge.
//   cut()        drops every connection and refuses new ones (a database that went down).
//   blackhole()  keeps every connection and accepts new ones, but nothing goes through either
//                way (a network that drops packets: no reset, no answer). What was sent waits.
//   strand()     the connections open now go silent for good, both ways, and neither side
//                hears of the other closing (a NAT or a load balancer that forgot its idle
//                flows: no reset, no answer, what is sent is lost); new connections work.
//   restore()    back to normal; after a black hole what waited is delivered, as TCP does once
//                a partition heals, and the connections accepted meanwhile reach the target.
//                Stranded connections stay stranded.
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  /** Drops every connection and refuses new ones until `restore()`. */
  cut(): void;
  /** Accepts and holds connections, forwarding nothing either way, until `restore()`. */
  blackhole(): void;
  /**
   * Silences the connections open now, both ways, for good (what is sent is dropped, a close
   * is not passed on); returns how many. New connections are forwarded as usual.
   */
  strand(): number;
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  /** Absent while a connection accepted during a black hole waits for `restore()`. */
  upstream?: Socket;
  /** Silent for good (strand()): nothing is forwarded, closes are not passed on. */
  stranded?: boolean;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let mode: "up" | "cut" | "blackhole" = "up";

  const track = (pair: Pair, s: Socket) => {
    // One side closed: the other is ended (what it still has to write is delivered first).
    s.on("close", () => {
      if (pair.stranded) return;
      pair.client.end();
      pair.upstream?.end();
      pairs.delete(pair);
    });
    s.on("error", () => {
      if (pair.stranded) return;
      pair.client.destroy();
      pair.upstream?.destroy();
    });
  };
  const forward = (pair: Pair) => {
    pair.upstream ??= connect(targetPort, targetHost);
    track(pair, pair.upstream);
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
  };
  const hold = (pair: Pair) => {
    if (pair.upstream) {
      pair.client.unpipe(pair.upstream);
      pair.upstream.unpipe(pair.client);
      pair.upstream.pause();
    }
    pair.client.pause();
  };
  /** Forwards nothing more, ever: what arrives on either side is read and dropped. */
  const silence = (pair: Pair) => {
    pair.stranded = true;
    for (const s of [pair.client, pair.upstream]) {
      if (!s) continue;
      s.unpipe();
      s.removeAllListeners("data");
      s.on("data", () => {});
      s.resume();
    }
  };

  const server: Server = createServer((client) => {
    if (mode === "cut") {
      client.destroy();
      return;
    }
    const pair: Pair = { client };
    pairs.add(pair);
    track(pair, client);
    if (mode === "blackhole") client.pause();
    else forward(pair);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut() {
      mode = "cut";
      for (const p of pairs) {
        p.client.destroy();
        p.upstream?.destroy();
      }
    },
    blackhole() {
      mode = "blackhole";
      for (const p of pairs) if (!p.stranded) hold(p);
    },
    strand() {
      let n = 0;
      for (const p of pairs) {
        if (p.stranded) continue;
        silence(p);
        n++;
      }
      return n;
    },
    restore() {
      const was = mode;
      mode = "up";
      if (was !== "blackhole") return;
      for (const p of pairs) {
        if (p.stranded) continue;
        if (p.upstream) {
          p.client.pipe(p.upstream);
          p.upstream.pipe(p.client);
        } else forward(p);
      }
    },
    close: () =>
      new Promise((r) => {
        for (const p of pairs) {
          p.client.destroy();
          p.upstream?.destroy();
        }
        server.close(() => r());
      }),
  };
}
