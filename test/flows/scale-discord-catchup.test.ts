// Discord catch-up bounded by what happened while away: one request for the guild's active
// threads, then only the threads with messages past the cursor, every page of them.
import { afterEach, expect, it } from "vitest";
import { startFakeDiscord } from "../fakes/discord.ts";
import { createTestDatabase } from "../support/db.ts";
import { settled, startDiscord, waitCard } from "../support/discord-setup.ts";
import { type Harness, until } from "../support/harness.ts";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => {});
});

const A = "+33612345601";
const B = "+33612345602";
const C = "+33612345603";
const sentTo = (phone: string, ...hs: Harness[]) =>
  hs
    .flatMap((h) => h.sim.sent)
    .filter((s) => s.phonenumber === phone)
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map((s) => s.message);

it("reads only the threads written in while away, past 100 messages, each message once and in order", async () => {
  const fake = await startFakeDiscord();
  cleanup.push(() => fake.close());
  const db = await createTestDatabase({ onDisk: true });
  cleanup.push(() => db.drop());
  const first = await startDiscord("text", { fake, db });
  const threads: Record<string, string> = {};
  for (const [phone, shown] of [
    [A, "+33 6 12 34 56 01"],
    [B, "+33 6 12 34 56 02"],
    [C, "+33 6 12 34 56 03"],
  ] as const) {
    await first.h.sim.inbound(phone, "Hi");
    threads[phone] = (await waitCard(first, shown, "📩 Hi")).threadId;
  }
  fake.messageCreate(threads[A] as string, { content: "before" });
  await until(() => sentTo(A, first.h).length === 1, 10_000, "the first SMS");
  await settled(first.h);
  await first.h.close();

  // While no process is connected: 105 replies in A's thread, nothing in B's or C's.
  const missed = Array.from({ length: 105 }, (_, i) => `missed ${i}`);
  for (const content of missed) fake.messageCreate(threads[A] as string, { content });
  const since = fake.requests.length;

  const second = await startDiscord("text", { fake, db });
  cleanup.push(() => second.h.close());
  await until(() => sentTo(A, first.h, second.h).length === 106, 60_000, "every missed SMS");
  expect(sentTo(A, first.h, second.h)).toEqual(["before", ...missed]);
  expect(sentTo(B, first.h, second.h)).toEqual([]);

  const reads = fake.requests.slice(since).filter((r) => r.method === "GET");
  expect(reads.filter((r) => r.route === "/guilds/:id/threads/active")).toHaveLength(1);
  const pages = reads.filter((r) => /^\/channels\/\d+\/messages$/.test(r.path.split("?")[0] ?? ""));
  // Two pages of A's thread (100, then 5); none of B's or C's.
  expect(pages.map((r) => r.path.split("/")[2])).toEqual([threads[A], threads[A]]);
});
