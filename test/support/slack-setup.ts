// Shared set-up of the Slack flow tests: a fake Slack, the Ardary simulator, and a real bridge
// between them, everything over HTTP.
import { sql } from "drizzle-orm";
import { decodeRef } from "../../adapters/slack/refs.ts";
import { rowsOf } from "../../src/db/database.ts";
import { routes } from "../../src/db/schema.ts";
import { type FakeSlack, type FakeSlackOptions, startFakeSlack } from "../fakes/slack.ts";
import { type Harness, type HarnessOptions, startHarness, until } from "./harness.ts";

export const GENERAL = "C0GENERAL";

export interface SlackWorld {
  fake: FakeSlack;
  h: Harness;
  /** POST /slack/events on the bridge. */
  events: string;
  /** The conversation's thread on the fake, once it has one. */
  thread(phone: string): Promise<{ channel: string; ts: string }>;
  /** Texts of the thread's messages, parent (card) first. */
  texts(t: { channel: string; ts: string }): string[];
  /** A person's reply in a thread, sent to the bridge as Slack sends it. */
  reply(
    t: { channel: string; ts: string },
    text: string,
    extra?: { user?: string; eventId?: string; files?: { name: string }[] },
  ): Promise<{ ts: string; event: Record<string, unknown> }>;
  route(pattern: string, channel: string): Promise<void>;
  close(): Promise<void>;
}

export async function startSlackWorld(
  o: {
    fake?: FakeSlackOptions;
    env?: Record<string, string>;
    sim?: HarnessOptions["sim"];
    /** A fake Slack shared with another bridge (closed by its owner). */
    sharedFake?: FakeSlack;
    /** A database shared with another bridge (dropped by its owner). */
    db?: HarnessOptions["db"];
    /** The bridge's logger (to read its lines). */
    log?: HarnessOptions["log"];
    /** The bridge's clock (marketing SMS are held by it). */
    now?: HarnessOptions["now"];
  } = {},
): Promise<SlackWorld> {
  const fake =
    o.sharedFake ??
    (await startFakeSlack({ channels: [GENERAL, "C0SALES", "C0OTHER"], ...o.fake }));
  const h = await startHarness({
    db: o.db,
    log: o.log,
    env: {
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_SIGNING_SECRET: fake.signingSecret,
      SLACK_CHANNEL: GENERAL,
      SLACK_API_URL: fake.apiUrl,
      ...o.env,
    },
    sim: o.sim,
    now: o.now,
  });
  const db = h.bridge.database.db;
  const world: SlackWorld = {
    fake,
    h,
    events: `${h.bridge.url}/slack/events`,
    async thread(phone) {
      return until(
        async () => {
          const [row] = rowsOf<{ thread_ref: string | null }>(
            await db.execute(
              sql`select thread_ref from conversations where phone = ${phone} and platform = 'slack'`,
            ),
          );
          return row?.thread_ref ? (decodeRef(row.thread_ref) ?? undefined) : undefined;
        },
        10_000,
        `a thread for ${phone}`,
      );
    },
    texts: (t) => fake.thread(t.channel, t.ts).map((m) => m.text),
    async reply(t, text, extra = {}) {
      const event = fake.userMessage({
        channel: t.channel,
        user: extra.user ?? "U0ALICE",
        text,
        thread_ts: t.ts,
        ...(extra.files ? { files: extra.files } : {}),
      });
      const res = await fake.signer.sendEvent(world.events, event, { eventId: extra.eventId });
      if (res.status !== 200) throw new Error(`event answered ${res.status}`);
      return { ts: String(event.ts), event };
    },
    async route(pattern, channel) {
      await db.insert(routes).values({ pattern, platform: "slack", channel });
    },
    async close() {
      await h.close();
      if (!o.sharedFake) await fake.close();
    },
  };
  return world;
}

/** Waits until the thread's texts, joined, contain every fragment, in this order. */
export async function untilInOrder(
  w: SlackWorld,
  t: { channel: string; ts: string },
  fragments: string[],
  timeoutMs = 15_000,
) {
  return until(
    () => {
      const all = w.texts(t).join("\n");
      let at = 0;
      for (const f of fragments) {
        const i = all.indexOf(f, at);
        if (i < 0) return false;
        at = i + f.length;
      }
      return all;
    },
    timeoutMs,
    `thread to show ${fragments.join(", ")}`,
  );
}
