// While Slack is not on, POST /slack/events still answers Slack's URL check (the app's
// Request URL can be saved before the variables are set) and says what is missing.
import express, { type Router } from "express";
import type { Logger } from "pino";

export const SLACK_VARIABLES = "SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_CHANNEL";

export function slackNotConfiguredRouter(log: Logger): Router {
  const router = express.Router();
  router.post("/slack/events", express.json({ limit: "64kb" }), (req, res) => {
    const body = req.body as { type?: unknown; challenge?: unknown } | undefined;
    if (body?.type === "url_verification" && typeof body.challenge === "string") {
      log.warn(
        `Slack checked the events URL: answered; Slack is not on until ${SLACK_VARIABLES} are set (or SLACK_APP_TOKEN for Socket Mode)`,
      );
      res.json({ challenge: body.challenge });
      return;
    }
    log.warn(`a Slack event arrived but Slack is not on: set ${SLACK_VARIABLES}`);
    res
      .status(503)
      .json({ error: `Slack is not configured on this bridge: set ${SLACK_VARIABLES}` });
  });
  return router;
}
