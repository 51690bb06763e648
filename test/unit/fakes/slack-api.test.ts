// The fake Slack's Web API, driven by the real @slack/web-api WebClient, so the flow tests
// can trust that what passes against it would pass against Slack (Bolt: slack-signer.test.ts).

import { ErrorCode, LogLevel, WebClient } from "@slack/web-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeSlack, startFakeSlack, TOMBSTONE_TEXT } from "../../fakes/slack.ts";

let fake: FakeSlack;
let client: WebClient;

/** A WebClient on the fake; token "" sends none. */
const clientFor = (f: FakeSlack, token = f.botToken) =>
  new WebClient(token, {
    slackApiUrl: f.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  });

/** The Slack error code a WebClient call was refused with. */
async function slackError(call: Promise<unknown>): Promise<string> {
  const error = (await call.then(
    () => expect.fail("expected the call to be refused"),
    (e: unknown) => e,
  )) as { code?: string; data?: { error?: string } };
  expect(error.code).toBe(ErrorCode.PlatformError);
  return error.data?.error ?? "";
}

beforeEach(async () => {
  fake = await startFakeSlack({ channels: ["C0GENERAL", "C0OTHER"] });
  client = clientFor(fake);
});
afterEach(async () => {
  await fake.close();
});

describe("fake Slack Web API", () => {
  it("posts, threads, updates and reacts, as the WebClient sees it", async () => {
    const auth = await client.auth.test();
    expect(auth).toMatchObject({ ok: true, user_id: "U0BOT", bot_id: "B0BOT", team_id: "T0TEAM" });

    const blocks = [{ type: "section", text: { type: "mrkdwn", text: "*+33 6 12 34 56 78*" } }];
    const parent = await client.chat.postMessage({ channel: "C0GENERAL", text: "card", blocks });
    expect(parent.ts).toMatch(/^\d{10}\.\d{6}$/);
    const one = await client.chat.postMessage({
      channel: "C0GENERAL",
      text: "one",
      thread_ts: parent.ts,
    });
    const two = await client.chat.postMessage({
      channel: "C0GENERAL",
      text: "two",
      thread_ts: parent.ts as string,
      reply_broadcast: true,
      unfurl_links: false,
    });
    expect(one.message?.thread_ts).toBe(parent.ts);
    expect(Number(two.ts)).toBeGreaterThan(Number(one.ts));

    expect(fake.thread("C0GENERAL", parent.ts as string).map((m) => m.text)).toEqual([
      "card",
      "one",
      "two",
    ]);
    expect(fake.topLevel("C0GENERAL").map((m) => m.text)).toEqual(["card", "two"]);
    expect(fake.posts.map((p) => [p.text, p.thread_ts, p.reply_broadcast])).toEqual([
      ["card", undefined, false],
      ["one", parent.ts, false],
      ["two", parent.ts, true],
    ]);
    expect(fake.posts[0]?.blocks).toEqual(blocks);
    expect(fake.posts[2]?.unfurl_links).toBe(false);

    await client.chat.update({ channel: "C0GENERAL", ts: parent.ts as string, text: "card v2" });
    expect(fake.updates).toMatchObject([{ channel: "C0GENERAL", ts: parent.ts, text: "card v2" }]);
    expect(fake.thread("C0GENERAL", parent.ts as string)[0]).toMatchObject({
      text: "card v2",
      blocks,
    });

    await client.reactions.add({
      channel: "C0GENERAL",
      timestamp: one.ts as string,
      name: "white_check_mark",
    });
    await client.reactions.add({
      channel: "C0GENERAL",
      timestamp: one.ts as string,
      name: ":inbox_tray:",
    });
    expect(
      await slackError(
        client.reactions.add({
          channel: "C0GENERAL",
          timestamp: one.ts as string,
          name: "inbox_tray",
        }),
      ),
    ).toBe("already_reacted");
    await client.reactions.remove({
      channel: "C0GENERAL",
      timestamp: one.ts as string,
      name: "white_check_mark",
    });
    expect(fake.reactions("C0GENERAL", one.ts as string)).toEqual(["inbox_tray"]);

    const link = await client.chat.getPermalink({
      channel: "C0GENERAL",
      message_ts: one.ts as string,
    });
    expect(link.permalink).toContain(
      `/archives/C0GENERAL/p${(one.ts as string).replace(".", "")}?thread_ts=`,
    );
    await client.chat.postEphemeral({ channel: "C0GENERAL", user: "U0ALICE", text: "usage" });
    expect(fake.ephemerals).toMatchObject([
      { channel: "C0GENERAL", user: "U0ALICE", text: "usage" },
    ]);

    expect((await client.users.info({ user: "U0ALICE" })).user).toMatchObject({
      name: "alice",
      real_name: "Alice Martin",
    });
    expect((await client.team.info()).team).toMatchObject({ id: "T0TEAM" });
    expect((await client.conversations.info({ channel: "C0OTHER" })).channel).toMatchObject({
      is_member: true,
    });
    await client.chat.delete({ channel: "C0GENERAL", ts: two.ts as string });
    expect(fake.thread("C0GENERAL", parent.ts as string)).toHaveLength(2);
  });

  it("answers Slack's error shapes with HTTP 200", async () => {
    expect(await slackError(clientFor(fake, "xoxb-wrong").auth.test())).toBe("invalid_auth");
    expect(await slackError(clientFor(fake, "").auth.test())).toBe("not_authed");
    const post = (channel: string, extra: Record<string, unknown> = {}) =>
      client.chat.postMessage({ channel, text: "hi", ...extra });
    expect(await slackError(post("C0NOPE"))).toBe("channel_not_found");
    expect(await slackError(client.chat.postMessage({ channel: "C0GENERAL" } as never))).toBe(
      "no_text",
    );
    const badBlocks = [{ type: "section" }] as never;
    expect(await slackError(post("C0GENERAL", { blocks: badBlocks }))).toBe("invalid_blocks");

    const { ts } = await post("C0GENERAL");
    fake.deleteMessage("C0GENERAL", ts as string);
    expect(
      await slackError(client.chat.update({ channel: "C0GENERAL", ts: ts as string, text: "x" })),
    ).toBe("message_not_found");
    expect(
      await slackError(
        client.reactions.add({ channel: "C0GENERAL", timestamp: ts as string, name: "x" }),
      ),
    ).toBe("message_not_found");

    fake.removeBot("C0OTHER");
    expect(await slackError(post("C0OTHER"))).toBe("not_in_channel");
    expect((await client.conversations.join({ channel: "C0OTHER" })).ok).toBe(true);
    expect((await post("C0OTHER")).ok).toBe(true);
    fake.archiveChannel("C0OTHER");
    expect(await slackError(post("C0OTHER"))).toBe("is_archived");
    expect(await slackError(client.conversations.join({ channel: "C0OTHER" }))).toBe("is_archived");
    fake.deleteChannel("C0OTHER");
    expect(await slackError(post("C0OTHER"))).toBe("channel_not_found");
    fake.addChannel("C0OTHER");
    expect((await post("C0OTHER")).ok).toBe(true);

    expect(
      fake.requests.filter((r) => r.error === "channel_not_found").map((r) => r.status),
    ).toEqual([200, 200]);
  });

  it("un-threads a reply to a deleted parent, as Slack does, and keeps tombstoned threads", async () => {
    const lonely = await client.chat.postMessage({ channel: "C0GENERAL", text: "card" });
    fake.deleteMessage("C0GENERAL", lonely.ts as string);
    const orphan = await client.chat.postMessage({
      channel: "C0GENERAL",
      text: "sms",
      thread_ts: lonely.ts,
    });
    expect(orphan.ok).toBe(true);
    expect(orphan.message?.thread_ts).toBeUndefined();
    expect(fake.posts.at(-1)).toMatchObject({ thread_ts: lonely.ts, unthreaded: true });
    expect(fake.topLevel("C0GENERAL").map((m) => m.text)).toEqual(["sms"]);

    const parent = await client.chat.postMessage({ channel: "C0GENERAL", text: "card 2" });
    await client.chat.postMessage({ channel: "C0GENERAL", text: "r1", thread_ts: parent.ts });
    fake.deleteMessage("C0GENERAL", parent.ts as string);
    const reply = await client.chat.postMessage({
      channel: "C0GENERAL",
      text: "r2",
      thread_ts: parent.ts,
    });
    expect(reply.message?.thread_ts).toBe(parent.ts);
    expect(fake.thread("C0GENERAL", parent.ts as string).map((m) => m.text)).toEqual([
      TOMBSTONE_TEXT,
      "r1",
      "r2",
    ]);
    expect(
      await slackError(
        client.chat.update({ channel: "C0GENERAL", ts: parent.ts as string, text: "x" }),
      ),
    ).toBe("message_not_found");
    fake.deleteThread("C0GENERAL", parent.ts as string);
    expect(fake.thread("C0GENERAL", parent.ts as string)).toEqual([]);

    const strict = await startFakeSlack({ missingThread: "thread_not_found" });
    try {
      const c = clientFor(strict);
      const p = await c.chat.postMessage({ channel: "C0GENERAL", text: "card" });
      strict.deleteThread("C0GENERAL", p.ts as string);
      expect(
        await slackError(c.chat.postMessage({ channel: "C0GENERAL", text: "x", thread_ts: p.ts })),
      ).toBe("thread_not_found");
    } finally {
      await strict.close();
    }
  });

  it("accepts JSON bodies with a Bearer token and form bodies with the token in a field", async () => {
    const call = (body: string, headers: Record<string, string>) =>
      fetch(`${fake.apiUrl}chat.postMessage`, { method: "POST", body, headers }).then((r) =>
        r.json(),
      );
    const json = { "Content-Type": "application/json; charset=utf-8" };
    const blocks = [{ type: "divider" }];
    const body = JSON.stringify({ channel: "C0GENERAL", text: "j", blocks });
    expect(await call(body, { ...json, Authorization: `Bearer ${fake.botToken}` })).toMatchObject({
      ok: true,
    });
    const tokenInJson = JSON.stringify({ token: fake.botToken, channel: "C0GENERAL", text: "j" });
    expect(await call(tokenInJson, json)).toMatchObject({ ok: false, error: "not_authed" });
    const form = new URLSearchParams({
      token: fake.botToken,
      channel: "C0GENERAL",
      text: "f",
    }).toString();
    expect(await call(form, { "Content-Type": "application/x-www-form-urlencoded" })).toMatchObject(
      { ok: true },
    );
    expect(fake.posts.map((p) => [p.text, p.blocks])).toEqual([
      ["j", blocks],
      ["f", undefined],
    ]);
  });
});

