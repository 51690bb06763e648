// The callback URL as `callback-url` prints it, whatever characters the secret holds: the built
// server and the CLI, as a person runs them.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { stopChild } from "../support/cli.ts";
import { createTestDatabase } from "../support/db.ts";
import { baseEnv, SIM_KEY, SIM_LOGIN, until } from "../support/harness.ts";
import { freePort } from "../support/world.ts";

const run = promisify(execFile);

const examples = {
  message: {
    title: "incoming sms",
    from: "+15550001111",
    body: "Hello world !",
    date: "2020-01-21 10:01:38",
  },
};

describe("the callback URL, whatever the secret", () => {
  it("a secret with / and + (and =, a space, accents): `callback-url` prints it encoded, that exact URL stores the callback, a wrong secret gets 404", async () => {
    // As Render's generateValue may make it (base64), with what a person may type on top.
    const secret = "Ab3/9xQ+rZ/w+Tk0= é ü 7/";
    const db = await createTestDatabase({ onDisk: true });
    const sim = await startSimulator({ accessKey: SIM_KEY, login: SIM_LOGIN });
    const port = String(await freePort());
    const env = {
      ...process.env,
      ...baseEnv(db, sim, { PORT: port, ARDARY_CALLBACK_SECRET: secret }),
    };
    const server = spawn("node", ["bin/ardary-bridge.js", "serve"], { env, stdio: "ignore" });
    try {
      await until(
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok,
        30_000,
        "server up",
      );
      const printed = (
        await run("node", ["bin/ardary-bridge.js", "callback-url"], { env })
      ).stdout.trim();
      expect(printed).toBe(
        `http://localhost:${port}/ardary/callback/Ab3%2F9xQ%2BrZ%2Fw%2BTk0%3D%20%C3%A9%20%C3%BC%207%2F`,
      );
      const query = `?message=${encodeURIComponent(JSON.stringify(examples.message))}`;
      const first = await fetch(`${printed}${query}`);
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ ok: true, duplicate: false });
      // Stored: the same callback again is recognised; also at the URL as it was printed before
      // (the secret unencoded, its `/` splitting the path), which a dashboard may still hold.
      const again = await fetch(`${printed}${query}`);
      expect(await again.json()).toEqual({ ok: true, duplicate: true });
      const base = `http://localhost:${port}/ardary/callback/`;
      expect(await (await fetch(`${base}${secret}${query}`)).json()).toEqual({
        ok: true,
        duplicate: true,
      });
      // Another secret, a part of it: 404. A malformed %-escape: 400, as before.
      for (const wrong of [
        encodeURIComponent(secret.replace("Q", "q")),
        secret.split("/")[0] ?? "",
        encodeURIComponent(secret.slice(0, -1)),
      ]) {
        const res = await fetch(`${base}${wrong}?message=${encodeURIComponent("{}")}`);
        expect(res.status, wrong).toBe(404);
      }
      expect((await fetch(`${base}${encodeURIComponent(secret)}%ZZ${query}`)).status).toBe(400);
    } finally {
      await stopChild(server);
      await sim.close();
      await db.drop();
    }
  });
});
