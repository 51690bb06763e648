// The admin surface: /internal has a listener of its own on 127.0.0.1, only with PGlite (where
// the CLI needs it); the public port does not answer it, nor does any other interface; links
// are accepted only as http(s) URLs there too.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../adapters/ardary/simulator/index.ts";
import type { ServerInfo } from "../../src/http/admin.ts";
import { stopChild } from "../support/cli.ts";
import { createTestDatabase, TEST_DB } from "../support/db.ts";
import { baseEnv, SIM_KEY, SIM_LOGIN, until } from "../support/harness.ts";
import { freePort } from "../support/world.ts";

/** Whether a TCP connection to host:port is accepted. */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

const outsideAddresses = () =>
  Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === "IPv4" && !a.internal)
    .map((a) => a?.address as string);

describe("admin surface", () => {
  it("answers /internal on loopback only, with PGlite only, and takes only http(s) links", async () => {
    const db = await createTestDatabase({ onDisk: true });
    const sim = await startSimulator({ accessKey: SIM_KEY, login: SIM_LOGIN });
    const port = await freePort();
    const env = { ...process.env, ...baseEnv(db, sim, { PORT: String(port) }) };
    const server: ChildProcess = spawn("node", ["bin/ardary-bridge.js", "serve"], {
      env,
      stdio: "ignore",
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      await until(async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok, 30_000, "up");
      expect((await fetch(`${base}/internal/jobs`)).status).toBe(404);
      const infoPath = join(env.DATA_DIR as string, "server.json");
      if (TEST_DB === "postgres") {
        expect(() => readFileSync(infoPath)).toThrow();
        return;
      }
      const info = JSON.parse(readFileSync(infoPath, "utf8")) as ServerInfo;
      expect(info.port).not.toBe(port);
      expect(await reachable("127.0.0.1", info.port)).toBe(true);
      for (const address of outsideAddresses())
        expect(await reachable(address, info.port), address).toBe(false);
      const send = (link: string) =>
        fetch(`http://127.0.0.1:${info.port}/internal/send`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-admin-token": info.token },
          body: JSON.stringify({ to: "+33612345678", text: "hello", link }),
        });
      const refused = await send("javascript:alert(1)");
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({
        error: "the link must be an http:// or https:// URL",
      });
      expect((await send("https://example.com/offer")).status).toBe(200);
      const noToken = await fetch(`http://127.0.0.1:${info.port}/internal/jobs`);
      expect(noToken.status).toBe(404);
    } finally {
      await stopChild(server);
      await sim.close();
      await db.drop();
    }
  });
});
