// Who a person is on Discord, for the core's permissions table (src/conversations/permissions.ts):
// a manager is a member with the role named in DISCORD_MANAGER_ROLE (its name or id, from the
// interaction's member.roles), else a member with the Administrator or Manage Server permission
// (member.permissions; Administrator implies all). Discord has no guests. Where a command was
// typed: its channel, or for a thread the channel the thread is in; outside a server, a direct
// message.
// https://discord.com/developers/docs/topics/permissions
// https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object
import { type BaseInteraction, PermissionFlagsBits } from "discord.js";
import type { ChatPlace } from "../../src/contracts/index.ts";

type Asking = Pick<BaseInteraction, "memberPermissions" | "member" | "guild">;

export function canManage(i: Asking, role: string | undefined): boolean {
  if (!role) return i.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false;
  const roles = i.member?.roles;
  const ids: string[] = Array.isArray(roles) ? roles : [...(roles?.cache.keys() ?? [])];
  const wanted = role.toLowerCase();
  return ids.some(
    (id) => id === role || i.guild?.roles.cache.get(id)?.name.toLowerCase() === wanted,
  );
}

/**
 * Where an interaction happened. A thread's interaction carries the thread's `parent_id`
 * (discord.js: `channel.parentId`); a channel it did not describe is asked for once.
 */
export async function placeOf(i: BaseInteraction): Promise<ChatPlace> {
  const id = i.channelId ?? undefined;
  if (!i.inGuild()) return { direct: true, channel: id };
  const channel = i.channel ?? (id ? await i.client.channels.fetch(id).catch(() => null) : null);
  if (channel?.isThread()) return { channel: channel.parentId ?? undefined };
  return { channel: id };
}
