// Slack without a public URL: Socket Mode (SLACK_APP_TOKEN, an app-level `xapp-` token with
// connections:write). Bolt's SocketModeReceiver calls apps.connections.open, then receives the
// events, commands and buttons over the WebSocket it names, acknowledging each envelope.

import type { Logger as BoltLogger } from "@slack/bolt";
import { SocketModeReceiver } from "@slack/bolt";
import { Agent, type Dispatcher } from "undici";

const SLACK_ORIGIN = "https://slack.com";

/**
 * A dispatcher that sends the Web API calls Socket Mode makes (https://slack.com/api/…) to
 * `apiUrl` instead (SLACK_API_URL, for local fakes); other requests go where they were going.
 */
export function apiRedirect(apiUrl: string): Dispatcher {
  const target = new URL(apiUrl);
  const base = target.pathname.replace(/\/$/, "");
  return new Agent().compose(
    (dispatch) => (opts, handler) =>
      String(opts.origin).replace(/\/$/, "") === SLACK_ORIGIN && opts.path.startsWith("/api/")
        ? dispatch(
            { ...opts, origin: target.origin, path: `${base}${opts.path.slice(4)}` },
            handler,
          )
        : dispatch(opts, handler),
  );
}

export function socketModeReceiver(o: { appToken: string; apiUrl?: string; logger: BoltLogger }) {
  return new SocketModeReceiver({
    appToken: o.appToken,
    logger: o.logger,
    ...(o.apiUrl ? { dispatcher: apiRedirect(o.apiUrl) } : {}),
  });
}
