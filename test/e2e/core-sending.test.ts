// Outbound SMS from the command line: `ardary-bridge send` (the built command, a child
// process) makes exactly the contract's request with the bridge's own id_sms_api, and `send`,
// `jobs` and `callback-url` work while a server runs. (Batching, retries and the opt-out at send
// time: test/flows/core-sending.test.ts.)
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { stopChild } from "../support/cli.ts";
import { createTestDatabase, TEST_DB } from "../support/db.ts";
import { baseEnv, SECRET, SIM_KEY, SIM_LOGIN, until } from "../support/harness.ts";
import { freePort } from "../support/world.ts";

const run = promisify(execFile);

describe("sending", () => {
  it("`ardary-bridge send` makes exactly the contract's request, with the bridge's own id_sms_api", async () => {
    const db = await createTestDatabase({ onDisk: true });
    const sim = await startSimulator({ accessKey: SIM_KEY, login: SIM_LOGIN });
    try {
      const env = { ...process.env, ...baseEnv(db, sim, { ARDARY_SENDER_NAME: "ACME" }) };
      const { stdout } = await run(
        "node",
        ["bin/ardary-bridge.js", "send", "--to", "+15550001111", "--text", "hi"],
        { env },
      );
      expect(stdout).toMatch(/accepted by the provider/);
      expect(sim.requests).toHaveLength(1);
      const body = sim.requests[0]?.body as { header: unknown; messages: { id_sms_api: string }[] };
      expect(body).toEqual({
        header: [
          {
            accesskey: SIM_KEY,
            login: SIM_LOGIN,
            sender_name: "ACME",
            sender_mode: "1",
            priority: 1,
            mode: "prod",
          },
        ],
        // A sender name: the customer can answer through Ardary's reply mechanism.
        messages: [
          {
            phonenumber: "+15550001111",
            message: "hi",
            id_sms_api: expect.stringMatching(/^ab-[0-9a-f-]{36}$/),
            addReply: 1,
          },
        ],
      });
      expect(stdout).toContain(body.messages[0]?.id_sms_api);
    } finally {
      await sim.close();
      await db.drop();
    }
  });

  it("`send`, `jobs` and `callback-url` also work while the server runs (through it, on PGlite)", async () => {
    const db = await createTestDatabase({ onDisk: true });
    const sim = await startSimulator({ accessKey: SIM_KEY, login: SIM_LOGIN });
    const port = String(await freePort());
    const env = { ...process.env, ...baseEnv(db, sim, { PORT: port, ARDARY_MODE: "test" }) };
    const server = spawn("node", ["bin/ardary-bridge.js", "serve"], { env, stdio: "ignore" });
    try {
      await until(
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok,
        30_000,
        "server up",
      );
      const sent = await run(
        "node",
        ["bin/ardary-bridge.js", "send", "--to", "+15550001111", "--text", "while serving"],
        { env },
      );
      expect(sent.stdout).toMatch(
        TEST_DB === "pglite" ? /through the running server/ : /queued \(reference/,
      );
      expect(sent.stdout).toMatch(/accepted by the provider/);
      expect(sim.sent.map((m) => m.message)).toEqual(["while serving"]);
      const jobs = await run("node", ["bin/ardary-bridge.js", "jobs"], { env });
      expect(jobs.stdout).toMatch(/Pending jobs:/);
      expect(jobs.stdout).toMatch(/Dead jobs[^\n]*\n {2}none/);
      const url = await run("node", ["bin/ardary-bridge.js", "callback-url"], { env });
      expect(url.stdout.trim()).toBe(`http://localhost:${port}/ardary/callback/${SECRET}`);
    } finally {
      await stopChild(server);
      await sim.close();
      await db.drop();
    }
  });
});
