// A known week through the fakes (docs/reports.md): customers write in through the provider's
// callbacks, people answer in Slack threads, the auto-reply answers outside business hours, a
// STOP, a click, a call, an SMS the provider refuses. Waiting days is impractical: each SMS's
// time is then set to the week's (the SMS's own dates come from the callbacks; what people wrote
// is dated by a row update), and every JSON figure is checked against the truth worked out here.
import { sql } from "drizzle-orm";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { featureConfig, features } from "../../src/boot/services.ts";
import { rowsOf } from "../../src/db/database.ts";
import { AUTO_REPLY_AUTHOR } from "../../src/replies/hours.ts";
import type { Report } from "../../src/reports/figures.ts";
import { settled, smsTo } from "../support/discord-setup.ts";
import { until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld } from "../support/slack-setup.ts";

// Paris is UTC+1 in November 2026; 2026-11-02 is a Monday.
const paris = (local: string) => new Date(`${local}+01:00`);
const AUTO = "We are closed: we answer from 9:00, Monday to Friday.";
const A = "+33611110001";
const B = "+33611110002";
const C = "+33611110003";
const D = "+33611110004";
const E = "+33611110005";
const F = "+33611110006";
const G = "+33611110007";

let w: SlackWorld;
afterEach(async () => {
  await w.close();
});

