// Web and worker scale apart on one Postgres: `serve --no-worker` answers HTTP and stores, but
// runs no job; `worker` runs the jobs and has no HTTP. (The embedded database allows one
// process, so this is a Postgres-only arrangement: the test uses the Postgres of `npm test`.)
import { type ChildProcess, spawn } from "node:child_process";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { loadEnv } from "../../src/boot/env.ts";
import { createServices, type Services } from "../../src/boot/services.ts";
import { rowsOf } from "../../src/db/database.ts";
import { listJobs } from "../../src/queue/overview.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { baseEnv, SIM_KEY, SIM_LOGIN, unprocessed, until } from "../support/harness.ts";

/** Starts the command; resolves with the child and the first JSON log line matching `msg`. */
function start(args: string[], env: Record<string, string>, msg: RegExp) {
  const child = spawn("node", ["bin/ardary-bridge.js", ...args], {
    env: { ...process.env, ...env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise<{ child: ChildProcess; line: Record<string, unknown> }>((resolve, reject) => {
    let buffer = "";
    child.stdout.on("data", (d) => {
      buffer += d;
      for (const l of buffer.split("\n")) {
        if (!l.startsWith("{")) continue;
        const line = JSON.parse(l) as Record<string, unknown>;
        if (msg.test(String(line.msg))) resolve({ child, line });
      }
    });
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited ${code}`)));
  });
}

async function stop(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

describe("process types", { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let sim: Simulator;
  let services: Services;
  let web: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({ accessKey: SIM_KEY, login: SIM_LOGIN });
  });
  afterAll(async () => {
    await stop(web);
    await stop(worker);
    await services?.close();
    await sim.close();
    await db.drop();
  });

  /** The bodies of the inbound SMS recorded so far. */
  const inbound = async () =>
    rowsOf<{ body: string }>(
      await services.database.db.execute(
        sql`select body from messages where direction = 'in' order by id`,
      ),
    ).map((r) => r.body);

  it("serve --no-worker stores and answers but acts on nothing; worker acts and sends without HTTP", async () => {
    const env = baseEnv(db, sim, { PORT: "0" });
    const w = await start(["serve", "--no-worker"], env, /^ardary-bridge listening/);
    web = w.child;
    expect(w.line).toMatchObject({ worker: false });
    const url = `http://127.0.0.1:${w.line.port}`;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    // An SMS queued while only the web process runs stays queued.
    services = await createServices(loadEnv(env), { chat: false, maxConnections: 1 });
    await services.database.db.transaction((tx) =>
      services.bridge.queueSms(tx, { phone: "+15550400001", text: "from the queue", author: "t" }),
    );
    // The web process takes a callback (it stores it) while the SMS waits for a worker.
    const callback = await fetch(
      `${url}/ardary/callback/${env.ARDARY_CALLBACK_SECRET}?message=${encodeURIComponent(
        JSON.stringify({
          title: "incoming sms",
          from: "+15550400002",
          body: "hi",
          date: "2026-11-27 10:00:00",
        }),
      )}`,
    );
    expect(callback.status).toBe(200);
    const pending = await listJobs(services.database.db);
    expect(pending.pending.map((p) => p.kind)).toContain("sms.send");
    // Stored (answered 200), not acted on: acting on it is the worker's.
    expect(await unprocessed(services.database)).toBe(1);
    expect(await inbound()).toEqual([]);
    expect(sim.requests).toEqual([]);

    const k = await start(["worker"], env, /^ardary-bridge running \(no HTTP\)/);
    worker = k.child;
    expect(k.line).toMatchObject({ worker: true });
    expect(k.line).not.toHaveProperty("port");
    await until(() => sim.sent.find((s) => s.message === "from the queue"), 30_000);
    expect(sim.sent).toHaveLength(1);
    await until(async () => (await inbound()).length > 0, 30_000, "the stored SMS acted on");
    expect(await inbound()).toEqual(["hi"]);
    expect(await unprocessed(services.database)).toBe(0);
  });
});
