/**
 * Who may run what, decided on the bot's side for every interaction (Discord's
 * default_member_permissions only hides commands; it is not a security boundary).
 *
 *  - Everything: only in the configured server, and only in ALLOWED_CHANNEL_IDS when that is set.
 *  - Read-only invocations: any member there.
 *  - Invocations that change something: a member with one of OPERATOR_ROLE_IDS, or Administrator.
 */
import type { Config } from '../config';

export interface Caller {
  userId: string;
  guildId: string | null;
  channelId: string | null;
  roleIds: readonly string[];
  /** Holds Administrator in this server (the interaction's member.permissions). */
  isAdmin: boolean;
}

export type Decision = { allowed: true } | { allowed: false; reason: string; hint?: string };

export function isOperator(cfg: Config['discord'], caller: Caller): boolean {
  return caller.isAdmin || caller.roleIds.some((r) => cfg.operatorRoleIds.includes(r));
}

export function authorize(cfg: Config['discord'], caller: Caller, mutates: boolean, command: string): Decision {
  if (!caller.guildId) {
    return { allowed: false, reason: 'picluster only takes commands inside its Discord server, not in direct messages.' };
  }
  if (cfg.guildId && caller.guildId !== cfg.guildId) {
    return { allowed: false, reason: 'This server is not the one picluster is configured for (GUILD_ID).' };
  }
  if (cfg.allowedChannelIds.length && !(caller.channelId && cfg.allowedChannelIds.includes(caller.channelId))) {
    const where = cfg.allowedChannelIds.map((c) => `<#${c}>`).join(', ');
    return { allowed: false, reason: `picluster answers in ${where} only.`, hint: `Run /${command} there.` };
  }
  if (mutates && !isOperator(cfg, caller)) {
    const roles = cfg.operatorRoleIds.map((r) => `<@&${r}>`).join(' or ');
    return {
      allowed: false,
      reason: `/${command} changes the cluster, so it needs ${roles ? `the ${roles} role` : 'an operator role'} or Administrator. Nothing was changed.`,
      hint: roles ? `Ask a server admin to give you ${roles}, or ask an operator to run it.` : 'Ask a server admin to set OPERATOR_ROLE_IDS, or ask an admin to run it.',
    };
  }
  return { allowed: true };
}