describe("fake Slack rate limits", () => {
  it("answers 429 with Retry-After when a channel's bucket is empty, per channel", async () => {
    const limited = await startFakeSlack({
      channels: ["C0A", "C0B"],
      rateLimit: { burst: 2, perSecond: 1 },
    });
    try {
      const c = clientFor(limited);
      await c.chat.postMessage({ channel: "C0A", text: "1" });
      await c.chat.postMessage({ channel: "C0A", text: "2" });
      const refused = (await c.chat
        .postMessage({ channel: "C0A", text: "3" })
        .catch((e: unknown) => e)) as {
        code: string;
        retryAfter: number;
      };
      expect(refused.code).toBe(ErrorCode.RateLimitedError);
      expect(refused.retryAfter).toBe(1);
      expect((await c.chat.postMessage({ channel: "C0B", text: "other" })).ok).toBe(true);
      expect(limited.posts.map((p) => p.text)).toEqual(["1", "2", "other"]);
      expect(limited.requests[2]).toMatchObject({
        channel: "C0A",
        status: 429,
        error: "ratelimited",
        retryAfter: 1,
      });

      const raw = await fetch(`${limited.apiUrl}chat.postMessage`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${limited.botToken}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({ channel: "C0A", text: "4" }),
      });
      expect(raw.status).toBe(429);
      expect(raw.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(await raw.json()).toEqual({ ok: false, error: "ratelimited" });
    } finally {
      await limited.close();
    }
  });

  it("forces 429s on one channel for a period", async () => {
    fake.rateLimit("C0GENERAL", 2000);
    const refused = (await client.chat
      .update({ channel: "C0GENERAL", ts: "1.000001", text: "x" })
      .catch((e: unknown) => e)) as { code: string; retryAfter: number };
    expect(refused).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 2 });
    expect((await client.chat.postMessage({ channel: "C0OTHER", text: "fine" })).ok).toBe(true);
    fake.rateLimit("C0GENERAL", 0);
    expect((await client.chat.postMessage({ channel: "C0GENERAL", text: "after" })).ok).toBe(true);
  });

  it("forces 429s on one method in every channel (a tier's workspace-wide limit)", async () => {
    const { ts } = await client.chat.postMessage({ channel: "C0OTHER", text: "to react to" });
    fake.rateLimit("*", 2000, ["reactions.add"]);
    const refused = (await client.reactions
      .add({ channel: "C0OTHER", timestamp: String(ts), name: "eyes" })
      .catch((e: unknown) => e)) as { code: string; retryAfter: number };
    expect(refused).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 2 });
    expect((await client.chat.postMessage({ channel: "C0OTHER", text: "fine" })).ok).toBe(true);
    fake.rateLimit("*", 0);
    expect(
      (await client.reactions.add({ channel: "C0OTHER", timestamp: String(ts), name: "eyes" })).ok,
    ).toBe(true);
  });
});
