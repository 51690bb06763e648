// What a refused Slack call says, read without the SDK (adapters/slack/refusals.ts): the code of
// the SDK's own platform error, nothing from any other error, and the codes of a refused token.
import { ErrorCode } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { slackErrorCode, TOKEN_REFUSED } from "../../../../adapters/slack/refusals.ts";

describe("a refused Slack call, read without the SDK", () => {
  it("reads the code of the SDK's platform error, and of nothing else", () => {
    expect(
      slackErrorCode({ code: ErrorCode.PlatformError, data: { error: "not_in_channel" } }),
    ).toBe("not_in_channel");
    expect(
      slackErrorCode({ code: ErrorCode.RateLimitedError, data: { error: "x" } }),
    ).toBeUndefined();
    expect(slackErrorCode(new Error("socket hang up"))).toBeUndefined();
    expect(slackErrorCode(undefined)).toBeUndefined();
  });

  it("knows the answers that mean the token itself is refused", () => {
    for (const code of [
      "invalid_auth",
      "not_authed",
      "token_revoked",
      "token_expired",
      "account_inactive",
    ])
      expect(TOKEN_REFUSED.has(code)).toBe(true);
    expect(TOKEN_REFUSED.has("not_in_channel")).toBe(false);
  });
});
