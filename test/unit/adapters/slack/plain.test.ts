// Slack messages → SMS text: rich_text blocks as Slack's composer sends them in message
// events (https://docs.slack.dev/reference/block-kit/blocks/rich-text-block), and mrkdwn.
import { describe, expect, it } from "vitest";
import { emojiChar, emojiTable } from "../../../../adapters/slack/emoji.ts";
import { mrkdwnToPlain, type SlackNames, toPlainText } from "../../../../adapters/slack/plain.ts";

const people: Record<string, string> = { U0BOB: "Bob Durand", U0ALICE: "Alice Martin" };
const channels: Record<string, string> = { C0SALES: "sales" };
const names: SlackNames = {
  user: async (id) => people[id] ?? id,
  channel: async (id) => channels[id] ?? id,
};

/** A message event as Slack sends it: mrkdwn text plus the composer's rich_text block. */
function event(text: string, elements: unknown[]) {
  return {
    type: "message",
    channel: "C0GENERAL",
    user: "U0ALICE",
    text,
    ts: "1764237600.000200",
    thread_ts: "1764237500.000100",
    team: "T0TEAM",
    blocks: [{ type: "rich_text", block_id: "a1B2c", elements }],
    event_ts: "1764237600.000200",
    channel_type: "channel",
  };
}
const section = (...elements: unknown[]) => ({ type: "rich_text_section", elements });
const text = (t: string, style?: Record<string, boolean>) => ({
  type: "text",
  text: t,
  ...(style ? { style } : {}),
});

describe("rich text blocks", () => {
  it("drops bold, italic, strike and code: the issue's sample", async () => {
    const e = event("Hello *John*, _ships_ ~today~ `ABC-123`", [
      section(
        text("Hello "),
        text("John", { bold: true }),
        text(", "),
        text("ships", { italic: true }),
        text(" "),
        text("today", { strike: true }),
        text(" "),
        text("ABC-123", { code: true }),
      ),
    ]);
    expect(await toPlainText(e, names)).toBe("Hello John, ships today ABC-123");
  });

  it("turns emoji elements into the characters themselves", async () => {
    const e = event(":tada: Done :wave::skin-tone-3: :partyparrot: :heart:", [
      section(
        { type: "emoji", name: "tada", unicode: "1f389" },
        text(" Done "),
        { type: "emoji", name: "wave", unicode: "1f44b-1f3fc", skin_tone: 3 },
        text(" "),
        { type: "emoji", name: "partyparrot" },
        text(" "),
        { type: "emoji", name: "heart" },
        text(" "),
        { type: "emoji", name: "thumbsup", skin_tone: 5 },
        text(" "),
        { type: "emoji", name: "ok_hand::skin-tone-2" },
      ),
    ]);
    expect(await toPlainText(e, names)).toBe("🎉 Done 👋🏼 :partyparrot: ❤️ 👍🏾 👌🏻");
  });

  it("reads links, mentions, channels and broadcasts", async () => {
    const e = event(
      "Hi <@U0BOB>, see <https://example.com/a|our page> or <https://example.com/b> in <#C0SALES|sales> <!here>",
      [
        section(
          text("Hi "),
          { type: "user", user_id: "U0BOB" },
          text(", see "),
          { type: "link", url: "https://example.com/a", text: "our page" },
          text(" or "),
          { type: "link", url: "https://example.com/b" },
          text(" in "),
          { type: "channel", channel_id: "C0SALES" },
          text(" "),
          { type: "broadcast", range: "here" },
          text(" mail "),
          { type: "link", url: "mailto:help@example.com", text: "help@example.com" },
        ),
      ],
    );
    expect(await toPlainText(e, names)).toBe(
      "Hi @Bob Durand, see our page (https://example.com/a) or https://example.com/b in #sales @here mail help@example.com",
    );
  });

  it("keeps lists as lines with • and numbers, nested lists indented", async () => {
    const e = event("", [
      section(text("Your order:\n")),
      {
        type: "rich_text_list",
        style: "bullet",
        indent: 0,
        border: 0,
        elements: [section(text("2 shirts")), section(text("1 hat", { bold: true }))],
      },
      {
        type: "rich_text_list",
        style: "bullet",
        indent: 1,
        border: 0,
        elements: [section(text("red"))],
      },
      section(text("Steps:")),
      {
        type: "rich_text_list",
        style: "ordered",
        indent: 0,
        elements: [section(text("pay")), section(text("wait"))],
      },
      {
        type: "rich_text_list",
        style: "ordered",
        indent: 0,
        offset: 2,
        elements: [section(text("enjoy "), { type: "emoji", name: "smile", unicode: "1f604" })],
      },
    ]);
    expect(await toPlainText(e, names)).toBe(
      "Your order:\n• 2 shirts\n• 1 hat\n  • red\nSteps:\n1. pay\n2. wait\n3. enjoy 😄",
    );
  });

  it("keeps quotes and preformatted text as their text, with &amp; &lt; &gt; decoded", async () => {
    const e = event("", [
      { type: "rich_text_quote", elements: [text("You said: 5 &lt; 6 &amp; 7 &gt; 3")] },
      section(text("Here is the code:")),
      { type: "rich_text_preformatted", border: 0, elements: [text("*A* _B_\nline 2")] },
      section(text("Thanks "), { type: "usergroup", usergroup_id: "S0TEAM" }),
    ]);
    expect(await toPlainText(e, names)).toBe(
      "You said: 5 < 6 & 7 > 3\nHere is the code:\n*A* _B_\nline 2\nThanks @team",
    );
  });

  it("reads the text when the message has no rich_text block", async () => {
    const e = {
      text: "Hello *John* :tada:",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "x" } }],
    };
    expect(await toPlainText(e, names)).toBe("Hello John 🎉");
    expect(await toPlainText({ text: "Hello *John*" }, names)).toBe("Hello John");
  });
});

