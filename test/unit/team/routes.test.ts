// Routes (src/team/routes.ts): number prefixes and the channel forms of both platforms.
import { describe, expect, it } from "vitest";
import { channelIdOf, parsePrefix } from "../../../src/team/routes.ts";

describe("routes", () => {
  it("reads prefixes and the channel forms of both platforms", () => {
    expect(parsePrefix("+44 20")).toBe("+4420");
    expect(parsePrefix("0033")).toBe("+33");
    expect(parsePrefix("uk")).toBeUndefined();
    expect(channelIdOf("<#C0SALES|sales>")).toBe("C0SALES");
    expect(channelIdOf("<#123456789012345678>")).toBe("123456789012345678");
    expect(channelIdOf("C0SALES")).toBe("C0SALES");
    expect(channelIdOf("#sales")).toBeUndefined();
  });
});
