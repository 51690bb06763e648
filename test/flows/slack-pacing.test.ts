// Slack's limits: a 429 holds back that channel until its Retry-After (and, for a method of
// Slack's tiers, limited per workspace, that method in every channel); a burst of SMS drains
// paced, merged per thread, in order, with nothing lost.
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

let w: SlackWorld;
afterEach(async () => {
  await w.close();
});

describe("slack pacing", () => {
  it("sends nothing to a channel answering 429 before its Retry-After; other channels go on; nothing lost, in order", async () => {
    w = await startSlackWorld();
    await w.route("+4477", "C0OTHER");
    await w.h.sim.inbound("+15550300001", "m0");
    const t = await w.thread("+15550300001");
    await untilInOrder(w, t, ["m0"]);
    await w.h.sim.inbound("+447700900001", "elsewhere 0");
    const other = await w.thread("+447700900001");
    await untilInOrder(w, other, ["elsewhere 0"]);

    w.fake.rateLimit(GENERAL, 2000);
    for (let i = 1; i <= 5; i++) await w.h.sim.inbound("+15550300001", `m${i}`);
    const limited = await until(() => w.fake.requests.find((r) => r.status === 429));
    await w.h.sim.inbound("+447700900002", "elsewhere 1");
    const other2 = await w.thread("+447700900002");
    await untilInOrder(w, other2, ["elsewhere 1"]);
    await untilInOrder(w, t, ["m0", "m1", "m2", "m3", "m4", "m5"]);

    const retryAt = limited.at + (limited.retryAfter ?? 0) * 1000;
    const early = w.fake.requests.filter(
      (r) => r.channel === GENERAL && r.at > limited.at && r.at < retryAt,
    );
    expect(early).toEqual([]);
    // The other channel was served while this one waited.
    const otherPost = w.fake.posts.find(
      (p) => p.channel === "C0OTHER" && p.text?.includes("elsewhere 1"),
    );
    expect(otherPost && otherPost.at < retryAt).toBe(true);
    expect(w.fake.requests.filter((r) => r.status === 429)).toHaveLength(1);
  });

  it("after a 429 of a tiered method (reactions.add), calls it on no channel before its Retry-After; posts go on; every status shown after", async () => {
    w = await startSlackWorld();
    await w.route("+4477", "C0OTHER");
    await w.h.sim.inbound("+15550300011", "here");
    const here = await w.thread("+15550300011");
    await w.h.sim.inbound("+447700900011", "there");
    const there = await w.thread("+447700900011");
    await untilInOrder(w, there, ["there"]);

    // Slack limits reactions.add per workspace: its 429 in one channel holds it in every one.
    w.fake.rateLimit("*", 2000, ["reactions.add"]);
    const first = await w.reply(here, "first answer");
    const limited = await until(() =>
      w.fake.requests.find((r) => r.method === "reactions.add" && r.status === 429),
    );
    const second = await w.reply(there, "second answer");
    // Posts are not held by it: a new customer in the other channel gets a thread meanwhile
    // (this conversation's own next posts wait behind its status, in order).
    await w.h.sim.inbound("+447700900012", "someone new");
    const third = await w.thread("+447700900012");
    const retryAt = limited.at + (limited.retryAfter ?? 0) * 1000;
    // A status is shown on a person's reply as a reaction.
    const shown = (t: { channel: string; ts: string }, reply: string) =>
      (w.fake.thread(t.channel, t.ts).find((m) => m.ts === reply)?.reactions.length ?? 0) > 0;
    await until(
      () => shown(here, first.ts) && shown(there, second.ts),
      15_000,
      "both statuses shown",
    );

    const early = w.fake.requests.filter(
      (r) => r.method === "reactions.add" && r.at > limited.at && r.at < retryAt,
    );
    expect(early).toEqual([]);
    const card = w.fake.posts.find((p) => p.channel === third.channel && p.ts === third.ts);
    expect(card && card.at < retryAt).toBe(true);
    expect(w.fake.requests.filter((r) => r.status === 429)).toHaveLength(1);
  });

  it("after 429s to posts in two channels (the workspace's limit), posts in no channel before the Retry-After; every SMS posted after", async () => {
    w = await startSlackWorld();
    await w.route("+4477", "C0OTHER");
    await w.route("+4478", "C0SALES");
    const phones = ["+15550300021", "+447700900021", "+447800900021"];
    const threads = [];
    for (const phone of phones) {
      await w.h.sim.inbound(phone, `hello from ${phone}`);
      threads.push(await w.thread(phone));
    }
    const [a, b, c] = threads as [(typeof threads)[0], (typeof threads)[0], (typeof threads)[0]];
    await untilInOrder(w, c, [`hello from ${phones[2]}`]);

    // Slack's posts are limited per channel, and to "several hundred a minute" per workspace.
    w.fake.rateLimit("*", 2000, ["chat.postMessage"]);
    const refusals = () => w.fake.requests.filter((r) => r.status === 429);
    await w.h.sim.inbound(phones[0] as string, "first in A");
    await until(() => refusals().length === 1);
    await w.h.sim.inbound(phones[1] as string, "first in B");
    await until(() => refusals().length === 2);
    const second = refusals()[1] as (typeof w.fake.requests)[0];
    await w.h.sim.inbound(phones[2] as string, "first in C");
    await untilInOrder(w, a, ["first in A"]);
    await untilInOrder(w, b, ["first in B"]);
    await untilInOrder(w, c, ["first in C"]);

    const retryAt = second.at + (second.retryAfter ?? 0) * 1000;
    const early = w.fake.requests.filter(
      (r) => r.method === "chat.postMessage" && r.at > second.at && r.at < retryAt,
    );
    expect(early).toEqual([]);
    expect(refusals()).toHaveLength(2);
  });

  it("drains 200 SMS from 20 numbers: every SMS in its thread, in order, within Slack's pace", async () => {
    // Slack-like limit on the fake: a burst of 5 posts per channel, then 1 per second.
    w = await startSlackWorld({
      fake: {
        rateLimit: { burst: 5, perSecond: 1 },
        channels: [GENERAL, "C0A", "C0B", "C0C", "C0D"],
      },
    });
    const channels = [GENERAL, "C0A", "C0B", "C0C", "C0D"];
    const phones = Array.from({ length: 20 }, (_, i) => `+1555040${String(i).padStart(4, "0")}`);
    for (const [i, phone] of phones.entries())
      await w.route(phone, channels[i % channels.length] as string);
    // Numbers in parallel, each number's SMS one after another (the provider's order).
    await Promise.all(
      phones.map(async (phone) => {
        for (let n = 0; n < 10; n++)
          expect(await w.h.sim.inbound(phone, `${phone} sms ${n}`)).toBe(200);
      }),
    );
    for (const [i, phone] of phones.entries()) {
      const t = await w.thread(phone);
      expect(t.channel).toBe(channels[i % channels.length]);
      await untilInOrder(
        w,
        t,
        Array.from({ length: 10 }, (_, n) => `${phone} sms ${n}`),
        45_000,
      );
      // Only this number's SMS in its thread.
      expect(
        w
          .texts(t)
          .join("\n")
          .match(/\+1555040\d{4}/g)
          ?.every((p) => p === phone),
      ).toBe(true);
    }
    // Never more than Slack allows: not one 429 from the fake's per-channel bucket.
    expect(w.fake.requests.filter((r) => r.status === 429)).toEqual([]);
    // Merged: far fewer posts than SMS.
    expect(w.fake.posts.length).toBeLessThan(200);
  });
});
