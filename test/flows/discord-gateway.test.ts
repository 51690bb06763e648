// One gateway connection however many bridge processes share the database, a takeover when
// the holder stops, and nothing posted in between lost.
import { afterEach, expect, it } from "vitest";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord.ts";
import { createTestDatabase, TEST_DB, type TestDatabase } from "../support/db.ts";
import { type DiscordWorld, settled, startDiscord, waitCard } from "../support/discord-setup.ts";
import { type Harness, until } from "../support/harness.ts";

const A = "+33612345678";
const A_SHOWN = "+33 6 12 34 56 78";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
});

async function fakeDiscord(): Promise<FakeDiscord> {
  const fake = await startFakeDiscord();
  cleanup.push(() => fake.close());
  return fake;
}

async function sharedDatabase(onDisk = false): Promise<TestDatabase> {
  const db = await createTestDatabase({ onDisk });
  cleanup.push(() => db.drop());
  return db;
}

async function bridge(fake: FakeDiscord, db: TestDatabase): Promise<DiscordWorld> {
  const w = await startDiscord("text", { fake, db });
  cleanup.push(() => w.h.close());
  return w;
}

const identifies = (fake: FakeDiscord) =>
  fake.connectionHistory.filter((e) => e.kind === "identify").length;

/** Every SMS the simulators of these bridges accepted for A, in order of acceptance. */
const sentToA = (...hs: Harness[]) =>
  hs
    .flatMap((h) => h.sim.sent)
    .filter((s) => s.phonenumber === A)
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map((s) => s.message);

it("catches up after a restart on replies posted while no process was connected", async () => {
  const fake = await fakeDiscord();
  const db = await sharedDatabase(true);
  const first = await startDiscord("text", { fake, db });
  await first.h.sim.inbound(A, "Hi");
  const { threadId } = await waitCard(first, A_SHOWN, "📩 Hi");
  fake.messageCreate(threadId, { content: "before the restart" });
  await until(() => sentToA(first.h).length === 1, 10_000, "the first SMS");
  await settled(first.h);
  await first.h.close();
  expect(fake.connections).toBe(0);

  fake.messageCreate(threadId, { content: "while the bridge was down" });
  const second = await bridge(fake, db);
  await until(() => sentToA(second.h).length === 1, 10_000, "the missed reply's SMS");
  await settled(second.h);
  expect(sentToA(first.h, second.h)).toEqual(["before the restart", "while the bridge was down"]);
  expect(fake.connections).toBe(1);
});

if (TEST_DB === "postgres") {
  it("keeps one gateway connection for two processes, each message handled once, and hands it over when the holder stops", async () => {
    const fake = await fakeDiscord();
    const db = await sharedDatabase();
    const holder = await startDiscord("text", { fake, db });
    const standby = await bridge(fake, db);
    expect(fake.connections).toBe(1);
    expect(identifies(fake)).toBe(1);

    await holder.h.sim.inbound(A, "Hi");
    const { threadId } = await waitCard(holder, A_SHOWN, "📩 Hi");
    const replies = ["one", "two", "three", "four"];
    for (const content of replies) fake.messageCreate(threadId, { content });
    await until(() => sentToA(holder.h, standby.h).length === 4, 10_000, "four SMS");
    await settled(holder.h);
    await settled(standby.h);
    expect(sentToA(holder.h, standby.h)).toEqual(replies);
    expect(identifies(fake)).toBe(1);

    // The holder stops: its lock session ends, the standby (retrying every 200 ms here, 5 s by
    // default, so well within 30 s) connects, and catches up on what was posted in between.
    await holder.h.close();
    fake.messageCreate(threadId, { content: "in between" });
    await fake.waitFor(() => identifies(fake) === 2 && fake.connections === 1, 30_000);
    fake.messageCreate(threadId, { content: "after the takeover" });
    await until(() => sentToA(holder.h, standby.h).length === 6, 10_000, "six SMS");
    await settled(standby.h);
    expect(sentToA(holder.h, standby.h)).toEqual([...replies, "in between", "after the takeover"]);
    expect(fake.connections).toBe(1);
  });
}
