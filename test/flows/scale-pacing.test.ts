// Pacing shared by every process: two bridges (HTTP + worker each) on one database post to one
// Slack channel together within the channel's pace, as one process would.
import { afterEach, describe, expect, it } from "vitest";
import { migrateOpen, openDatabase } from "../../src/db/database.ts";
import { sharedBudget } from "../../src/queue/budget.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slack.ts";
import { createTestDatabase, TEST_DB, type TestDatabase } from "../support/db.ts";
import { until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
});

describe("a budget shared by processes", () => {
  it("gives `burst` tokens, then turns one interval apart, to every holder of the database", async () => {
    const db = await createTestDatabase();
    cleanup.push(() => db.drop());
    const database = (await db.open?.()) ?? (await openDatabase({ url: db.url }));
    await migrateOpen(database, db.url);
    cleanup.push(() => database.close());
    // Two holders of the same database (as two processes would be); one token per 1,000 s,
    // so the time the test takes changes nothing.
    const a = sharedBudget(database.db, "slack:posts");
    const b = sharedBudget(database.db, "slack:posts");
    const rate = 0.001;
    const taken = [];
    for (let i = 0; i < 3; i++)
      taken.push(await a.take("C1", rate, 3), await b.take("C1", rate, 3));
    expect(taken.slice(0, 3)).toEqual([0, 0, 0]);
    const [w1 = 0, w2 = 0, w3 = 0] = taken.slice(3);
    expect(w1).toBeGreaterThan(0);
    // Callers told to wait get turns one interval (1,000 s) apart.
    expect(w2 - w1).toBeGreaterThan(990_000);
    expect(w3 - w2).toBeGreaterThan(990_000);
    // Another key, another namespace: buckets of their own.
    expect(await a.take("C2", rate, 1)).toBe(0);
    expect(await sharedBudget(database.db, "discord:posts").take("C1", rate, 1)).toBe(0);
    // A hold seen by one holder stops the other's takes on that key, a full bucket or not.
    await a.hold("C3", 600_000);
    const held = await b.take("C3", 1000, 10);
    expect(held).toBeGreaterThan(590_000);
    expect(await b.take("C4", 1000, 10)).toBe(0);
  });
});

if (TEST_DB === "postgres") {
  describe("slack pacing across processes", () => {
    it("two bridges posting to one channel stay within its pace together", async () => {
      const fake: FakeSlack = await startFakeSlack({ channels: [GENERAL] });
      cleanup.push(() => fake.close());
      const db: TestDatabase = await createTestDatabase();
      cleanup.push(() => db.drop());
      const worlds: SlackWorld[] = [];
      for (let i = 0; i < 2; i++) {
        const w = await startSlackWorld({ sharedFake: fake, db });
        cleanup.push(() => w.close());
        worlds.push(w);
      }
      // Twelve customers write in, half through each bridge (a 503 is called again, as the
      // provider does).
      const phones = Array.from({ length: 12 }, (_, i) => `+1555060${String(i).padStart(4, "0")}`);
      for (const [i, phone] of phones.entries()) {
        const w = worlds[i % 2] as SlackWorld;
        await until(async () => (await w.h.sim.inbound(phone, `hello from ${phone}`)) === 200);
      }
      for (const phone of phones) {
        const w = worlds[0] as SlackWorld;
        await untilInOrder(w, await w.thread(phone), [`hello from ${phone}`], 60_000);
      }
      const posts = fake.posts.filter((p) => p.channel === GENERAL).map((p) => p.at);
      posts.sort((x, y) => x - y);
      expect(posts.length).toBeGreaterThanOrEqual(phones.length);
      // The bridge's pace: a burst of 4, then 1 per second. In any second, at most the burst
      // and one more (plus one for the time a post takes to travel after its token).
      const inSecond = posts.map((t) => posts.filter((u) => u >= t && u < t + 1000).length);
      expect(Math.max(...inSecond)).toBeLessThanOrEqual(6);
      // Over the whole run: no more than the burst and one per second since the first post.
      const first = posts[0] as number;
      for (const [i, t] of posts.entries())
        expect(i + 1).toBeLessThanOrEqual(4 + 1 + Math.floor((t - first) / 1000) + 1);
    });
  });
}