describe("the report of a known week", () => {
  it("gives every figure of the JSON contract as the week's truth", async () => {
    w = await startSlackWorld({
      env: {
        BUSINESS_HOURS: "mon-fri 09:00-18:00",
        AUTO_REPLY_TEXT: AUTO,
        ARDARY_TIMEZONE: "Europe/Paris",
      },
      sim: { forbiddenWords: ["forbidden"] },
    });
    const db = w.h.bridge.database.db;
    const exec = (q: ReturnType<typeof sql>) => db.execute(q);
    /** A customer's SMS, acted on (its row stored, its conversation waiting) before going on. */
    const customer = async (phone: string, text: string, local: string) => {
      expect(await w.h.sim.inbound(phone, text, paris(local))).toBe(200);
      await until(
        async () =>
          rowsOf(await exec(sql`select id from messages where direction = 'in' and body = ${text}`))
            .length === 1,
        15_000,
        `the SMS "${text}" acted on`,
      );
      return w.thread(phone);
    };
    /** A person's answer in the number's thread, then dated `local`. */
    const answer = async (
      phone: string,
      user: "U0ALICE" | "U0BOB",
      text: string,
      local: string,
    ) => {
      await w.reply(await w.thread(phone), text, { user });
      await until(
        async () => {
          const found = rowsOf(
            await exec(sql`update messages set created_at = ${paris(local).toISOString()}::timestamptz
            where direction = 'out' and body = ${text} returning id`),
          );
          return found.length === 1;
        },
        15_000,
        `the SMS "${text}"`,
      );
    };
    /** The auto-reply a number got, dated 5 s after the SMS it answered. */
    const autoReplied = async (phone: string, local: string) => {
      await until(() => smsTo(w.h, phone).includes(AUTO), 15_000, `the auto-reply to ${phone}`);
      await exec(sql`update messages set created_at = ${new Date(paris(local).getTime() + 5000).toISOString()}::timestamptz
        where direction = 'out' and author = ${AUTO_REPLY_AUTHOR}
          and conversation_id = (select id from conversations where phone = ${phone})`);
    };

    // Sunday night, before the week: F writes (closed: the auto-reply); Alice answers Monday.
    await customer(F, "Are you there?", "2026-11-01T23:30:00");
    await autoReplied(F, "2026-11-01T23:30:00");
    await answer(F, "U0ALICE", "Good morning, yes we are.", "2026-11-02T09:30:00");
    // Monday: A at 10:00, Alice 5 minutes later; B at 20:00 (closed: the auto-reply).
    await customer(A, "Hello, a question about my order", "2026-11-02T10:00:00");
    await answer(A, "U0ALICE", "Hi, which order?", "2026-11-02T10:05:00");
    await customer(B, "Evening question", "2026-11-02T20:00:00");
    await autoReplied(B, "2026-11-02T20:00:00");
    // Tuesday: Alice answers B at 09:10 (10 minutes of business hours); A again, Bob in an hour.
    await answer(B, "U0ALICE", "Good morning B, here is the answer.", "2026-11-03T09:10:00");
    await customer(A, "Order 1234, thanks", "2026-11-03T09:30:00");
    await answer(A, "U0BOB", "It leaves today.", "2026-11-03T10:30:00");
    // Wednesday: C at 11:00, Alice at 11:20; C clicks a link at 12:00; Alice closes it.
    await customer(C, "Do you ship abroad?", "2026-11-04T11:00:00");
    await answer(C, "U0ALICE", "Yes, everywhere in Europe.", "2026-11-04T11:20:00");
    const click = await w.h.callback("click", {
      title: "clicked link",
      phonenumber: C,
      link: "https://example.com/shipping",
      date: "2026-11-04 12:00:00",
    });
    expect(click.status).toBe(200);
    const [cConv] = rowsOf<{ id: number }>(
      await exec(sql`select id from conversations where phone = ${C}`),
    );
    await w.h.bridge.bridge.onAction({
      platform: "slack",
      conversationId: Number(cConv?.id),
      action: "close",
      author: "Alice Martin",
      authorId: "U0ALICE",
      eventId: "close-c",
    });
    await exec(sql`update conversations set closed_at = ${paris("2026-11-04T12:00:00").toISOString()}::timestamptz
      where phone = ${C}`);
    // Thursday: D says STOP at 14:00. Friday: E at 15:00; Bob's answer is refused by the
    // provider (a forbidden word) at 15:30; E calls at 16:00.
    await customer(D, "STOP", "2026-11-05T14:00:00");
    await customer(E, "Please call me back", "2026-11-06T15:00:00");
    await answer(E, "U0BOB", "That word is forbidden here", "2026-11-06T15:30:00");
    expect(await w.h.sim.call(E, paris("2026-11-06T16:00:00"))).toBe(200);
    // The next Monday, after the week: G writes, nobody answers.
    await customer(G, "Hello?", "2026-11-09T10:00:00");
    await settled(w.h);
    // Each conversation began with its first SMS.
    await exec(sql`update conversations c set created_at = m.first from (
        select conversation_id, min(coalesce(received_at, created_at)) as first from messages
        group by conversation_id) m where m.conversation_id = c.id`);
    const [failure] = rowsOf<{ error: string }>(
      await exec(sql`select error from messages where status = 'failed'`),
    );
    expect(failure?.error).toContain("#004");

    const before = Date.now();
    let out = "";
    const code = await features.cli.get("report")?.run(
      {
        db,
        log: pino({ level: "silent" }),
        platforms: [],
        config: featureConfig(w.h.env),
      },
      ["--since", "2026-11-02", "--until", "2026-11-09", "--format", "json"],
      async (chunk) => {
        out += chunk;
      },
    );
    const after = Date.now();
    expect(code).toBe(0);
    const report = JSON.parse(out) as Report;
    const dThursday = paris("2026-11-05T14:00:00").getTime();
    const oldest = report.unanswered.oldest_waiting_s ?? 0;
    expect(oldest).toBeGreaterThanOrEqual(Math.floor((before - dThursday) / 1000) - 1);
    expect(oldest).toBeLessThanOrEqual(Math.ceil((after - dThursday) / 1000) + 1);
    const hours = Array.from({ length: 24 }, () => 0);
    for (const h of [10, 20, 9, 11, 14, 15]) hours[h] = 1;
    // First responses, business hours only (09:00-18:00): F 1800 (Sunday 23:30 → Monday 09:30),
    // A 300, B 600 (Monday 20:00 → Tuesday 09:10; the auto-reply is no answer), A 3600, C 1200,
    // E 1800 (refused by the provider, but written by a person). Sorted: 300 600 1200 1800 1800
    // 3600: median (1200 + 1800) / 2, 90th percentile halfway from 1800 to 3600.
    expect(report).toEqual({
      since: paris("2026-11-02T00:00:00").toISOString(),
      until: paris("2026-11-09T00:00:00").toISOString(),
      timezone: "Europe/Paris",
      conversations: { active: 6, new: 5, closed: 1 },
      // In: A ×2, B, C, D, E. Out: F, A ×2, B ×2 (the auto-reply and Alice), C, E; 6 accepted.
      sms: { in: 6, out: 7, segments_out: 6 },
      first_response_s: { count: 6, median: 1500, p90: 2700 },
      unanswered: { count: 2, oldest_waiting_s: oldest },
      delivery: {
        received: 6,
        sent: 0,
        failed: 1,
        unknown: 0,
        failure_reasons: [{ reason: failure?.error, count: 1 }],
      },
      opt_outs: { stop: 1, start: 0 },
      clicks: 1,
      calls: 1,
      agents: [
        // Alice: F 1800, A 300, B 600, C 1200 → median 900. Bob: A 3600, E 1800 → 2700.
        { id: "U0ALICE", name: "Alice Martin", replies: 4, first_response_median_s: 900 },
        { id: "U0BOB", name: "Bob Durand", replies: 2, first_response_median_s: 2700 },
      ],
      channels: [{ platform: "slack", channel: GENERAL, in: 6, out: 7 }],
      in_by_hour: hours,
    });

    // The same week in words, and an empty one said as such; `/sms report` answers its author.
    let text = "";
    await features.cli
      .get("report")
      ?.run(
        { db, log: pino({ level: "silent" }), platforms: [], config: featureConfig(w.h.env) },
        ["--since", "2026-10-01", "--until", "2026-10-08"],
        async (chunk) => {
          text += chunk;
        },
      );
    expect(text).toContain("Nothing happened in this period");
    expect(text).toContain("SMS: 0 in, 0 out");
    const before2 = w.fake.responses.length;
    const res = await w.fake.signer.sendCommand(w.events, {
      text: "report 30d",
      userId: "U0ALICE",
      channelId: GENERAL,
    });
    expect(res.status).toBe(200);
    await until(() => w.fake.responses.length > before2, 10_000, "the command's answer");
    const answerBody = w.fake.responses[before2]?.body as { text?: string; response_type?: string };
    expect(answerBody.response_type ?? "ephemeral").toBe("ephemeral");
    expect(answerBody.text).toContain("📊 SMS report");
    const wrong = await w.fake.signer.sendCommand(w.events, {
      text: "report fortnight",
      userId: "U0ALICE",
      channelId: GENERAL,
    });
    expect(wrong.status).toBe(200);
    await until(() => w.fake.responses.length > before2 + 1, 10_000, "the second answer");
    expect(
      String((w.fake.responses[before2 + 1]?.body as { text?: string } | undefined)?.text),
    ).toContain('"fortnight" is not a period');
  }, 240_000);
});
