// The Discord card carries a conversation's first SMS whole, within Discord's limits: content
// 2000 characters, an embed's description 4096, a message's embeds 6000; what even those cannot
// hold follows in the thread. Whatever its length or markup, no character is lost.
// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
import { describe, expect, it } from "vitest";
import { layoutCard } from "../../adapters/discord/render.ts";
import type { ConversationCard } from "../../src/contracts.ts";

function card(first: string | undefined, last?: string): ConversationCard {
  return {
    conversationId: 1,
    phone: "+33612345678",
    contactName: null,
    open: true,
    blocked: false,
    actions: [],
    replyMode: "send",
    owner: null,
    waitingSince: null,
    contactProblem: null,
    optedOut: false,
    lastMessage: { text: last ?? first ?? "", at: new Date(0), direction: "in" },
    ...(first === undefined ? {} : { first: { kind: "inbound", text: first } }),
  } as ConversationCard;
}

/** The SMS put back together from the embeds and the thread's pieces (escapes undone). */
function whole(first: string): string {
  const { body, more } = layoutCard(card(first));
  const parts = [
    ...body.embeds.map((e) => e.description),
    ...more.map((m) => m.replace(/^📩 \(continued\) /, "")),
  ];
  return parts.join("").replace(/^📩 /, "").replace(/\\(.)/g, "$1");
}

function withinLimits(first: string): void {
  const { body, more } = layoutCard(card(first));
  expect(body.content.length).toBeLessThanOrEqual(2000);
  for (const e of body.embeds) expect(e.description.length).toBeLessThanOrEqual(4096);
  expect(body.embeds.reduce((n, e) => n + e.description.length, 0)).toBeLessThanOrEqual(6000);
  expect(body.embeds.length).toBeLessThanOrEqual(10);
  for (const m of more) expect(m.length).toBeLessThanOrEqual(2000);
}

describe("the Discord card's first SMS", () => {
  it("is in the content when it fits, said once (no last-message line repeating it)", () => {
    const { body, more } = layoutCard(card("Is it *ready*?"));
    expect(body.content).toContain("\n📩 Is it \\*ready\\*?");
    expect(body.content.match(/ready/g)).toHaveLength(1);
    expect(body.embeds).toEqual([]);
    expect(more).toEqual([]);
  });

  it("shows the last message under it once there is a newer one", () => {
    const { body } = layoutCard(card("hello", "are you there?"));
    expect(body.content).toMatch(/📩 hello\n-# 📩 are you there\?$/);
  });

  it("is in an embed, whole, when the card and the SMS pass 2000 characters", () => {
    const text = "a".repeat(1900);
    const { body, more } = layoutCard(card(text));
    expect(body.embeds).toEqual([{ description: `📩 ${text}` }]);
    expect(body.content).not.toContain("aaaa");
    expect(more).toEqual([]);
  });

  it.each([
    ["plain words", "word ".repeat(2000)],
    ["markup that doubles when escaped", "*_`~|".repeat(1500)],
    ["emoji (surrogate pairs)", "😀".repeat(3500)],
    ["no space at all", "x".repeat(9000)],
    ["lines", "line of text\n".repeat(900)],
  ])("loses no character of %s, and keeps to Discord's limits", (_name, text) => {
    withinLimits(text);
    expect(whole(text)).toBe(text);
  });

  it("never splits an emoji between two pieces", () => {
    const { body, more } = layoutCard(card(`${"😀".repeat(3500)}`));
    for (const piece of [...body.embeds.map((e) => e.description), ...more])
      expect(piece).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  });
});
