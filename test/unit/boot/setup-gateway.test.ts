// Which process holds the Discord gateway, as the setup page of another process sees it: two
// bridges on one Postgres (the gateway lock is a Postgres session lock, so this runs once, with
// the unit tests, on Postgres); the one that stands by names the holder, then takes over when it
// stops and says so.
import { afterAll, describe, expect, it } from "vitest";
import { startFakeDiscord } from "../../fakes/discord.ts";
import { createTestDatabase } from "../../support/db.ts";
import { discordEnv } from "../../support/discord-setup.ts";
import { startHarness, until } from "../../support/harness.ts";
import { lookAt } from "../../support/setup-page.ts";

describe("setup page: the Discord gateway across processes", () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it("another process names the holder, then holds it itself once the holder stops", async () => {
    const fake = await startFakeDiscord();
    closers.push(() => fake.close());
    const db = await createTestDatabase();
    closers.push(() => db.drop());
    const env = discordEnv(fake, fake.textChannelId ?? "");
    const web = await startHarness({ db, env: { ...env, DYNO: "web.1" } });
    let webOpen = true;
    closers.push(async () => {
      if (webOpen) await web.close();
    });
    const worker = await startHarness({ db, env: { ...env, DYNO: "worker.1" } });
    closers.push(() => worker.close());

    const here = (await lookAt(`${web.bridge.url}/`)).line("discord", "gateway");
    expect(here.state).toBe("ok");
    expect(here.text).toContain(`connected, in this process: web.1 (pid ${process.pid})`);
    const there = (await lookAt(`${worker.bridge.url}/`)).line("discord", "gateway");
    expect(there.state).toBe("ok");
    expect(there.text).toContain(`connected, in web.1 (pid ${process.pid})`);

    await web.close();
    webOpen = false;
    const taken = await until(
      async () => {
        const l = (await lookAt(`${worker.bridge.url}/`)).line("discord", "gateway");
        return l.text.includes("in this process") ? l : undefined;
      },
      20_000,
      "the worker to hold the gateway",
    );
    expect(taken.state).toBe("ok");
    expect(taken.text).toContain("connected, in this process: worker.1");
  });
});
