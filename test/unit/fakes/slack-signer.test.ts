// The fake Slack's signer, driving a real Bolt app (ExpressReceiver mounted in our own
// Express app, as adapters/slack does) whose WebClient talks to the fake.

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { App, ExpressReceiver, LogLevel } from "@slack/bolt";
import { WebClient } from "@slack/web-api";
import express from "express";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeSlack, startFakeSlack } from "../../fakes/slack.ts";

let fake: FakeSlack;
let client: WebClient;

beforeEach(async () => {
  fake = await startFakeSlack();
  client = new WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
});
afterEach(async () => {
  await fake.close();
});

describe("fake Slack signer against a real Bolt app", () => {
  let server: Server;
  let target: string;
  const seen: { kind: string; detail: unknown }[] = [];

  beforeEach(async () => {
    seen.length = 0;
    const receiver = new ExpressReceiver({
      signingSecret: fake.signingSecret,
      logLevel: LogLevel.ERROR,
    });
    const bolt = new App({
      receiver,
      token: fake.botToken,
      clientOptions: { slackApiUrl: fake.apiUrl },
      logLevel: LogLevel.ERROR,
    });
    bolt.message(async ({ message, context }) => {
      seen.push({
        kind: "message",
        detail: { message, retryNum: context.retryNum, botUserId: context.botUserId },
      });
    });
    bolt.command("/sms", async ({ command, ack, respond }) => {
      await ack();
      seen.push({ kind: "command", detail: command.text });
      await respond({ response_type: "ephemeral", text: `got ${command.text}` });
    });
    bolt.action("close", async ({ ack, body, action }) => {
      await ack();
      seen.push({ kind: "action", detail: { action, body } });
    });
    const app = express();
    app.use(receiver.router);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("delivers a signed message event, with the retry number on retries", async () => {
    const event = fake.userMessage({ channel: "C0GENERAL", user: "U0ALICE", text: "hello" });
    expect((await fake.signer.sendEvent(target, event, { eventId: "Ev1" })).status).toBe(200);
    expect(
      (await fake.signer.sendEvent(target, event, { eventId: "Ev1", retryNum: 1 })).status,
    ).toBe(200);
    await fake.waitFor(() => seen.length === 2);
    expect(seen.map((s) => s.detail)).toMatchObject([
      { message: { text: "hello", user: "U0ALICE" }, botUserId: "U0BOT" },
      { retryNum: 1 },
    ]);
    expect(fake.requests.map((r) => r.method)).toContain("auth.test");
  });

  it("sends edits, deletions and file shares as Slack's message subtypes", async () => {
    const parent = fake.userMessage({ channel: "C0GENERAL", user: "U0ALICE", text: "parent" });
    const reply = fake.userMessage({
      channel: "C0GENERAL",
      user: "U0ALICE",
      text: "hi",
      thread_ts: parent.ts as string,
    });
    const edit = fake.editUserMessage("C0GENERAL", reply.ts as string, "hi again");
    const removal = fake.deleteUserMessage("C0GENERAL", reply.ts as string);
    const file = fake.userMessage({
      channel: "C0GENERAL",
      user: "U0ALICE",
      text: "see file",
      files: [{ name: "a.pdf", mimetype: "application/pdf" }],
    });
    for (const event of [edit, removal, file]) await fake.signer.sendEvent(target, event);
    await fake.waitFor(() => seen.length === 3);
    expect(seen.map((s) => (s.detail as { message: unknown }).message)).toMatchObject([
      {
        subtype: "message_changed",
        message: { ts: reply.ts, thread_ts: parent.ts, text: "hi again" },
        previous_message: { text: "hi" },
      },
      { subtype: "message_deleted", deleted_ts: reply.ts, previous_message: { text: "hi again" } },
      { subtype: "file_share", files: [{ name: "a.pdf", mimetype: "application/pdf" }] },
    ]);
    expect(fake.thread("C0GENERAL", parent.ts as string).map((m) => m.text)).toEqual(["parent"]);
  });

  it("acks a /sms command and its response_url reply lands on the fake", async () => {
    const reply = await fake.signer.sendCommand(target, {
      text: "+33612345678 Hello",
      userId: "U0ALICE",
      userName: "alice",
      channelId: "C0GENERAL",
    });
    expect(reply.status).toBe(200);
    await fake.waitFor(() => fake.responses.length === 1);
    expect(fake.responses[0]?.body).toEqual({
      response_type: "ephemeral",
      text: "got +33612345678 Hello",
    });
  });

  it("delivers a block action on the fake's message", async () => {
    const blocks = [
      {
        type: "actions",
        block_id: "card",
        elements: [
          {
            type: "button",
            action_id: "close",
            value: "conv-1",
            text: { type: "plain_text", text: "Close" },
          },
        ],
      },
    ];
    const card = await client.chat.postMessage({ channel: "C0GENERAL", text: "card", blocks });
    const reply = await fake.signer.sendAction(target, {
      actionId: "close",
      value: "conv-1",
      userId: "U0ALICE",
      channelId: "C0GENERAL",
      messageTs: card.ts as string,
    });
    expect(reply.status).toBe(200);
    await fake.waitFor(() => seen.length === 1);
    expect(seen[0]?.detail).toMatchObject({
      action: { action_id: "close", block_id: "card", value: "conv-1" },
      body: {
        channel: { id: "C0GENERAL" },
        message: { ts: card.ts, text: "card" },
        user: { id: "U0ALICE" },
      },
    });
  });

  it("is refused with a wrong secret or a stale timestamp; answers url_verification", async () => {
    const event = fake.userMessage({ channel: "C0GENERAL", user: "U0ALICE", text: "x" });
    expect((await fake.signer.sendEvent(target, event, { secret: "wrong" })).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 600;
    expect((await fake.signer.sendEvent(target, event, { timestamp: stale })).status).toBe(401);
    const verification = await fake.signer.sendUrlVerification(target, { challenge: "abc" });
    expect(verification).toEqual({ status: 200, body: { challenge: "abc" } });
    expect(seen).toEqual([]);
  });
});
