// Cheap refusals on /slack/events: unsigned, stale, future-dated and oversized requests are
// refused from their headers, before their body is read. 100 concurrent unsigned 4 MB posts
// leave the built server (a child process, run as the Procfile's web line) under 200 MB of RSS on Postgres (less than 40 MB
// more than before on either database), and it still answers.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { startFakeSlack } from "../fakes/slack.ts";
import { procfileCommand, stopChild } from "../support/cli.ts";
import { createTestDatabase, TEST_DB } from "../support/db.ts";
import { baseEnv, SIM_KEY, SIM_LOGIN, until } from "../support/harness.ts";
import { freePort, rssMb, steadyRssMb } from "../support/world.ts";

/** Bytes the process has read through read(2) so far: files, and every socket it reads. */
function bytesRead(pid: number): number {
  return Number(/^rchar:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"))?.[1]);
}

/** POSTs `body` with the given headers; resolves to the status, or "closed" if cut short. */
function post(
  port: number,
  headers: Record<string, string>,
  body: Buffer,
): Promise<number | "closed"> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/slack/events",
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": String(body.length),
          ...headers,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", () => resolve(res.statusCode ?? "closed"));
      },
    );
    req.on("error", () => resolve("closed"));
    req.end(body);
  });
}

describe("slack events: cheap refusals", () => {
  it("refuses unsigned, stale and future requests unread; a 4 MB flood stays under 200 MB", async () => {
    const db = await createTestDatabase({ onDisk: true });
    const fake = await startFakeSlack({ channels: ["C0GENERAL"] });
    const sim = await startSimulator({ accessKey: SIM_KEY, login: SIM_LOGIN });
    const port = await freePort();
    const env = {
      ...process.env,
      ...baseEnv(db, sim, {
        PORT: String(port),
        SLACK_BOT_TOKEN: fake.botToken,
        SLACK_SIGNING_SECRET: fake.signingSecret,
        SLACK_CHANNEL: "C0GENERAL",
        SLACK_API_URL: fake.apiUrl,
      }),
    };
    // The web process as the Procfile deploys it (its V8 flags are part of the memory budget).
    const [command, args] = procfileCommand("web");
    const server: ChildProcess = spawn(command, args, {
      env,
      stdio: "ignore",
    });
    try {
      const small = Buffer.from(JSON.stringify({ type: "url_verification", challenge: "x" }));
      // Slack's routes are mounted once its adapter has started, after /healthz answers.
      await until(async () => (await post(port, {}, small)) === 401, 30_000, "slack up");
      const now = Math.floor(Date.now() / 1000);
      const sig = `v0=${"0".repeat(64)}`;
      const stale = { "x-slack-signature": sig, "x-slack-request-timestamp": String(now - 600) };
      expect(await post(port, stale, small)).toBe(401);
      const future = { "x-slack-signature": sig, "x-slack-request-timestamp": String(now + 600) };
      expect(await post(port, future, small)).toBe(401);
      const fresh = { "x-slack-signature": sig, "x-slack-request-timestamp": String(now) };
      const big = Buffer.alloc(4 * 1024 * 1024, 0x61);
      // 413, or the connection closed while the client was still sending: never read.
      expect([413, "closed"]).toContain(await post(port, fresh, big));

      const pid = server.pid as number;
      const before = await steadyRssMb(pid);
      const readBefore = bytesRead(pid);
      const answers = await Promise.all(Array.from({ length: 100 }, () => post(port, {}, big)));
      // Refused (401) or cut short by the server closing: never read into memory.
      expect(answers.every((a) => a === 401 || a === "closed")).toBe(true);
      expect(answers.filter((a) => a === 401).length).toBeGreaterThan(0);
      const after = rssMb(pid);
      const read = (bytesRead(pid) - readBefore) / 2 ** 20;
      console.log(
        `4 MB flood (${TEST_DB}): RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB, read ${read.toFixed(1)} MB`,
      );
      // Their bodies are 400 MB: the server reads only what arrived before each refusal closed
      // its connection (about 0.2 MB of each 4 MB, measured), never a whole body.
      expect(read).toBeLessThan(80);
      // RSS: on Postgres, the bound. The embedded PGlite alone weighs ~300 MB, and its
      // memory moves by tens of MB on its own (Node 24 more than 20): its bound is what reading
      // the bodies would add, from a start measured once the server's RSS had stopped moving
      // (a loaded CI run once took `before` while PGlite was still growing: +157 MB).
      if (TEST_DB === "postgres") expect(after).toBeLessThan(200);
      else expect(after - before).toBeLessThan(100);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await stopChild(server);
      await fake.close();
      await sim.close();
      await db.drop();
    }
  });
});
