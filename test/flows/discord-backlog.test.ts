// A Discord channel whose new conversations pile up says so once: in a text channel, one plain
// message at its top level that mentions no one and promises no time (Discord publishes no
// fixed pace); a forum channel has no top level, and says nothing (docs/discord.md).
// The jobs are run here one by one, so the pile is there when the first card is opened.
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { CHAT_JOB, type ChatPayload } from "../../src/conversations/kinds.ts";
import { createChatDelivery } from "../../src/flows/delivery.ts";
import { claim, complete, type Job } from "../../src/queue/jobs.ts";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord.ts";
import {
  cardText,
  type DiscordWorld,
  discordEnv,
  postingAdapter,
  threadsOf,
} from "../support/discord-setup.ts";
import { actOnCallbacks, type Harness, startHarness } from "../support/harness.ts";

const log = pino({ level: "silent" });
let h: Harness | undefined;
let fake: FakeDiscord | undefined;
afterEach(async () => {
  await h?.close();
  await fake?.close();
  h = fake = undefined;
});

const NOTICE = "⏳ 10 new conversations waiting to be posted, at the pace Discord allows";

describe.each(["text", "forum"] as const)("a backlog of new conversations (%s channel)", (kind) => {
  it(
    kind === "text"
      ? "says it once at the channel's top level, mentioning no one; every card once"
      : "says nothing (a forum has no top level); every post once",
    async () => {
      fake = await startFakeDiscord();
      const f = fake;
      const channel = (kind === "text" ? f.textChannelId : f.forumChannelId) ?? "";
      h = await startHarness({ worker: false, env: discordEnv(f, channel) });
      const harness = h;
      const db = harness.bridge.database.db;
      const adapter = postingAdapter(f, channel, db);
      const deliver = createChatDelivery({
        db,
        adapters: new Map([["discord", adapter]]),
        log,
        backlogNoticeAt: 4,
      });

      const phones = Array.from({ length: 10 }, (_, i) => `+3361234${String(i).padStart(4, "0")}`);
      for (const phone of phones)
        expect(await harness.sim.inbound(phone, `hello ${phone}`)).toBe(200);
      await actOnCallbacks(harness);
      for (;;) {
        const [job] = await claim(harness.bridge.database, {
          kinds: [CHAT_JOB.kind],
          limit: 1,
          leaseMs: 30_000,
          workerId: "test",
        });
        if (!job) break;
        await deliver(job as Job<ChatPayload>);
        await complete(db, [job.id], "test");
      }

      const w: DiscordWorld = { fake: f, h: harness, channel, kind, close: async () => {} };
      for (const phone of phones) {
        const cards = threadsOf(w).filter((t) => cardText(w, t.id).includes(`📩 hello ${phone}`));
        expect(cards).toHaveLength(1);
      }
      expect(threadsOf(w)).toHaveLength(phones.length);
      const notices = f.requests.filter((r) => JSON.stringify(r.body ?? "").includes("⏳"));
      if (kind === "forum") {
        expect(notices).toEqual([]);
        expect(f.messages(channel)).toEqual([]);
        return;
      }
      // Ten cards and the notice: nothing else at the top level.
      const top = f.messages(channel);
      expect(top).toHaveLength(phones.length + 1);
      const notice = top.filter((m) => m.content.startsWith("⏳"));
      expect(notice.map((m) => m.content)).toEqual([NOTICE]);
      expect(notice[0]?.thread).toBeUndefined();
      expect(notices).toHaveLength(1);
      expect(
        (notices[0]?.body as { allowed_mentions?: unknown } | undefined)?.allowed_mentions,
      ).toEqual({
        parse: [],
      });
    },
  );
});
