// A new conversation costs one post: the card carries its first SMS, later ones go in the
// thread; a channel whose new conversations pile up says so once, at the top.
import { afterEach, expect, it } from "vitest";
import { until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

let w: SlackWorld;
afterEach(async () => {
  await w.close();
});

const phones = (n: number) =>
  Array.from({ length: n }, (_, i) => `+1555070${String(i).padStart(4, "0")}`);

/** A customer writes in; a 503 is called again, as the provider does. */
const inbound = (phone: string, text: string) =>
  until(async () => (await w.h.sim.inbound(phone, text)) === 200, 20_000, `${phone} stored`);

it("posts a new conversation's card with its first SMS (one post); the next SMS goes in the thread", async () => {
  w = await startSlackWorld();
  await inbound("+15550700001", "first words");
  const t = await w.thread("+15550700001");
  await untilInOrder(w, t, ["first words"]);
  const [card, ...inThread] = w.fake.thread(t.channel, t.ts);
  expect(card?.text).toContain("📩 first words");
  expect(JSON.stringify(card?.blocks)).toContain("first words");
  expect(inThread).toEqual([]);
  expect(w.fake.posts.filter((p) => p.channel === GENERAL)).toHaveLength(1);

  await inbound("+15550700001", "second words");
  await untilInOrder(w, t, ["first words", "second words"]);
  const after = w.fake.thread(t.channel, t.ts).map((m) => m.text);
  expect(after).toHaveLength(2);
  expect(after[1]).toContain("second words");
  expect(after[1]).not.toContain("first words");
});

it("says once at the top of a channel that new conversations wait, and posts each with one post", async () => {
  w = await startSlackWorld({ env: { CHAT_BACKLOG_NOTICE_AT: "4" } });
  const list = phones(10);
  for (const phone of list) await inbound(phone, `hello from ${phone}`);
  for (const phone of list) await untilInOrder(w, await w.thread(phone), [`hello from ${phone}`]);
  const top = w.fake.posts.filter((p) => p.channel === GENERAL && !p.thread_ts);
  const notices = top.filter((p) =>
    /new conversations waiting to be posted, ~\d+ s/.test(p.text ?? ""),
  );
  expect(notices).toHaveLength(1);
  // One post per new conversation, and the notice: nothing else.
  expect(w.fake.posts.filter((p) => p.channel === GENERAL)).toHaveLength(list.length + 1);
});
