// The bot's permissions and the link that adds it to a server, with no SDK loaded: the descriptor
// shows the link on the setup page (docs/discord.md explains each permission).
// https://discord.com/developers/docs/topics/oauth2#bot-authorization-flow

/** The permissions the bot uses. */
export const BOT_PERMISSIONS = {
  AddReactions: 1n << 6n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  ManageThreads: 1n << 34n,
  CreatePublicThreads: 1n << 35n,
  SendMessagesInThreads: 1n << 38n,
};

/** All of them, as the permissions integer of the invite link. */
export const BOT_PERMISSIONS_INTEGER = Object.values(BOT_PERMISSIONS).reduce((a, b) => a | b, 0n);

/** The invite URL: scopes bot and applications.commands, with the bot's permissions. */
export function inviteUrl(applicationId: string): string {
  const query = `client_id=${encodeURIComponent(applicationId)}&scope=bot+applications.commands&permissions=${BOT_PERMISSIONS_INTEGER}`;
  return `https://discord.com/oauth2/authorize?${query}`;
}
