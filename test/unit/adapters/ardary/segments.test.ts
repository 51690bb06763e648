// Segment count and encoding of a body, and why it is Unicode: the status line's figures.
import { describe, expect, it } from "vitest";
import { createArdaryProvider } from "../../../../adapters/ardary/provider.ts";
import { countSegments, describeSegments } from "../../../../adapters/ardary/segments.ts";

describe("segments shown", () => {
  it("counts GSM-7 texts: 160 characters in one SMS, 153 per part after", () => {
    expect(countSegments("Your order has shipped")).toEqual({ segments: 1, encoding: "GSM-7" });
    expect(countSegments("x".repeat(160))).toEqual({ segments: 1, encoding: "GSM-7" });
    expect(countSegments("x".repeat(161))).toEqual({ segments: 2, encoding: "GSM-7" });
    expect(countSegments("x".repeat(306))).toEqual({ segments: 2, encoding: "GSM-7" });
    expect(countSegments("x".repeat(307))).toEqual({ segments: 3, encoding: "GSM-7" });
    // é, è, à, ü, É, Ç, € are in GSM-7 (the euro in its extension table, costing two).
    expect(countSegments("Été à Zürich: 5 € — non").encoding).toBe("UCS-2");
    expect(countSegments("Été à Zürich: 5 €")).toEqual({ segments: 1, encoding: "GSM-7" });
    expect(countSegments("€".repeat(80))).toEqual({ segments: 1, encoding: "GSM-7" });
    expect(countSegments("€".repeat(81))).toEqual({ segments: 2, encoding: "GSM-7" });
  });

  it("says which character makes a text Unicode: the first one outside GSM-7", () => {
    expect(countSegments("Congrats 🎉 and ç")).toEqual({
      segments: 1,
      encoding: "UCS-2",
      unicodeBecause: "🎉",
    });
    expect(countSegments("ça va 🎉")).toMatchObject({ encoding: "UCS-2", unicodeBecause: "ç" });
    expect(countSegments("It’s here")).toMatchObject({ unicodeBecause: "’" });
    expect(countSegments("Hi 👍🏽")).toMatchObject({ unicodeBecause: "👍🏽" });
    // An invisible character is named by its code point.
    expect(countSegments("Hello\u200Bthere")).toMatchObject({ unicodeBecause: "U+200B" });
    expect(countSegments("50\u00A0€")).toMatchObject({ unicodeBecause: "U+00A0" });
  });

  it("counts Unicode texts: 70 characters in one SMS, 67 per part after", () => {
    expect(countSegments("🎉".padEnd(70, "x"))).toMatchObject({ segments: 1 }); // 🎉 is two UCS-2 units
    expect(countSegments("🎉".padEnd(71, "x"))).toMatchObject({ segments: 2 });
    expect(countSegments("ç".padEnd(70, "x"))).toMatchObject({ segments: 1 });
    expect(countSegments("ç".padEnd(71, "x"))).toMatchObject({ segments: 2 });
    expect(countSegments("ç".padEnd(134, "x"))).toMatchObject({ segments: 2 });
    expect(countSegments("ç".padEnd(135, "x"))).toMatchObject({ segments: 3 });
  });

  it("counts [Link] as the short link Ardary puts there, and an empty text as one SMS", () => {
    const text = `${"x".repeat(145)} [Link]`;
    expect(text.length).toBeLessThan(160);
    expect(countSegments(text)).toEqual({ segments: 2, encoding: "GSM-7" });
    expect(countSegments("")).toEqual({ segments: 1, encoding: "GSM-7" });
  });

  it("words it for the status line", () => {
    expect(describeSegments(countSegments("Hello"))).toBe("1 SMS");
    expect(describeSegments(countSegments(`${"x".repeat(100)} 🎉`))).toBe(
      "2 SMS · Unicode because of 🎉",
    );
    expect(describeSegments({ segments: 1, encoding: "UCS-2" })).toBe("1 SMS · Unicode");
  });

  it("is part of the provider", () => {
    const provider = createArdaryProvider({ apiUrl: "http://127.0.0.1:9", mode: "test" });
    expect(provider.countSegments("🎉")).toEqual({
      segments: 1,
      encoding: "UCS-2",
      unicodeBecause: "🎉",
    });
  });
});
