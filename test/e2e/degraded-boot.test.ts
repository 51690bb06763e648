// A wrong Slack token at boot does not kill `serve` (issue 22: the built server died on Bolt's
// uncaught invalid_auth, exit 1, a crash loop on a PaaS that refused every callback meanwhile).
// The built server, spawned: it keeps running, says once at error level which variable to fix,
// answers /healthz 200 with Slack refused, stores callbacks; restarted with the right token, it
// posts what waited, once.
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../adapters/ardary/simulator/index.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slack.ts";
import { type RunningServe, startServe } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { healthOf, sleep } from "../support/degraded.ts";
import { baseEnv, SECRET, SIM_KEY, SIM_LOGIN, until } from "../support/harness.ts";

let serve: RunningServe | undefined;
let fake: FakeSlack | undefined;
let sim: Simulator | undefined;
let db: TestDatabase | undefined;
afterEach(async () => {
  await serve?.stop();
  await fake?.close();
  await sim?.close();
  await db?.drop();
  serve = fake = sim = db = undefined;
});

/** The port `serve` listens on, from its boot line. */
async function portOf(s: RunningServe): Promise<number> {
  const line = JSON.parse(await s.line(/"msg":"ardary-bridge listening/, 30_000)) as {
    port: number;
  };
  return line.port;
}

describe("a wrong Slack token at boot", () => {
  it("keeps serve running, says it once, and a restart with the right token posts what waited", async () => {
    db = await createTestDatabase({ onDisk: true });
    fake = await startFakeSlack({ channels: ["C0GENERAL"] });
    sim = await startSimulator({ accessKey: SIM_KEY, login: SIM_LOGIN });
    const env = {
      ...baseEnv(db, sim, { PORT: "0", LOG_LEVEL: "info", REFUSED_RETRY_MS: "300" }),
      SLACK_BOT_TOKEN: "xoxb-a-typo",
      SLACK_SIGNING_SECRET: fake.signingSecret,
      SLACK_CHANNEL: "C0GENERAL",
      SLACK_API_URL: fake.apiUrl,
    };
    serve = await startServe(env);
    const running = serve;
    const url = `http://127.0.0.1:${await portOf(running)}`;
    await running.line(/refuses the bridge.*SLACK_BOT_TOKEN/, 15_000);
    const health = await until(async () => {
      const h = await healthOf(url);
      return h.body.chat?.slack?.state === "refused" ? h : undefined;
    });
    expect(health.status).toBe(200);
    expect(health.body.chat?.slack?.reason).toContain("invalid_auth");

    // Callbacks are stored and answered; the post waits.
    sim.setCallbackUrl(`${url}/ardary/callback/${SECRET}`);
    expect(await sim.inbound("+15550850001", "sent while the token was wrong")).toBe(200);
    await sleep(2000); // several tries, every 300 ms
    expect(running.exited()).toBe(false);
    expect((await healthOf(url)).status).toBe(200);
    expect(fake.posts).toHaveLength(0);
    const said = running
      .lines()
      .filter((l) => l.includes('"level":50') && l.includes("SLACK_BOT_TOKEN"));
    expect(said).toHaveLength(1);
    const stopBegan = Date.now();
    await running.stop();
    const stopMs = Date.now() - stopBegan;

    // The right token: what waited is posted once.
    serve = await startServe({ ...env, SLACK_BOT_TOKEN: fake.botToken });
    const fixed = serve;
    const again = `http://127.0.0.1:${await portOf(fixed)}`;
    const slack = fake;
    // What a timeout says: the first serve's stop (a claim cut short left its job on a lease,
    // src/queue/worker.ts stop), what each serve logged at warn and above, and the second's health.
    const loud = (s: RunningServe) =>
      s.lines().filter((l) => /"level":(40|50|60)/.test(l) && !l.includes("SLACK_BOT_TOKEN"));
    await until(
      () => slack.posts.some((p) => p.text?.includes("sent while the token was wrong")),
      20_000,
      "the post that waited",
      async () =>
        JSON.stringify({
          firstStopMs: stopMs,
          firstLines: loud(running).slice(-5),
          secondLines: loud(fixed).slice(-5),
          health: (await healthOf(again)).body,
          posts: slack.posts.length,
        }),
    );
    await until(
      async () => (await healthOf(again)).body.chat?.slack?.state === "ok",
      10_000,
      "Slack ok",
    );
    await sleep(500);
    expect(
      slack.posts.filter((p) => p.text?.includes("sent while the token was wrong")),
    ).toHaveLength(1);
  });
});
