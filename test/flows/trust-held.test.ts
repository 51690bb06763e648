// A scheduled SMS's post tells the truth as soon as it changes (issue 22): the customer's STOP
// or the team's Block turns "🕒 scheduled for …" into "🚫 will not be sent: …" naming which, and
// a START or an Unblock before its time turns it back, since the sender then sends it (it checks
// at the moment of sending, src/flows/sender.ts). On Slack and on Discord, through the fakes.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/database.ts";
import { closeAfterEach } from "../support/close-after-each.ts";
import {
  answerTo,
  cardOf,
  posts,
  smsTo,
  startDiscord,
  waitCard,
} from "../support/discord-setup.ts";
import type { Harness } from "../support/harness.ts";
import { until } from "../support/harness.ts";
import { type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

const A = "+33612345678";
const A_SHOWN = "+33 6 12 34 56 78";
const STOPPED = "🚫 will not be sent: the customer said STOP";
const BLOCKED = "🚫 will not be sent: the number was blocked";
const SCHEDULED = "🕒 scheduled for";

const keep = closeAfterEach();

/** Runs the scheduled SMS's send now, as if its time had come (the test's clock, not the bridge's). */
async function timeComes(h: Harness) {
  await h.bridge.database.db.execute(
    sql`update jobs set run_at = now() where kind = 'sms.send' and state = 'pending'`,
  );
  await h.bridge.database.db.execute(sql`select pg_notify('ardary_bridge_jobs', '')`);
}

async function outbound(h: Harness) {
  return rowsOf<{ status: string; error: string | null }>(
    await h.bridge.database.db.execute(
      sql`select status, error from messages where direction = 'out' order by id`,
    ),
  );
}

/** What the queue and the messages held, for a wait that timed out. */
async function state(h: Harness): Promise<string> {
  const jobs = rowsOf(
    await h.bridge.database.db.execute(
      sql`select kind, state, ordering_key, attempts, run_at, last_error, payload from jobs order by id`,
    ),
  );
  const msgs = rowsOf(
    await h.bridge.database.db.execute(
      sql`select id, direction, status, error, send_at from messages order by id`,
    ),
  );
  return JSON.stringify({ jobs, msgs });
}

const inAnHour = () => new Date(Date.now() + 60 * 60_000).toISOString();

describe("the post of a scheduled SMS on slack", () => {
  /**
   * The text of the bridge's post of the scheduled SMS, status line included. Not the card (the
   * thread's parent), which says "📤 last out: See you tomorrow" once the SMS answered the
   * customer: a full run caught this wait reading the card, the post's status line not in it.
   */
  function post(w: SlackWorld, t: { channel: string; ts: string }): string {
    const m = w.fake
      .thread(t.channel, t.ts)
      .find((x) => x.ts !== t.ts && JSON.stringify(x).includes("See you"));
    return JSON.stringify(m ?? {});
  }

  async function press(
    w: SlackWorld,
    t: { channel: string; ts: string },
    action: string,
    userId = "U0BOB",
  ) {
    const found = await until(
      () => {
        for (const m of w.fake.thread(t.channel, t.ts)) {
          const id = new RegExp(`conv:${action}:\\d+`).exec(JSON.stringify(m.blocks))?.[0];
          if (id) return { id, ts: m.ts };
        }
        return undefined;
      },
      15_000,
      `a ${action} button`,
    );
    const res = await w.fake.signer.sendAction(w.events, {
      actionId: found.id,
      value: found.id.split(":")[2] ?? "",
      userId,
      channelId: t.channel,
      messageTs: found.ts,
    });
    expect(res.status).toBe(200);
  }

  it("STOP and Block say at once it will not be sent, naming which; START and Unblock bring it back, and it goes", async () => {
    // Unblock is for managers (docs/permissions.md): Alice is an admin; Bob blocks.
    const slack = keep(
      await startSlackWorld({
        fake: {
          users: {
            U0ALICE: { name: "alice", real_name: "Alice Martin", is_admin: true },
            U0BOB: { name: "bob", real_name: "Bob Durand" },
          },
        },
      }),
    );
    const w = slack;
    await w.h.sim.inbound(A, "hello");
    const t = await w.thread(A);
    await untilInOrder(w, t, ["hello"]);
    const res = await w.fake.signer.sendCommand(w.events, {
      text: `${A} --at "${inAnHour()}" See you tomorrow`,
      userId: "U0ALICE",
      channelId: t.channel,
    });
    expect(res.status).toBe(200);
    const seen = async () =>
      `thread ${JSON.stringify(w.fake.thread(t.channel, t.ts).map((m) => m.text))}, the post ${post(w, t)}, answers ${JSON.stringify(w.fake.responses.map((r) => r.body))}, ${await state(w.h)}`;
    await until(() => post(w, t).includes(SCHEDULED), 30_000, "scheduled", seen);
    // The card then says the SMS answered the customer ("📤 last out: See you tomorrow"): the
    // post is still the one read.
    const card = () => JSON.stringify(w.fake.thread(t.channel, t.ts).find((x) => x.ts === t.ts));
    await until(() => card().includes("See you"), 30_000, "the card's last out");
    expect(post(w, t)).toContain(SCHEDULED);

    await w.h.sim.inbound(A, "STOP");
    await until(() => post(w, t).includes(STOPPED), 30_000, "the STOP said on the post");
    expect(post(w, t)).not.toContain(SCHEDULED);
    await w.h.sim.inbound(A, "START");
    await until(() => post(w, t).includes(SCHEDULED), 30_000, "scheduled again after START");

    await press(w, t, "block");
    await until(() => post(w, t).includes(BLOCKED), 30_000, "the Block said on the post");
    // A STOP on top of the Block: the Block is named (the sender checks it first), and
    // Unblock while the STOP holds names the STOP.
    await w.h.sim.inbound(A, "STOP");
    await untilInOrder(w, t, ["opted out (STOP)"]);
    await press(w, t, "unblock", "U0ALICE");
    await until(() => post(w, t).includes(STOPPED), 30_000, "the STOP still holds");
    await w.h.sim.inbound(A, "START");
    await until(() => post(w, t).includes(SCHEDULED), 30_000, "scheduled again");
    expect(post(w, t)).not.toContain("will not be sent");

    // Its time comes: it goes, as the post said.
    await timeComes(w.h);
    await until(() => w.h.sim.sent.some((s) => s.message === "See you tomorrow"), 30_000, "sent");
    expect((await outbound(w.h))[0]?.status).not.toBe("failed");
  });
});

describe.each(["text", "forum"] as const)("the post of a scheduled SMS on discord %s", (kind) => {
  it("STOP and Block say at once it will not be sent; at its time a held one is refused, and says so", async () => {
    const discord = keep(await startDiscord(kind));
    const w = discord;
    await w.h.sim.inbound(A, "hello");
    const { threadId } = await waitCard(w, A_SHOWN, "📩 hello");
    const i = w.fake.interaction({
      name: "sms",
      subcommand: "send",
      // In the conversation's thread: one of the bridge's own places (docs/permissions.md).
      channelId: threadId,
      options: { number: A, text: "See you tomorrow", at: inAnHour() },
    });
    expect((await answerTo(w, i.id)).content).toContain(`Sending to ${A_SHOWN} at `);
    const post = () => posts(w, threadId).find((m) => m.content.includes("See you"))?.content ?? "";
    await until(() => post().includes(SCHEDULED), 30_000, "scheduled");

    // Unblock is for managers: this member has Manage Server (docs/permissions.md).
    const MANAGE_GUILD = 1n << 5n;
    const press = (action: string) => {
      const card = cardOf(w, threadId);
      const id = new RegExp(`ardary:${action}:\\d+`).exec(JSON.stringify(card?.components))?.[0];
      expect(id, action).toBeDefined();
      w.fake.buttonClick({
        customId: id ?? "",
        channelId: card?.channel_id ?? "",
        messageId: threadId,
        permissions: MANAGE_GUILD,
      });
    };
    press("block");
    await until(() => post().includes(BLOCKED), 30_000, "the Block said on the post");
    expect(post()).not.toContain(SCHEDULED);
    await until(() => JSON.stringify(cardOf(w, threadId)?.components).includes("unblock"));
    press("unblock");
    await until(() => post().includes(SCHEDULED), 30_000, "scheduled again after Unblock");

    await w.h.sim.inbound(A, "STOP");
    await until(() => post().includes(STOPPED), 30_000, "the STOP said on the post");
    // Its time comes while the STOP holds: refused, as the post said, and the post says it.
    await timeComes(w.h);
    await until(async () => (await outbound(w.h))[0]?.status === "failed", 30_000, "refused");
    await until(() => post().includes("❌ failed"), 30_000, "the refusal on the post");
    expect(post()).toContain("opted out (STOP) before it left");
    expect(smsTo(w.h, A)).toEqual([]);
  });
});
