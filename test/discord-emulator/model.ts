/** Snowflakes, permission bits and the JSON shapes the emulator serves. */
import { randomBytes } from 'node:crypto';

export const DISCORD_EPOCH = 1420070400000n;
let increment = 0n;

/** A valid Discord snowflake for the given time (worker 1, process 0, rolling increment). */
export function snowflake(at: number = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(at) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString();
}

export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

export function interactionToken(): string {
  return `aW50ZXJhY3Rpb246${randomBytes(48).toString('base64url')}`;
}

export function sessionId(): string {
  return randomBytes(16).toString('hex');
}

/** Permission bits (subset; values per the Discord docs). */
export const Perm = {
  CreateInstantInvite: 1n << 0n,
  KickMembers: 1n << 1n,
  BanMembers: 1n << 2n,
  Administrator: 1n << 3n,
  ManageChannels: 1n << 4n,
  ManageGuild: 1n << 5n,
  AddReactions: 1n << 6n,
  ViewAuditLog: 1n << 7n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  ManageMessages: 1n << 13n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  MentionEveryone: 1n << 17n,
  UseExternalEmojis: 1n << 18n,
  Connect: 1n << 20n,
  Speak: 1n << 21n,
  ChangeNickname: 1n << 26n,
  ManageRoles: 1n << 28n,
  UseApplicationCommands: 1n << 31n,
  CreatePublicThreads: 1n << 35n,
  SendMessagesInThreads: 1n << 38n,
} as const;

/** Every permission bit Discord currently defines (up to bit 50), as granted to owners/administrators. */
export const ALL_PERMISSIONS = (1n << 51n) - 1n;

export const DEFAULT_EVERYONE_PERMISSIONS =
  Perm.CreateInstantInvite |
  Perm.AddReactions |
  Perm.ViewChannel |
  Perm.SendMessages |
  Perm.EmbedLinks |
  Perm.AttachFiles |
  Perm.ReadMessageHistory |
  Perm.UseExternalEmojis |
  Perm.Connect |
  Perm.Speak |
  Perm.ChangeNickname |
  Perm.UseApplicationCommands |
  Perm.CreatePublicThreads |
  Perm.SendMessagesInThreads;

export const DEFAULT_BOT_PERMISSIONS =
  Perm.ViewChannel | Perm.SendMessages | Perm.EmbedLinks | Perm.AttachFiles | Perm.ReadMessageHistory | Perm.AddReactions | Perm.UseApplicationCommands;

/** Gateway intent bits used by the emulator. */
export const Intent = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildMessages: 1 << 9,
  DirectMessages: 1 << 12,
} as const;

export const MessageFlag = {
  SuppressEmbeds: 1 << 2,
  Ephemeral: 1 << 6,
  Loading: 1 << 7,
  SuppressNotifications: 1 << 12,
  IsComponentsV2: 1 << 15,
} as const;

export interface EmuUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
  system?: boolean;
  public_flags: number;
}

export interface EmuRole {
  id: string;
  name: string;
  /** permission bitfield as a decimal string */
  permissions: string;
  color: number;
  position: number;
  hoist: boolean;
  managed: boolean;
  mentionable: boolean;
  tags?: Record<string, unknown>;
}

export interface EmuMember {
  /** same as user.id, for convenience */
  id: string;
  user: EmuUser;
  nick: string | null;
  roles: string[];
  joined_at: string;
  /** when set, interactions report exactly this bitfield instead of the role-computed one */
  permissionsOverride?: string;
}

export interface EmuChannel {
  id: string;
  type: number;
  name: string;
  guild_id?: string;
  position: number;
  parent_id: string | null;
  topic: string | null;
  nsfw: boolean;
  /** DM channels only */
  recipients?: EmuUser[];
  last_message_id: string | null;
}

export function roleJson(r: EmuRole): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    color: r.color,
    colors: { primary_color: r.color, secondary_color: null, tertiary_color: null },
    hoist: r.hoist,
    icon: null,
    unicode_emoji: null,
    position: r.position,
    permissions: r.permissions,
    managed: r.managed,
    mentionable: r.mentionable,
    flags: 0,
    ...(r.tags ? { tags: r.tags } : {}),
  };
}

export function memberJson(m: EmuMember, extra: Record<string, unknown> = {}, withUser = true): Record<string, unknown> {
  return {
    ...(withUser ? { user: { ...m.user } } : {}),
    nick: m.nick,
    avatar: null,
    banner: null,
    roles: [...m.roles],
    joined_at: m.joined_at,
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
    ...extra,
  };
}

export function channelJson(c: EmuChannel): Record<string, unknown> {
  if (c.type === 1) {
    return { id: c.id, type: 1, last_message_id: c.last_message_id, flags: 0, recipients: (c.recipients ?? []).map((u) => ({ ...u })) };
  }
  return {
    id: c.id,
    type: c.type,
    guild_id: c.guild_id,
    name: c.name,
    position: c.position,
    permission_overwrites: [],
    parent_id: c.parent_id,
    nsfw: c.nsfw,
    flags: 0,
    ...(c.type === 4 ? {} : { topic: c.topic, last_message_id: c.last_message_id, rate_limit_per_user: 0 }),
  };
}