describe("mrkdwn text", () => {
  const plain = (t: string) => mrkdwnToPlain(t, names);

  it("drops marks around words: the issue's sample", async () => {
    expect(await plain("Hello *John*, _ships_ ~today~ `ABC-123`")).toBe(
      "Hello John, ships today ABC-123",
    );
    expect(await plain("*_both_* and _*both*_ (*in parentheses*)")).toBe(
      "both and both (in parentheses)",
    );
    expect(await plain("*bold words here* then ~gone now~.")).toBe(
      "bold words here then gone now.",
    );
  });

  it("leaves stars and underscores that are not marks", async () => {
    expect(await plain("5 * 3 = 15 and snake_case_name and 2*3*4")).toBe(
      "5 * 3 = 15 and snake_case_name and 2*3*4",
    );
    expect(await plain("a lone _ here, a ~ there")).toBe("a lone _ here, a ~ there");
  });

  it("keeps code as typed, marks and short codes included", async () => {
    expect(await plain("Run `npm *i* :tada:` then\n```\nconst a = *b*;\n:x: &lt;\n```")).toBe(
      "Run npm *i* :tada: then\nconst a = *b*;\n:x: <",
    );
  });

  it("reads links, mentions, channels and specials", async () => {
    expect(
      await plain(
        "Hi <@U0BOB>, see <https://example.com/a|our page> or <https://example.com/b> in <#C0SALES|sales> &amp; <#C0SALES> <!here> <!channel|@channel> <mailto:a@b.c|a@b.c> <!subteam^S1|@support> <!date^1392734382^{date}|Feb 18>",
      ),
    ).toBe(
      "Hi @Bob Durand, see our page (https://example.com/a) or https://example.com/b in #sales & #sales @here @channel a@b.c @support Feb 18",
    );
    expect(await plain("*see <https://x.io/a_b_c|the_page>*")).toBe(
      "see the_page (https://x.io/a_b_c)",
    );
  });

  it("turns short codes into emoji, skin tones included; unknown codes stay", async () => {
    expect(await plain(":tada:")).toBe("🎉");
    expect(await plain("Thanks :+1::skin-tone-4: :heart: :custom_logo: at 10:30:00")).toBe(
      "Thanks 👍🏽 ❤️ :custom_logo: at 10:30:00",
    );
    expect(await plain("&lt;ok&gt; :smile:")).toBe("<ok> 😄");
  });
});

describe("emoji data", () => {
  it("knows Slack's short names and aliases, with skin tones", async () => {
    const table = await emojiTable();
    expect(emojiChar(table, "tada")).toBe("🎉");
    expect(emojiChar(table, "thumbsup")).toBe("👍");
    expect(emojiChar(table, "+1", 6)).toBe("👍🏿");
    expect(emojiChar(table, "wave::skin-tone-2")).toBe("👋🏻");
    expect(emojiChar(table, "hourglass_flowing_sand")).toBe("⏳");
    expect(emojiChar(table, "no_such_emoji")).toBeUndefined();
    expect(await emojiTable()).toBe(table);
  });
});
