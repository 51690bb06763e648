// Slack as a chat platform: its variables, and the adapter built from them (Bolt is loaded only
// when Slack is on).
import { z } from "zod";
import { type ChatAdapterDescriptor, optionalVar } from "../../src/contracts/index.ts";
import { slackManifest } from "./manifest.ts";
import { slackLines } from "./setup.ts";
import { slackNotConfiguredRouter } from "./unconfigured.ts";

const MANIFEST_HELP = `Usage: ardary-bridge slack manifest [--socket-mode]

Prints the Slack app's manifest with this bridge's address (PUBLIC_URL) filled in: create the app
from it at https://api.slack.com/apps ("Create New App" > "From a manifest"). --socket-mode (or
SLACK_APP_TOKEN set): the manifest for Socket Mode, which needs no public address.`;

const env = {
  SLACK_BOT_TOKEN: optionalVar,
  SLACK_SIGNING_SECRET: optionalVar,
  SLACK_CHANNEL: optionalVar,
  SLACK_APP_TOKEN: optionalVar.pipe(z.string().startsWith("xapp-").optional()),
  SLACK_API_URL: optionalVar.pipe(z.url().optional()),
  SLACK_MANAGER_GROUP: optionalVar,
};

export interface SlackConfig {
  botToken: string;
  /** Verifies the events URL's requests; not needed in Socket Mode. */
  signingSecret?: string;
  /** Socket Mode (SLACK_APP_TOKEN) instead of the public events URL. */
  appToken?: string;
  channel: string;
  apiUrl?: string;
  /** The user group (handle or id) whose members manage the bridge; else workspace admins. */
  managerGroup?: string;
}

export const slack: ChatAdapterDescriptor<typeof env, SlackConfig> = {
  kind: "chat",
  name: "slack",
  label: "Slack",
  env,
  hints: {
    SLACK_BOT_TOKEN: "Slack app > OAuth & Permissions > Bot User OAuth Token (xoxb-…)",
    SLACK_SIGNING_SECRET: "Slack app > Basic Information > App Credentials > Signing Secret",
    SLACK_CHANNEL: "the channel ID (C…) from the channel's details in Slack",
    SLACK_APP_TOKEN:
      "Slack app > Basic Information > App-Level Tokens (xapp-…, scope connections:write)",
    SLACK_MANAGER_GROUP:
      "optional: the handle of the Slack user group allowed to manage the bridge: routes, templates, Unblock (default: workspace admins and owners)",
  },
  // Socket Mode (SLACK_APP_TOKEN) has no events URL to verify: no signing secret needed.
  requires: (s) =>
    s.SLACK_APP_TOKEN?.trim()
      ? ["SLACK_BOT_TOKEN", "SLACK_CHANNEL"]
      : ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CHANNEL"],
  configure: (v) => {
    const { SLACK_BOT_TOKEN: botToken, SLACK_SIGNING_SECRET: signingSecret } = v;
    const { SLACK_APP_TOKEN: appToken, SLACK_CHANNEL: channel, SLACK_API_URL: apiUrl } = v;
    const managerGroup = v.SLACK_MANAGER_GROUP;
    return { botToken, signingSecret, appToken, channel, apiUrl, managerGroup } as SlackConfig;
  },
  howToEnable:
    "set SLACK_BOT_TOKEN, SLACK_CHANNEL and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)",
  defaultChannel: (c) => c.channel,
  // A channel id (C…, G… for a private one), or its mention `<#C123|name>`.
  channelId: (text) => {
    const id = /^<#([A-Z0-9]+)(?:\|[^>]*)?>$/.exec(text.trim())?.[1] ?? text.trim();
    return /^[CG][A-Z0-9]{2,}$/.test(id) ? id : undefined;
  },
  whenOff(router, log) {
    router.use(slackNotConfiguredRouter(log));
  },
  async create(c, services) {
    const { createSlackAdapter } = await import("./index.ts");
    return createSlackAdapter({
      ...c,
      log: services.log,
      router: services.router,
      budget: services.budget("posts"),
      state: services.state,
      words: services.words,
    });
  },
  setupLines: (c, ctx) => slackLines(c, ctx),
  setupFiles: [
    {
      name: "slack-manifest.yml",
      // Shown in the browser, to be copied into Slack's form.
      contentType: "text/plain; charset=utf-8",
      render: (url, o) => slackManifest(url, o),
    },
  ],
  commands: (c, core) => ({
    slack: {
      summary: "slack manifest [--socket-mode]: the Slack app's manifest for this bridge",
      help: async () => MANIFEST_HELP,
      async run(args) {
        if (args[0] !== "manifest") {
          console.error(MANIFEST_HELP);
          return 2;
        }
        const socketMode = args.includes("--socket-mode") || Boolean(c?.appToken);
        if (!core.publicUrl && !socketMode) {
          console.error(
            "PUBLIC_URL is not set: the manifest needs this bridge's https:// address. Set PUBLIC_URL (e.g. PUBLIC_URL=https://sms.example.com), or ask for the Socket Mode manifest: `ardary-bridge slack manifest --socket-mode`",
          );
          return 2;
        }
        process.stdout.write(slackManifest(core.publicUrl, { socketMode }));
        return 0;
      },
    },
  }),
};
