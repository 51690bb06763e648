// Discord rate limits shared by every process (adapters/discord/pace.ts): two bridges on one
// database post to one Discord channel. Once Discord answers a 429 for the channel (or a global
// one), neither bridge sends that channel (or anything) a request before its Retry-After; other
// channels go on; nothing is lost or out of order. Discord's pace is not known in advance: only
// what it answered is shared. The two bridges run in this process on one Postgres database, so
// the test runs once, with the unit tests, not with the flows (a PGlite folder has one process).
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { rowsOf } from "../../../../src/db/database.ts";
import { addRoute } from "../../../../src/team/routes.ts";
import { type FakeDiscord, snowflake, startFakeDiscord } from "../../../fakes/discord.ts";
import type { RequestRecord } from "../../../fakes/discord-rest.ts";
import { createTestDatabase, type TestDatabase } from "../../../support/db.ts";
import {
  cardText,
  contents,
  type DiscordWorld,
  discordEnv,
  threadsOf,
} from "../../../support/discord-setup.ts";
import { type Harness, startHarness, until } from "../../../support/harness.ts";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
});

const MAIN = snowflake();
const OTHER = snowflake();
/** How long the fake answers 429: long enough for the other channel to be served meanwhile. */
const HOLD_MS = 3000;

interface Scene {
  fake: FakeDiscord;
  bridges: [Harness, Harness];
  main: DiscordWorld;
  other: DiscordWorld;
}

/** One fake Discord with two text channels; two bridges (HTTP + worker each) on one database. */
async function twoBridges(): Promise<Scene> {
  const fake = await startFakeDiscord({
    channels: [
      { id: MAIN, name: "sms", type: "text" },
      { id: OTHER, name: "sms-uk", type: "text" },
    ],
  });
  cleanup.push(() => fake.close());
  const db: TestDatabase = await createTestDatabase();
  cleanup.push(() => db.drop());
  const bridges: Harness[] = [];
  for (let i = 0; i < 2; i++) {
    const h = await startHarness({ db, env: discordEnv(fake, MAIN) });
    cleanup.push(() => h.close());
    bridges.push(h);
  }
  const [a, b] = bridges as [Harness, Harness];
  await addRoute(a.bridge.database.db, {
    pattern: "+44",
    platform: "discord",
    channel: OTHER,
    move: false,
    by: "test",
  });
  const world = (channel: string): DiscordWorld => ({
    fake,
    h: a,
    channel,
    kind: "text",
    close: async () => {},
  });
  return { fake, bridges: [a, b], main: world(MAIN), other: world(OTHER) };
}

/** A customer writes in through this bridge; a 503 is called again, as the provider does. */
const inbound = (h: Harness, phone: string, text: string) =>
  until(async () => (await h.sim.inbound(phone, text)) === 200, 20_000, `${phone} stored`);

/** The thread whose card carries this first SMS, once its card and thread exist. */
const threadWith = (w: DiscordWorld, first: string) =>
  until(
    () => threadsOf(w).find((t) => cardText(w, t.id).includes(`📩 ${first}`)),
    30_000,
    `the thread of ${first}`,
  );

/** The time until which the database holds `key` (discord:rest:<key>), once it does. */
async function heldUntil(h: Harness, key: string): Promise<number> {
  return until(async () => {
    const [row] = rowsOf<{ ms: number | string }>(
      await h.bridge.database.db.execute(
        sql`select held_until_ms as ms from budgets where key = ${`discord:rest:${key}`}`,
      ),
    );
    return row && Number(row.ms) > 0 ? Number(row.ms) : undefined;
  });
}

const names = (r: RequestRecord, channel: string) => r.path.split("/").includes(channel);

// Two bridges share one database: Postgres only (a PGlite folder has one process).
describe("discord rate limits across processes", () => {
  it("after a channel's 429, neither bridge calls it before the Retry-After; the other channel flows; nothing lost, in order", async () => {
    const { fake, bridges, main, other } = await twoBridges();
    const [a, b] = bridges;
    const end = Date.now() + HOLD_MS;
    fake.rateLimit(MAIN, HOLD_MS);
    // The first new conversation's card meets the 429; the channel is held for every process.
    await inbound(a, "+33612345601", "first of 1");
    const first = await until(() => fake.requests.find((r) => names(r, MAIN) && r.status === 429));
    expect(await heldUntil(a, MAIN)).toBeGreaterThan(0);
    // Meanwhile: more for the held channel through both bridges, and one for the other channel.
    await inbound(b, "+33612345601", "second of 1");
    for (let i = 2; i <= 4; i++) {
      const h = i % 2 === 0 ? b : a;
      await inbound(h, `+3361234560${i}`, `first of ${i}`);
      await inbound(h, `+3361234560${i}`, `second of ${i}`);
    }
    await inbound(b, "+447700900001", "elsewhere");
    const elsewhere = await threadWith(other, "elsewhere");

    for (let i = 1; i <= 4; i++) {
      const t = await threadWith(main, `first of ${i}`);
      await until(() => contents(main, t.id).length > 0, 30_000, `the second SMS of ${i}`);
      expect(contents(main, t.id)).toEqual([`📩 second of ${i}`]);
    }
    // Every card once: four cards in the held channel, one in the other.
    expect(fake.messages(MAIN)).toHaveLength(4);
    expect(fake.messages(OTHER)).toHaveLength(1);

    const onMain = fake.requests.filter((r) => names(r, MAIN));
    const early = onMain.filter((r) => r.time > first.time && r.time < end);
    expect(early).toEqual([]);
    expect(onMain.filter((r) => r.status === 429)).toHaveLength(1);
    // The other channel was served while this one waited (before its next request).
    const next = onMain.find((r) => r.time > first.time) as RequestRecord;
    const card = fake.requests.find(
      (r) => r.method === "POST" && r.path === `/channels/${OTHER}/messages`,
    ) as RequestRecord;
    expect(card.time).toBeLessThan(next.time);
    expect(fake.message(OTHER, elsewhere.id)).toBeDefined();
  });

  it("after a global 429, neither bridge calls Discord before the Retry-After", async () => {
    const { fake, bridges, main, other } = await twoBridges();
    const [a, b] = bridges;
    const end = Date.now() + HOLD_MS;
    fake.rateLimitGlobal(HOLD_MS);
    await inbound(a, "+33612345601", "first of 1");
    const first = await until(() => fake.requests.find((r) => r.status === 429));
    expect(await heldUntil(a, "global")).toBeGreaterThan(0);
    await inbound(b, "+33612345602", "first of 2");
    await inbound(b, "+447700900001", "elsewhere");
    await threadWith(main, "first of 1");
    await threadWith(main, "first of 2");
    await threadWith(other, "elsewhere");

    const early = fake.requests.filter((r) => r.time > first.time && r.time < end);
    expect(early).toEqual([]);
    expect(fake.requests.filter((r) => r.status === 429)).toHaveLength(1);
    expect(fake.messages(MAIN)).toHaveLength(2);
    expect(fake.messages(OTHER)).toHaveLength(1);
  });
});
