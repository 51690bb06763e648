// The Slack app's manifest (https://docs.slack.dev/reference/app-manifest), made for one bridge:
// its events URL filled in (`/setup/slack-manifest.yml` on the bridge, `ardary-bridge slack
// manifest`), or for Socket Mode, which needs no address. adapters/slack/manifest.yml is this
// manifest with YOUR-HOST in place of the address, for reading (a test keeps them the same).

/** The manifest after its header comment; `url` is the bridge's address, or none (Socket Mode). */
function body(url: string | undefined): string {
  const base = url?.replace(/\/$/, "");
  const events = base ? `${base}/slack/events` : undefined;
  const requestUrl = (indent: string) => (events ? `\n${indent}request_url: ${events}` : "");
  return `display_information:
  name: Ardary SMS
  description: Answer customer SMS from Slack, one thread per phone number.
  background_color: "#2c2d30"
features:
  bot_user:
    display_name: Ardary SMS
    always_online: true
  slash_commands:
    - command: /sms${events ? `\n      url: ${events}` : ""}
      description: Send an SMS from its number's thread
      usage_hint: '+33612345678 [--at "2026-12-01 09:00"] [--link https://…] [--priority low|normal|high] text'
      should_escape: false
oauth_config:
  scopes:
    bot:
      - chat:write # post the conversation cards, SMS and notes
      - chat:write.public # post in public channels the bot was not invited to (routes)
      - reactions:write # show an SMS's status on the message that sent it
      - users:read # names for mentions and who sent an SMS; admins and guests (docs/permissions.md)
      - channels:history # replies in threads of public channels
      - groups:history # replies in threads of private channels
      - channels:read # channel details
      - groups:read
      - commands # /sms
      - usergroups:read # SLACK_MANAGER_GROUP: who manages the bridge (docs/permissions.md)
      - files:write # the digest's chart (REPORT_CHANNEL): files.getUploadURLExternal
settings:
  event_subscriptions:${requestUrl("    ")}
    bot_events:
      - message.channels
      - message.groups
  interactivity:
    is_enabled: true${requestUrl("    ")}
  org_deploy_enabled: false
  socket_mode_enabled: ${events ? "false" : "true"}
  token_rotation_enabled: false
`;
}

const comment = (text: string) =>
  text
    .split("\n")
    .map((l) => `# ${l}`.trimEnd())
    .join("\n");

/** The manifest for a bridge at `url` (events over HTTPS), or for Socket Mode (`socketMode`). */
export function slackManifest(
  url: string | undefined,
  o: { socketMode?: boolean; note?: string } = {},
): string {
  const socket = o.socketMode || !url;
  const head = [
    socket
      ? "Slack app manifest for ardary-bridge in Socket Mode (no public address needed)."
      : `Slack app manifest for the ardary-bridge at ${url}.`,
    'Create the app from it at https://api.slack.com/apps ("Create New App" > "From a manifest"),',
    socket
      ? "install it, make an app-level token with connections:write (Basic Information) and set it\nas SLACK_APP_TOKEN, then invite the bot to the channel."
      : "install it and invite the bot to the channel.",
    ...(o.note ? [o.note] : []),
  ].join("\n");
  return `${comment(head)}\n${body(socket ? undefined : url)}`;
}

/** The manifest as the repository keeps it: YOUR-HOST where the address goes. */
export function manifestTemplate(): string {
  const head = [
    "Slack app manifest for ardary-bridge. Create the app from it at https://api.slack.com/apps",
    '("Create New App" > "From a manifest"), replace YOUR-HOST with the address of your server',
    "(PUBLIC_URL), install the app, and invite the bot to the channel: see docs/slack.md.",
    "A running bridge serves it filled in: /setup/slack-manifest.yml on its address, or",
    "`npx ardary-bridge slack manifest`.",
  ].join("\n");
  return `${comment(head)}\n${body("https://YOUR-HOST")}`;
}
