// The Discord card carries a conversation's first SMS whole, within Discord's limits: content
// 2000 characters, an embed's description 4096, a message's embeds 6000; what even those cannot
// hold follows in the thread. Whatever its length or markup, no character is lost.
// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
import { describe, expect, it } from "vitest";
import { layoutCard, renderPost } from "../../../../adapters/discord/render.ts";
import type { ConversationCard } from "../../../../src/contracts/index.ts";

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

/** Discord's limits kept; the SMS put back together (escapes undone) from the pieces. */
function carried(first: string): string {
  const { body, more } = layoutCard(card(first));
  expect(body.content.length).toBeLessThanOrEqual(2000);
  for (const e of body.embeds) expect(e.description.length).toBeLessThanOrEqual(4096);
  expect(body.embeds.reduce((n, e) => n + e.description.length, 0)).toBeLessThanOrEqual(6000);
  expect(body.embeds.length).toBeLessThanOrEqual(10);
  for (const m of more) expect(m.length).toBeLessThanOrEqual(2000);
  const parts = [
    ...body.embeds.map((e) => e.description),
    ...more.map((m) => m.replace(/^📩 \(continued\) /, "")),
  ];
  // No emoji split between two pieces.
  for (const p of parts) expect(p).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  return parts.join("").replace(/^📩 /, "").replace(/\\(.)/g, "$1");
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
    ["plain words", "word ".repeat(1300)],
    ["markup that doubles when escaped", "*_`~|".repeat(700)],
    ["emoji (surrogate pairs)", "😀".repeat(3100)],
    ["no space at all", "x".repeat(6500)],
    ["lines", "line of text\n".repeat(600)],
  ])("loses no character of %s, keeps to Discord's limits, splits no emoji", (_name, text) => {
    expect(carried(text)).toBe(text);
  });
});

describe("a Discord post of an SMS", () => {
  it("keeps a short SMS in the content", () => {
    const r = renderPost({ kind: "inbound", text: "Is it *ready*?" });
    expect(r.content).toBe("📩 Is it \\*ready\\*?");
    expect(r.embeds).toEqual([]);
  });

  it.each([
    ["inbound", "word ".repeat(600)],
    ["outbound", "*_`~|".repeat(500)],
  ] as const)("shows a long %s SMS whole, in embeds, with its status line", (kind, text) => {
    const r = renderPost({
      kind,
      text,
      author: kind === "outbound" ? "Ana" : undefined,
      status: kind === "outbound" ? { status: "sent", sentAt: new Date(0) } : undefined,
      mention: kind === "outbound" ? "U1" : undefined,
    } as Parameters<typeof renderPost>[0]);
    expect(r.content.length).toBeLessThanOrEqual(2000);
    for (const e of r.embeds) expect(e.description.length).toBeLessThanOrEqual(4096);
    const shown = r.embeds.map((e) => e.description).join("");
    expect(shown.replace(/\\(.)/g, "$1")).toBe(text);
    if (kind === "outbound") expect(r.content).toMatch(/^<@U1> \*\*Ana\*\* → SMS:\n-# .*sent/);
    else expect(r.content).toBe("📩");
  });
});
