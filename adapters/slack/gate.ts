// Cheap refusals in front of Bolt on /slack/events: Bolt reads the whole body before it checks
// the signature, so an unsigned or replayed request is refused here from its headers alone,
// before a byte of its body is read. Slack signs every request with `X-Slack-Signature` and
// `X-Slack-Request-Timestamp` and asks that requests more than five minutes from the local
// clock be refused (either way: replays, and timestamps in the future).
import type { NextFunction, Request, Response } from "express";

/** Slack's payloads: message events (text up to 40,000 characters) and interactive payloads
 * (up to 100 blocks of 3,000 characters in a modal) stay well under this. */
export const SLACK_BODY_LIMIT = 1024 * 1024;
const FIVE_MINUTES_S = 5 * 60;

export function slackGate(now: () => number = Date.now) {
  return (req: Request, res: Response, next: NextFunction) => {
    const refuse = (status: number, error: string) => {
      // Close rather than read (and discard) the body of a refused request.
      res.set("Connection", "close").status(status).json({ error });
    };
    if (req.method !== "POST") return refuse(405, "method not allowed");
    const signature = req.get("x-slack-signature") ?? "";
    const stamp = req.get("x-slack-request-timestamp") ?? "";
    if (!/^v0=[0-9a-f]{64}$/.test(signature) || !/^\d{1,12}$/.test(stamp))
      return refuse(401, "unsigned request");
    if (Math.abs(now() / 1000 - Number(stamp)) > FIVE_MINUTES_S)
      return refuse(401, "stale or future request timestamp");
    const length = req.get("content-length");
    if (length === undefined) return refuse(411, "content-length required");
    if (!/^\d+$/.test(length) || Number(length) > SLACK_BODY_LIMIT)
      return refuse(413, "request body too large");
    next();
  };
}
