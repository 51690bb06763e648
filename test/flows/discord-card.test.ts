// A new conversation costs one Discord message: its card carries its first SMS (in the card
// message a text channel's thread starts from, or in a forum post's starter message); later
// SMS go in the thread; an SMS too long for the card's 2000 characters is shown whole in embeds.
import { afterEach, describe, expect, it } from "vitest";
import {
  cardOf,
  cardText,
  contents,
  type DiscordWorld,
  posts,
  settled,
  startDiscord,
  threadsOf,
  waitCard,
  waitPosts,
} from "../support/discord-setup.ts";
import { until } from "../support/harness.ts";

const A = "+33612345678";
const A_SHOWN = "+33 6 12 34 56 78";

let w: DiscordWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** Every message the bot made in the world's channel and in its threads. */
function botMessages(w: DiscordWorld) {
  const where = [w.channel, ...threadsOf(w).map((t) => t.id)];
  return where.flatMap((id) => w.fake.messages(id)).filter((m) => m.author.bot === true);
}

/** Words of the customer's, `n` characters long, nothing Discord's markdown would change. */
function words(n: number): string {
  let text = "";
  for (let i = 0; text.length < n; i++) text += `word${i} `;
  return text.slice(0, n).trimEnd();
}

/** The SMS as the card carries it, put back together: its embeds, then what the thread holds. */
function carried(w: DiscordWorld, threadId: string): string {
  const embeds = (cardOf(w, threadId)?.embeds ?? []) as { description: string }[];
  const rest = contents(w, threadId).map((c) => c.replace(/^📩 \(continued\) /, ""));
  return [...embeds.map((e) => e.description), ...rest].join("").replace(/^📩 /, "");
}

/** Presses the card's Claim button and waits for the card to show its owner (an edit). */
async function claim(w: DiscordWorld, threadId: string): Promise<void> {
  const card = cardOf(w, threadId);
  const customId = JSON.stringify(card?.components).match(/ardary:claim:\d+/)?.[0] ?? "";
  w.fake.buttonClick({ customId, channelId: card?.channel_id ?? "", messageId: threadId });
  await until(() => !cardOf(w, threadId)?.content.includes("nobody claimed"), 10_000, "claim");
}

describe.each(["text", "forum"] as const)("discord %s channel", (kind) => {
  it("posts a new number's first SMS on its card, one message; the next SMS goes in the thread; edits keep it", async () => {
    w = await startDiscord(kind);
    await w.h.sim.inbound(A, "Is order #12 *ready*?");
    const { threadId } = await waitCard(w, A_SHOWN, "📩 Is order #12 \\*ready\\*?");
    await settled(w.h);
    // One message: the card (a text channel's thread starts from it; a forum post's starter).
    expect(threadsOf(w)).toHaveLength(1);
    expect(botMessages(w)).toHaveLength(1);
    expect(posts(w, threadId)).toEqual([]);
    const card = cardOf(w, threadId);
    expect(card?.id).toBe(threadId);
    expect(card?.channel_id).toBe(kind === "text" ? w.channel : threadId);
    // Said once: no "last message" line repeating it.
    expect(card?.content.match(/ready/g)).toHaveLength(1);
    expect(card?.embeds).toEqual([]);

    await w.h.sim.inbound(A, "Hello?");
    await waitPosts(w, A_SHOWN, (c) => c === "📩 Hello?");
    expect(contents(w, threadId)).toEqual(["📩 Hello?"]);
    // Claim: the card is edited; it still carries the first SMS, and the last one under it.
    await claim(w, threadId);
    expect(cardText(w, threadId)).toContain("📩 Is order #12 \\*ready\\*?");
    expect(cardText(w, threadId)).toContain("-# 📩 Hello?");
  });

  it("shows a long first SMS whole in an embed of the card, and keeps it there on edits", async () => {
    w = await startDiscord(kind);
    const text = words(1900);
    await w.h.sim.inbound(A, text);
    const { threadId } = await waitCard(w, A_SHOWN, text);
    await settled(w.h);
    const card = cardOf(w, threadId);
    expect(card?.embeds).toEqual([{ description: `📩 ${text}` }]);
    expect(card?.content).not.toContain("word1 ");
    expect(posts(w, threadId)).toEqual([]);
    expect(botMessages(w)).toHaveLength(1);

    await w.h.sim.inbound(A, "and one more");
    await waitPosts(w, A_SHOWN, (c) => c === "📩 and one more");
    await claim(w, threadId);
    expect(cardOf(w, threadId)?.content).toContain("-# 📩 and one more");
    expect(cardOf(w, threadId)?.embeds).toEqual([{ description: `📩 ${text}` }]);
  });

  it("loses nothing of an SMS longer than a card's embeds can hold: the rest follows in the thread", async () => {
    w = await startDiscord(kind);
    const text = words(9000);
    await w.h.sim.inbound(A, text);
    const { threadId } = await waitCard(w, A_SHOWN, text.slice(0, 100));
    await settled(w.h);
    expect(cardOf(w, threadId)?.content).toContain("the rest of this SMS is in the thread");
    expect(carried(w, threadId)).toBe(text);
  });
});
