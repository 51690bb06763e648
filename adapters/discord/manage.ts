// Who may manage the bridge (routes…) on Discord: members with the role named in
// DISCORD_MANAGER_ROLE (its name or id, from the interaction's member.roles), else members with
// the Administrator or Manage Server permission (member.permissions; Administrator implies all).
// https://discord.com/developers/docs/topics/permissions
import { type ChatInputCommandInteraction, PermissionFlagsBits } from "discord.js";

export function canManage(i: ChatInputCommandInteraction, role: string | undefined): boolean {
  if (!role) return i.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false;
  const roles = i.member?.roles;
  const ids: string[] = Array.isArray(roles) ? roles : [...(roles?.cache.keys() ?? [])];
  const wanted = role.toLowerCase();
  return ids.some(
    (id) => id === role || i.guild?.roles.cache.get(id)?.name.toLowerCase() === wanted,
  );
}
