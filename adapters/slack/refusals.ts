// What Slack's refused calls say, read without loading the SDK (the setup page and `doctor` use it
// before Slack is on): the error code of a refused call, and the codes that mean the token itself
// is refused. https://docs.slack.dev/reference/methods/auth.test#errors

/** Slack's error code of a refused call ("channel_not_found"), if it was one. */
export function slackErrorCode(err: unknown): string | undefined {
  const e = err as { code?: string; data?: { error?: string } };
  // @slack/web-api's ErrorCode.PlatformError, spelled out so that the SDK is not loaded here.
  return e?.code === "slack_webapi_platform_error" ? e.data?.error : undefined;
}

/** The token is refused: nothing can be posted until a person fixes SLACK_BOT_TOKEN. */
export const TOKEN_REFUSED: ReadonlySet<string> = new Set([
  "invalid_auth",
  "not_authed",
  "token_revoked",
  "token_expired",
  "account_inactive",
]);
