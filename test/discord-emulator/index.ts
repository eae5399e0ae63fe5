/**
 * Loopback Discord emulator: a small HTTP + WebSocket server speaking enough of the Discord API v10
 * REST surface and the JSON gateway for the real discord.js 14 client.
 *
 * Clocks: `RecordedRequest.at` and `InteractionRecord.sentAtEpoch` are `Date.now()`; every
 * latency-relevant timestamp (`DispatchResult.sentAt`, `CallbackRecord.at`, `RecordedRequest.perfAt`,
 * `MessageSnapshot.at`) is `performance.now()` so `callback.at - sentAt` is a latency in ms.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { multipartBoundary, parseMultipart } from './multipart';
import {
  ALL_PERMISSIONS,
  DEFAULT_BOT_PERMISSIONS,
  DEFAULT_EVERYONE_PERMISSIONS,
  Intent,
  MessageFlag,
  Perm,
  channelJson,
  interactionToken,
  memberJson,
  roleJson,
  sessionId,
  snowflake,
  type EmuChannel,
  type EmuMember,
  type EmuRole,
  type EmuUser,
} from './model';
import { invalidFormBody, validateAutocompleteChoices, validateCommand, validateMessage, walkComponents } from './validate';

export { Perm, ALL_PERMISSIONS, MessageFlag, Intent, snowflake } from './model';
export type { EmuChannel, EmuMember, EmuRole, EmuUser } from './model';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export interface EmulatorOptions {
  /** When set, REST `Authorization: Bot <token>` and gateway IDENTIFY/RESUME tokens must match. */
  token?: string;
  applicationId?: string;
  /** Defaults to applicationId (as for every bot created since 2019). */
  botUserId?: string;
  botUsername?: string;
  guildId?: string;
  guildName?: string;
  /** Owner member (all permissions). */
  ownerId?: string;
  /** Id of the default text channel "general". */
  defaultChannelId?: string;
  /** Gateway HELLO heartbeat_interval, default 41250. */
  heartbeatIntervalMs?: number;
  /** Guild-level permissions of the bot's managed role (decimal bitfield string). */
  botPermissions?: string;
  /**
   * Which members GUILD_CREATE carries. 'intent' (default, like Discord): every member only when the
   * GUILD_MEMBERS intent was identified with, otherwise just the bot's own member. 'all': always all.
   */
  memberList?: 'intent' | 'all';
  /** If set, callbacks arriving later than this after INTERACTION_CREATE get 404 Unknown interaction (Discord: 3000). */
  ackDeadlineMs?: number;
  /** Apply Discord's payload limits (content/embeds/components/choices/commands). Default true. */
  validate?: boolean;
  /** Host[:port] used in URLs handed out (gateway url, resume url, attachment urls) instead of the request's Host header. */
  publicHost?: string;
}

export interface RecordedFile {
  /** multipart field name, e.g. "files[0]" */
  name: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface RecordedRequest {
  method: string;
  /** path without the /api/v10 prefix, e.g. "/channels/123/messages" */
  path: string;
  /** matched route pattern, e.g. "/channels/:channelId/messages", or null for unknown routes */
  route: string | null;
  query: Record<string, string>;
  /** parsed JSON body, or the parsed payload_json of a multipart body */
  body: Json;
  files: RecordedFile[];
  /** Date.now() when the request arrived */
  at: number;
  /** performance.now() when the request arrived */
  perfAt: number;
  hasAuthorization: boolean;
  /** null if the emulator has no configured token, else whether the header matched it */
  authorized: boolean | null;
  via: 'tcp' | 'unix';
  /** response status, set once the response was sent */
  status?: number;
  response?: Json;
}

export interface AttachmentSnapshot {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  description?: string;
  data: Buffer;
}

export interface MessageSnapshot {
  id: string;
  channelId: string;
  content: string;
  embeds: Json[];
  components: Json[];
  attachments: AttachmentSnapshot[];
  flags: number;
  /** performance.now() when this state was produced */
  at: number;
  deleted: boolean;
}

export interface CallbackRecord {
  type: number;
  data: Json;
  files: RecordedFile[];
  /** performance.now() when the callback request arrived (same clock as DispatchResult.sentAt) */
  at: number;
  atEpoch: number;
  status: number;
  error?: Json;
  withResponse: boolean;
}

export interface InteractionRecord {
  id: string;
  token: string;
  /** 2 command, 3 component, 4 autocomplete, 5 modal submit */
  type: number;
  name?: string;
  customId?: string;
  userId: string;
  channelId: string;
  /** performance.now() just before INTERACTION_CREATE was written to the socket */
  sentAt: number;
  sentAtEpoch: number;
  payload: Json;
  /** every POST .../callback for this interaction, in arrival order (including rejected ones) */
  callbacks: CallbackRecord[];
  /** callbacks[0].at - sentAt of the first accepted callback */
  ackLatencyMs: number | null;
  originalMessageId: string | null;
  /** every state of the original response message, in order (creation, updates, edits, deletion) */
  originalHistory: MessageSnapshot[];
  /** states after each PATCH .../messages/@original, in order */
  edits: MessageSnapshot[];
  /** current original response message, null if none/deleted */
  original: MessageSnapshot | null;
  /** follow-up messages, current state, in creation order */
  followUps: MessageSnapshot[];
  autocompleteChoices?: Json[];
  modal?: Json;
}

export interface DispatchResult {
  id: string;
  token: string;
  /** performance.now() just before the payload was written (or buffered for resume) */
  sentAt: number;
  /** gateway sequence number of the INTERACTION_CREATE dispatch */
  seq: number;
}

export type OptionScalar = string | number | boolean;
export interface AttachmentOptionInput {
  filename: string;
  contentType?: string;
  data: Buffer;
}
export type OptionInputValue = OptionScalar | { type: number; value: OptionScalar | AttachmentOptionInput };
/** Either name → value (types come from the registered command, else inferred), or raw Discord option objects. */
export type OptionsInput = Record<string, OptionInputValue> | Json[];

export interface SlashCommandInput {
  /** member id */
  user: string;
  channelId?: string;
  name: string;
  options?: OptionsInput;
  subcommand?: string;
  subcommandGroup?: string;
  locale?: string;
}

export interface AutocompleteInput extends SlashCommandInput {
  /** name of the focused option; its value is sent as the string typed so far */
  focused: string;
}

export interface ButtonInput {
  user: string;
  messageId: string;
  customId: string;
  channelId?: string;
  locale?: string;
  /**
   * The user clicks a button their client still shows although the bot has since removed or
   * disabled it (the edit had not reached them yet): dispatched even if the message no longer has it.
   */
  stale?: boolean;
}

export interface SelectInput extends ButtonInput {
  values: string[];
}

export interface ModalSubmitInput {
  user: string;
  /** interaction whose type-9 callback showed the modal; custom_id and layout are taken from it */
  fromInteraction?: string;
  customId?: string;
  channelId?: string;
  /** text input custom_id → value */
  fields: Record<string, string>;
  locale?: string;
}

export interface FaultSpec {
  match: (req: RecordedRequest) => boolean;
  status: number;
  body?: Json;
  headers?: Record<string, string>;
  /** how many matching requests to fail (default 1) */
  times?: number;
}

export interface IdentifyRecord {
  properties: Json;
  intents: number;
  shard?: [number, number];
  compress?: boolean;
  large_threshold?: number;
  presence?: Json;
  at: number;
}

export interface GatewayConnectRecord {
  path: string;
  query: Record<string, string>;
  at: number;
  via: 'tcp' | 'unix';
}

// ---------------------------------------------------------------------------------------------
// Internal types
// ---------------------------------------------------------------------------------------------

interface StoredAttachment extends AttachmentSnapshot {}

interface StoredMessage {
  id: string;
  channelId: string;
  guildId?: string;
  author: EmuUser;
  content: string;
  embeds: Json[];
  components: Json[];
  attachments: StoredAttachment[];
  flags: number;
  type: number;
  timestamp: string;
  editedTimestamp: string | null;
  tts: boolean;
  nonce?: string | number;
  webhookId?: string;
  applicationId?: string;
  interactionMetadata?: Json;
  messageReference?: Json;
  deleted: boolean;
  reactions: Map<string, Set<string>>;
}

interface InteractionState {
  id: string;
  token: string;
  type: number;
  name?: string;
  customId?: string;
  userId: string;
  channelId: string;
  sentAt: number;
  sentAtEpoch: number;
  payload: Json;
  sourceMessageId?: string;
  acked: boolean;
  callbacks: CallbackRecord[];
  originalMessageId: string | null;
  originalHistory: MessageSnapshot[];
  edits: MessageSnapshot[];
  followUpIds: string[];
  autocompleteChoices?: Json[];
  modal?: Json;
}

interface GatewayPayload {
  op: number;
  d: Json;
  s: number | null;
  t: string | null;
}

interface Session {
  id: string;
  seq: number;
  history: GatewayPayload[];
  conn: GatewayConn | null;
  intents: number;
  valid: boolean;
  /** bumped on IDENTIFY/RESUME; the valid session with the highest value receives dispatches */
  activatedAt: number;
}

interface GatewayConn {
  ws: WebSocket;
  socket: net.Socket;
  host: string;
  session: Session | null;
  alive: boolean;
  ready: boolean;
  serverClosed: boolean;
}

interface Reply {
  status: number;
  body?: Json;
  headers?: Record<string, string>;
}

interface Ctx {
  req: http.IncomingMessage;
  rec: RecordedRequest;
  params: Record<string, string>;
  body: Json;
  files: RecordedFile[];
  host: string;
}

interface Route {
  method: string;
  pattern: string;
  re: RegExp;
  keys: string[];
  auth: boolean;
  handler: (ctx: Ctx) => Reply | Promise<Reply>;
}

interface Waiter {
  check: () => boolean;
  timer: NodeJS.Timeout;
  reject: (e: Error) => void;
}

const API_PREFIX = '/api/v10';
const HISTORY_LIMIT = 2000;
const MAX_BODY = 30 * 1024 * 1024;

const err = (status: number, code: number, message: string): Reply => ({ status, body: { message, code } });
const unknown = {
  channel: () => err(404, 10003, 'Unknown Channel'),
  guild: () => err(404, 10004, 'Unknown Guild'),
  member: () => err(404, 10007, 'Unknown Member'),
  message: () => err(404, 10008, 'Unknown Message'),
  role: () => err(404, 10011, 'Unknown Role'),
  user: () => err(404, 10013, 'Unknown User'),
  webhook: () => err(404, 10015, 'Unknown Webhook'),
  command: () => err(404, 10063, 'Unknown application command'),
  interaction: () => err(404, 10062, 'Unknown interaction'),
};

function cloneJson<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

const MIME_BY_EXT: Record<string, string> = {
  txt: 'text/plain; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  yaml: 'application/yaml; charset=utf-8',
  yml: 'application/yaml; charset=utf-8',
  html: 'text/html; charset=utf-8',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
};

/** Discord derives content_type when the upload did not carry a specific one (it falls back to the extension). */
function attachmentContentType(filename: string, sent: string): string {
  if (sent && sent !== 'application/octet-stream') return sent;
  const ext = /\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase();
  return (ext && MIME_BY_EXT[ext]) || sent || 'application/octet-stream';
}

function isoNow(): string {
  return new Date().toISOString();
}

// ---------------------------------------------------------------------------------------------
// The emulator
// ---------------------------------------------------------------------------------------------

export class DiscordEmulator {
  readonly token: string | undefined;
  readonly applicationId: string;
  readonly botUserId: string;
  readonly guildId: string;
  readonly ownerId: string;
  readonly defaultChannelId: string;
  /** the @everyone role id (== guild id, as on Discord) */
  readonly everyoneRoleId: string;
  readonly botRoleId: string;
  heartbeatIntervalMs: number;
  /** see EmulatorOptions.ackDeadlineMs; may be changed at run time */
  ackDeadlineMs: number | undefined;

  /** every REST request, in arrival order */
  readonly requests: RecordedRequest[] = [];
  /** every IDENTIFY (token omitted) */
  readonly identifies: IdentifyRecord[] = [];
  /** every gateway WebSocket connection (path + query string the client used) */
  readonly gatewayConnects: GatewayConnectRecord[] = [];
  /** every op 3 presence update */
  readonly presenceUpdates: Json[] = [];
  identifyCount = 0;
  resumeCount = 0;
  /** op 9 sent because a RESUME could not be honoured, or via invalidateSession() */
  invalidSessionCount = 0;
  heartbeatCount = 0;
  /** TCP/Unix connections refused or black-holed while setRefuseConnections(true) was on */
  refusedConnections = 0;

  private readonly opts: Required<Pick<EmulatorOptions, 'memberList' | 'validate'>> & EmulatorOptions;
  private readonly users = new Map<string, EmuUser>();
  private readonly roles = new Map<string, EmuRole>();
  private readonly members = new Map<string, EmuMember>();
  private readonly channels = new Map<string, EmuChannel>();
  private readonly messages = new Map<string, StoredMessage>();
  private readonly commandStore = new Map<string, Json[]>();
  private readonly interactions = new Map<string, InteractionState>();
  private readonly interactionsByToken = new Map<string, InteractionState>();
  private readonly dmChannelsByUser = new Map<string, string>();
  private readonly guildName: string;
  private readonly guildJoinedAt = isoNow();

  private readonly sessions = new Map<string, Session>();
  private activations = 0;
  private readonly conns = new Set<GatewayConn>();

  private readonly routes: Route[] = [];
  private readonly faults: Array<FaultSpec & { remaining: number }> = [];
  private readonly waiters = new Set<Waiter>();

  private servers: http.Server[] = [];
  private unixPaths: string[] = [];
  private wss: WebSocketServer | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly hanging = new Set<net.Socket>();
  private refuseMode: 'off' | 'reset' | 'hang' = 'off';
  private port = 0;
  private stopped = false;

  constructor(opts: EmulatorOptions = {}) {
    this.opts = { memberList: 'intent', validate: true, ...opts };
    this.token = opts.token;
    this.applicationId = opts.applicationId ?? '1300000000000000001';
    this.botUserId = opts.botUserId ?? this.applicationId;
    this.guildId = opts.guildId ?? '1300000000000000100';
    this.ownerId = opts.ownerId ?? '1300000000000000200';
    this.defaultChannelId = opts.defaultChannelId ?? '1300000000000000300';
    this.everyoneRoleId = this.guildId;
    this.botRoleId = '1300000000000000101';
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 41250;
    this.ackDeadlineMs = opts.ackDeadlineMs;
    this.guildName = opts.guildName ?? 'picluster-emulated';

    this.roles.set(this.everyoneRoleId, {
      id: this.everyoneRoleId,
      name: '@everyone',
      permissions: DEFAULT_EVERYONE_PERMISSIONS.toString(),
      color: 0,
      position: 0,
      hoist: false,
      managed: false,
      mentionable: false,
    });
    const botName = opts.botUsername ?? 'picluster-bot';
    this.roles.set(this.botRoleId, {
      id: this.botRoleId,
      name: botName,
      permissions: opts.botPermissions ?? DEFAULT_BOT_PERMISSIONS.toString(),
      color: 0,
      position: 1,
      hoist: false,
      managed: true,
      mentionable: false,
      tags: { bot_id: this.botUserId },
    });
    this.addMember({ id: this.botUserId, username: botName, bot: true, roles: [this.botRoleId] });
    this.addMember({ id: this.ownerId, username: 'owner' });
    this.addChannel({ id: this.defaultChannelId, name: 'general' });
    this.registerRoutes();
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle
  // -------------------------------------------------------------------------------------------

  /** Listens on 127.0.0.1:port (0 = random). `api` is what discord.js wants as `rest.api`. */
  async start(port = 0): Promise<{ port: number; api: string }> {
    const server = this.createServer('tcp');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as net.AddressInfo).port;
    return { port: this.port, api: this.api };
  }

  /** Additionally serves the same HTTP + gateway app on a Unix socket path (stale socket files are replaced). */
  async listenUnix(path: string): Promise<void> {
    try {
      if (fs.statSync(path).isSocket()) fs.unlinkSync(path);
    } catch {
      /* does not exist */
    }
    const server = this.createServer('unix');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.unixPaths.push(path);
  }

  /** Closes listeners, gateway connections, sockets and pending waits. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of this.waiters) {
      clearInterval(w.timer);
      w.reject(new Error('DiscordEmulator stopped'));
    }
    this.waiters.clear();
    for (const conn of this.conns) {
      conn.alive = false;
      conn.ws.terminate();
    }
    this.conns.clear();
    this.wss?.close();
    for (const s of [...this.sockets, ...this.hanging]) s.destroy();
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.closeAllConnections();
            s.close(() => resolve());
          }),
      ),
    );
    for (const p of this.unixPaths) {
      try {
        fs.unlinkSync(p);
      } catch {
        /* already gone */
      }
    }
  }

  /** `http://127.0.0.1:PORT/api` (discord.js appends /v10). */
  get api(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  private createServer(via: 'tcp' | 'unix'): http.Server {
    this.wss ??= new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
    const server = http.createServer((req, res) => {
      void this.onHttpRequest(req, res, via);
    });
    server.keepAliveTimeout = 5000;
    server.on('connection', (socket: net.Socket) => {
      if (this.refuseMode === 'reset') {
        this.refusedConnections++;
        this.killSocket(socket);
        return;
      }
      if (this.refuseMode === 'hang') {
        this.refusedConnections++;
        this.hanging.add(socket);
        socket.on('close', () => this.hanging.delete(socket));
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => this.onUpgrade(req, socket, head, via));
    server.on('clientError', (_e, socket) => socket.destroy());
    this.servers.push(server);
    return server;
  }

  private killSocket(socket: net.Socket): void {
    try {
      socket.resetAndDestroy();
    } catch {
      socket.destroy();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Fault injection / connectivity
  // -------------------------------------------------------------------------------------------

  /**
   * While on, every existing HTTP/gateway socket is destroyed and new connections are reset
   * (mode 'reset': the client sees ECONNRESET) or accepted and never answered (mode 'hang').
   * Turning it off accepts connections again (and drops black-holed ones).
   */
  setRefuseConnections(on: boolean, mode: 'reset' | 'hang' = 'reset'): void {
    this.refuseMode = on ? mode : 'off';
    if (on) {
      for (const conn of this.conns) this.detachConn(conn, true);
      for (const s of this.sockets) this.killSocket(s);
    } else {
      for (const s of this.hanging) s.destroy();
    }
  }

  /** Fails the next `times` (default 1) REST requests matching `match` with the given status/body. */
  injectFault(spec: FaultSpec): void {
    this.faults.push({ ...spec, remaining: spec.times ?? 1 });
  }

  // -------------------------------------------------------------------------------------------
  // Guild model
  // -------------------------------------------------------------------------------------------

  addRole(r: { id?: string; name: string; permissions?: string; color?: number; hoist?: boolean; mentionable?: boolean }): EmuRole {
    const role: EmuRole = {
      id: r.id ?? snowflake(),
      name: r.name,
      permissions: r.permissions ?? '0',
      color: r.color ?? 0,
      position: this.roles.size,
      hoist: r.hoist ?? false,
      managed: false,
      mentionable: r.mentionable ?? false,
    };
    this.roles.set(role.id, role);
    this.dispatchIf(Intent.Guilds, 'GUILD_ROLE_CREATE', { guild_id: this.guildId, role: roleJson(role) });
    return role;
  }

  updateRole(id: string, patch: Partial<Pick<EmuRole, 'name' | 'permissions' | 'color' | 'hoist' | 'mentionable' | 'position'>>): EmuRole {
    const role = this.roles.get(id);
    if (!role) throw new Error(`DiscordEmulator: unknown role ${id}`);
    Object.assign(role, patch);
    this.dispatchIf(Intent.Guilds, 'GUILD_ROLE_UPDATE', { guild_id: this.guildId, role: roleJson(role) });
    return role;
  }

  addMember(m: { id?: string; username: string; globalName?: string; nick?: string; roles?: string[]; permissions?: string; bot?: boolean }): EmuMember {
    const id = m.id ?? snowflake();
    for (const r of m.roles ?? []) if (!this.roles.has(r)) throw new Error(`DiscordEmulator: unknown role ${r} for member ${m.username}`);
    const user: EmuUser = {
      id,
      username: m.username,
      discriminator: '0',
      global_name: m.globalName ?? (m.bot ? null : m.username),
      avatar: null,
      public_flags: 0,
      ...(m.bot ? { bot: true } : {}),
    };
    this.users.set(id, user);
    const member: EmuMember = {
      id,
      user,
      nick: m.nick ?? null,
      roles: [...(m.roles ?? [])],
      joined_at: isoNow(),
      ...(m.permissions !== undefined ? { permissionsOverride: m.permissions } : {}),
    };
    this.members.set(id, member);
    this.dispatchIf(Intent.GuildMembers, 'GUILD_MEMBER_ADD', { ...memberJson(member), guild_id: this.guildId });
    return member;
  }

  /** A member holding an "Admin" role with the Administrator permission (role created on first use). */
  addAdmin(m: { id?: string; username: string }): EmuMember {
    let admin = [...this.roles.values()].find((r) => r.name === 'Admin' && !r.managed);
    admin ??= this.addRole({ name: 'Admin', permissions: Perm.Administrator.toString() });
    return this.addMember({ ...m, roles: [admin.id] });
  }

  updateMember(id: string, patch: { roles?: string[]; nick?: string | null; permissions?: string | null }): EmuMember {
    const member = this.requireMember(id);
    if (patch.roles) {
      for (const r of patch.roles) if (!this.roles.has(r)) throw new Error(`DiscordEmulator: unknown role ${r}`);
      member.roles = [...patch.roles];
    }
    if (patch.nick !== undefined) member.nick = patch.nick;
    if (patch.permissions !== undefined) {
      if (patch.permissions === null) delete member.permissionsOverride;
      else member.permissionsOverride = patch.permissions;
    }
    this.dispatchIf(Intent.GuildMembers, 'GUILD_MEMBER_UPDATE', { ...memberJson(member), guild_id: this.guildId });
    return member;
  }

  removeMember(id: string): void {
    const member = this.requireMember(id);
    this.members.delete(id);
    this.dispatchIf(Intent.GuildMembers, 'GUILD_MEMBER_REMOVE', { guild_id: this.guildId, user: { ...member.user } });
  }

  addChannel(c: { id?: string; name: string; type?: number; parentId?: string; topic?: string }): EmuChannel {
    const channel: EmuChannel = {
      id: c.id ?? snowflake(),
      type: c.type ?? 0,
      name: c.name,
      guild_id: this.guildId,
      position: [...this.channels.values()].filter((x) => x.guild_id).length,
      parent_id: c.parentId ?? null,
      topic: c.topic ?? null,
      nsfw: false,
      last_message_id: null,
    };
    this.channels.set(channel.id, channel);
    this.dispatchIf(Intent.Guilds, 'CHANNEL_CREATE', channelJson(channel));
    return channel;
  }

  member(id: string): EmuMember | undefined {
    return this.members.get(id);
  }
  role(id: string): EmuRole | undefined {
    return this.roles.get(id);
  }
  channel(id: string): EmuChannel | undefined {
    return this.channels.get(id);
  }
  listMembers(): EmuMember[] {
    return [...this.members.values()];
  }
  listRoles(): EmuRole[] {
    return [...this.roles.values()];
  }
  listChannels(): EmuChannel[] {
    return [...this.channels.values()];
  }

  /** Guild-level permissions of a member (owner and Administrator → all; no channel overwrites). */
  computePermissions(memberId: string): bigint {
    const member = this.requireMember(memberId);
    if (member.permissionsOverride !== undefined) return BigInt(member.permissionsOverride);
    if (memberId === this.ownerId) return ALL_PERMISSIONS;
    let perms = BigInt(this.roles.get(this.everyoneRoleId)!.permissions);
    for (const r of member.roles) perms |= BigInt(this.roles.get(r)?.permissions ?? '0');
    return perms & Perm.Administrator ? ALL_PERMISSIONS : perms;
  }

  private requireMember(id: string): EmuMember {
    const m = this.members.get(id);
    if (!m) throw new Error(`DiscordEmulator: ${id} is not a member of the guild`);
    return m;
  }

  private requireChannel(id: string): EmuChannel {
    const c = this.channels.get(id);
    if (!c) throw new Error(`DiscordEmulator: unknown channel ${id}`);
    return c;
  }

  private guildJson(members: EmuMember[] | null): Json {
    const base: Json = {
      id: this.guildId,
      name: this.guildName,
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: this.ownerId,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [...this.roles.values()].map(roleJson),
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: this.defaultChannelId,
      system_channel_flags: 0,
      rules_channel_id: null,
      max_members: 500000,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
    };
    if (members) {
      Object.assign(base, {
        joined_at: this.members.get(this.botUserId)?.joined_at ?? this.guildJoinedAt,
        large: false,
        unavailable: false,
        member_count: this.members.size,
        voice_states: [],
        members: members.map((m) => memberJson(m)),
        channels: [...this.channels.values()].filter((c) => c.guild_id).map(channelJson),
        threads: [],
        presences: [],
        stage_instances: [],
        guild_scheduled_events: [],
        soundboard_sounds: [],
      });
    }
    return base;
  }

  // -------------------------------------------------------------------------------------------
  // Waiting
  // -------------------------------------------------------------------------------------------

  /**
   * Resolves with the first truthy value of `check()`, re-evaluated after every request and gateway
   * event and every 10 ms (so conditions on client-side state work too).
   */
  waitFor<T>(check: () => T | undefined | null | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let first: T | undefined | null | false;
      try {
        first = check();
      } catch (e) {
        reject(e as Error);
        return;
      }
      if (first) {
        resolve(first);
        return;
      }
      const deadline = Date.now() + timeoutMs;
      const waiter: Waiter = {
        check: () => {
          let v: T | undefined | null | false;
          try {
            v = check();
          } catch (e) {
            finish();
            reject(e as Error);
            return true;
          }
          if (v) {
            finish();
            resolve(v);
            return true;
          }
          if (Date.now() >= deadline) {
            finish();
            reject(new Error(`DiscordEmulator: timed out after ${timeoutMs} ms waiting for ${what}`));
            return true;
          }
          return false;
        },
        timer: setInterval(() => waiter.check(), 10),
        reject,
      };
      const finish = () => {
        clearInterval(waiter.timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w.check();
  }

  /** First completed request (already recorded or future) matching `pred`. */
  waitForRequest(pred: (r: RecordedRequest) => boolean, timeoutMs = 5000): Promise<RecordedRequest> {
    return this.waitFor(() => this.requests.find((r) => r.status !== undefined && pred(r)), timeoutMs, 'request');
  }

  /** Resolves when a bot session is identified (or resumed) and its gateway socket is live. */
  waitForReady(timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => (this.isConnected() ? true : undefined), timeoutMs, 'gateway ready').then(() => undefined);
  }

  /** Resolves when `resumeCount` exceeds `after` (default: the current count) and the socket is live. */
  waitForResume(timeoutMs = 5000, after = this.resumeCount): Promise<void> {
    return this.waitFor(() => (this.resumeCount > after && this.isConnected() ? true : undefined), timeoutMs, 'gateway resume').then(
      () => undefined,
    );
  }

  /** Resolves when the first accepted callback of the interaction has been received. */
  waitForCallback(interactionId: string, timeoutMs = 5000): Promise<CallbackRecord> {
    return this.waitFor(() => this.interactions.get(interactionId)?.callbacks.find((c) => c.status < 300), timeoutMs, `callback of ${interactionId}`);
  }

  isConnected(): boolean {
    return Boolean(this.session?.valid && this.session.conn?.alive && this.session.conn.ready);
  }

  // -------------------------------------------------------------------------------------------
  // Gateway control
  // -------------------------------------------------------------------------------------------

  /** Closes the current gateway socket (code 4000 by default, or a raw TCP destroy) so the client must resume. */
  dropGateway(opts: { code?: number; terminate?: boolean } = {}): boolean {
    const conn = this.session?.conn;
    if (!conn) return false;
    this.detachConn(conn, false);
    if (opts.terminate) conn.ws.terminate();
    else conn.ws.close(opts.code ?? 4000, 'emulator: dropped');
    return true;
  }

  /** Sends op 7 RECONNECT; discord.js closes and resumes. */
  requestReconnect(): boolean {
    const conn = this.session?.conn;
    if (!conn?.alive) return false;
    this.sendRaw(conn, { op: 7, d: null, s: null, t: null });
    return true;
  }

  /** Sends op 9 INVALID_SESSION; with resumable=false the session is forgotten and the client must re-identify. */
  invalidateSession(resumable = false): boolean {
    const s = this.session;
    const conn = s?.conn;
    if (!s || !conn?.alive) return false;
    if (!resumable) s.valid = false;
    this.invalidSessionCount++;
    this.sendRaw(conn, { op: 9, d: resumable, s: null, t: null });
    return true;
  }

  /** Sends an arbitrary dispatch to the bot session (buffered for resume if the socket is down). */
  dispatchEvent(t: string, d: Json): number {
    const s = this.dispatch(t, d);
    if (s === null) throw new Error('DiscordEmulator: no bot session (has the client identified?)');
    return s;
  }

  /** The bot session that receives dispatches: the most recently identified/resumed valid one. */
  private get session(): Session | null {
    let best: Session | null = null;
    for (const s of this.sessions.values()) if (s.valid && (!best || s.activatedAt > best.activatedAt)) best = s;
    return best;
  }

  private detachConn(conn: GatewayConn, kill: boolean): void {
    conn.alive = false;
    conn.ready = false;
    conn.serverClosed = true;
    if (conn.session && conn.session.conn === conn) conn.session.conn = null;
    if (kill) conn.ws.terminate();
  }

  private onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer, via: 'tcp' | 'unix'): void {
    if (this.refuseMode !== 'off' || this.stopped) {
      if (this.refuseMode !== 'hang') socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (!url.pathname.startsWith('/gateway')) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.gatewayConnects.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), at: Date.now(), via });
    this.wss!.handleUpgrade(req, socket, head, (ws) => {
      const conn: GatewayConn = {
        ws,
        socket,
        host: this.hostOf(req),
        session: null,
        alive: true,
        ready: false,
        serverClosed: false,
      };
      this.conns.add(conn);
      ws.on('message', (data: RawData, isBinary: boolean) => this.onGatewayMessage(conn, data, isBinary));
      ws.on('close', (code: number) => this.onGatewayClose(conn, code));
      ws.on('error', () => undefined);
      if (url.searchParams.get('encoding') && url.searchParams.get('encoding') !== 'json') {
        ws.close(4002, 'emulator: only encoding=json is supported');
        return;
      }
      // Frames are always plain JSON text; @discordjs/ws parses text frames even when it asked for
      // compress=zlib-stream (only requested when zlib-sync is installed).
      this.sendRaw(conn, { op: 10, d: { heartbeat_interval: this.heartbeatIntervalMs }, s: null, t: null });
    });
  }

  private sendRaw(conn: GatewayConn, payload: GatewayPayload): void {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(payload));
  }

  private onGatewayClose(conn: GatewayConn, code: number): void {
    this.conns.delete(conn);
    const s = conn.session;
    const wasCurrent = s && s.conn === conn;
    conn.alive = false;
    conn.ready = false;
    if (wasCurrent) s.conn = null;
    // A client closing with 1000/1001 ends its session (Discord invalidates it); 4xxx keeps it resumable.
    if (s && !conn.serverClosed && (code === 1000 || code === 1001)) s.valid = false;
    this.notify();
  }

  private tokenOk(token: unknown): boolean {
    if (this.token === undefined) return true;
    if (typeof token !== 'string') return false;
    return token === this.token || token === `Bot ${this.token}`;
  }

  private onGatewayMessage(conn: GatewayConn, data: RawData, isBinary: boolean): void {
    if (!conn.alive) return;
    let p: Json;
    try {
      if (isBinary) throw new Error('binary');
      p = JSON.parse(data.toString());
    } catch {
      conn.ws.close(4002, 'Error while decoding payload.');
      return;
    }
    switch (p?.op) {
      case 1:
        this.heartbeatCount++;
        this.sendRaw(conn, { op: 11, d: null, s: null, t: null });
        this.notify();
        return;
      case 2:
        this.onIdentify(conn, p.d ?? {});
        return;
      case 6:
        this.onResume(conn, p.d ?? {});
        return;
      case 3:
        if (!conn.session) return void conn.ws.close(4003, 'Not authenticated.');
        this.presenceUpdates.push(p.d);
        return;
      case 4:
        if (!conn.session) return void conn.ws.close(4003, 'Not authenticated.');
        return;
      case 8:
        if (!conn.session) return void conn.ws.close(4003, 'Not authenticated.');
        this.onRequestMembers(p.d ?? {});
        return;
      default:
        conn.ws.close(4001, 'Unknown opcode.');
    }
  }

  private onIdentify(conn: GatewayConn, d: Json): void {
    if (conn.session) return void conn.ws.close(4005, 'Already authenticated.');
    if (!this.tokenOk(d.token)) return void conn.ws.close(4004, 'Authentication failed.');
    if (typeof d.intents !== 'number') return void conn.ws.close(4013, 'Invalid intent(s).');
    if (Array.isArray(d.shard) && (d.shard[1] !== 1 || d.shard[0] !== 0)) return void conn.ws.close(4010, 'Invalid shard.');
    const session: Session = { id: sessionId(), seq: 0, history: [], conn, intents: d.intents, valid: true, activatedAt: ++this.activations };
    this.sessions.set(session.id, session);
    conn.session = session;
    conn.ready = true;
    this.identifyCount++;
    this.identifies.push({
      properties: d.properties,
      intents: d.intents,
      shard: d.shard,
      compress: d.compress,
      large_threshold: d.large_threshold,
      presence: d.presence,
      at: Date.now(),
    });
    const bot = this.users.get(this.botUserId)!;
    this.dispatch(
      'READY',
      {
        v: 10,
        user: { ...bot, bot: true, verified: true, mfa_enabled: false, flags: 0, email: null },
        guilds: [{ id: this.guildId, unavailable: true }],
        session_id: session.id,
        session_type: 'normal',
        resume_gateway_url: `ws://${conn.host}/gateway/resume`,
        shard: Array.isArray(d.shard) ? d.shard : [0, 1],
        application: { id: this.applicationId, flags: 0 },
        user_settings: {},
        relationships: [],
        private_channels: [],
        presences: [],
        guild_join_requests: [],
        geo_ordered_rtc_regions: [],
        _trace: ['["discord-emulator",{"micros":0}]'],
      },
      session,
    );
    if (d.intents & Intent.Guilds) {
      const all = this.opts.memberList === 'all' || (d.intents & Intent.GuildMembers) !== 0;
      const members = all ? [...this.members.values()] : [this.members.get(this.botUserId)!].filter(Boolean);
      this.dispatch('GUILD_CREATE', this.guildJson(members), session);
    }
    this.notify();
  }

  private onResume(conn: GatewayConn, d: Json): void {
    if (conn.session) return void conn.ws.close(4005, 'Already authenticated.');
    const s = typeof d.session_id === 'string' ? this.sessions.get(d.session_id) : undefined;
    const seq = typeof d.seq === 'number' ? d.seq : 0;
    const oldest = s?.history[0]?.s ?? 1;
    if (!s || !s.valid || !this.tokenOk(d.token) || seq > s.seq || seq + 1 < oldest) {
      this.invalidSessionCount++;
      this.sendRaw(conn, { op: 9, d: false, s: null, t: null });
      return;
    }
    if (s.conn && s.conn !== conn) this.detachConn(s.conn, true);
    s.conn = conn;
    conn.session = s;
    s.activatedAt = ++this.activations;
    for (const p of s.history) if (p.s !== null && p.s > seq) this.sendRaw(conn, p);
    conn.ready = true;
    this.resumeCount++;
    this.dispatch('RESUMED', { _trace: ['["discord-emulator",{"micros":0}]'] }, s);
    this.notify();
  }

  private onRequestMembers(d: Json): void {
    if (d.guild_id !== this.guildId) return;
    let list = [...this.members.values()];
    const notFound: string[] = [];
    if (Array.isArray(d.user_ids) || typeof d.user_ids === 'string') {
      const ids: string[] = Array.isArray(d.user_ids) ? d.user_ids : [d.user_ids];
      list = ids.map((id) => this.members.get(id)).filter((m): m is EmuMember => Boolean(m));
      for (const id of ids) if (!this.members.has(id)) notFound.push(id);
    } else if (typeof d.query === 'string' && d.query) {
      const q = d.query.toLowerCase();
      list = list.filter((m) => m.user.username.toLowerCase().startsWith(q) || (m.nick ?? '').toLowerCase().startsWith(q));
    }
    if (typeof d.limit === 'number' && d.limit > 0) list = list.slice(0, d.limit);
    this.dispatch('GUILD_MEMBERS_CHUNK', {
      guild_id: this.guildId,
      members: list.map((m) => memberJson(m)),
      chunk_index: 0,
      chunk_count: 1,
      ...(notFound.length ? { not_found: notFound } : {}),
      ...(d.nonce !== undefined ? { nonce: d.nonce } : {}),
    });
  }

  /** Appends a dispatch to the current session (sent now if the socket is live, else replayed on RESUME). */
  private dispatch(t: string, d: Json, session: Session | null = this.session): number | null {
    if (!session || !session.valid) return null;
    const payload: GatewayPayload = { op: 0, t, s: ++session.seq, d };
    session.history.push(payload);
    if (session.history.length > HISTORY_LIMIT) session.history.shift();
    const conn = session.conn;
    if (conn?.alive && conn.ready) this.sendRaw(conn, payload);
    return payload.s;
  }

  private dispatchIf(intent: number, t: string, d: Json): void {
    if (this.session?.valid && this.session.intents & intent) this.dispatch(t, d);
  }

  // -------------------------------------------------------------------------------------------
  // Interactions: dispatch
  // -------------------------------------------------------------------------------------------

  /** INTERACTION_CREATE type 2 (chat input command). */
  dispatchSlashCommand(input: SlashCommandInput): DispatchResult {
    const member = this.requireMember(input.user);
    const channel = this.requireChannel(input.channelId ?? this.defaultChannelId);
    const def = this.findCommand(input.name);
    const { options, resolved } = this.buildOptions(def, input, null);
    const data: Json = {
      id: def?.id ?? snowflake(),
      name: input.name,
      type: 1,
      ...(def?.guild_id ? { guild_id: def.guild_id } : {}),
      ...(options.length ? { options } : {}),
      ...(resolved ? { resolved } : {}),
    };
    return this.dispatchInteraction(2, data, member, channel, { name: input.name, locale: input.locale });
  }

  /** INTERACTION_CREATE type 4 (autocomplete); the focused option carries `focused: true` and a string value. */
  dispatchAutocomplete(input: AutocompleteInput): DispatchResult {
    const member = this.requireMember(input.user);
    const channel = this.requireChannel(input.channelId ?? this.defaultChannelId);
    const def = this.findCommand(input.name);
    const { options } = this.buildOptions(def, input, input.focused);
    const data: Json = {
      id: def?.id ?? snowflake(),
      name: input.name,
      type: 1,
      ...(def?.guild_id ? { guild_id: def.guild_id } : {}),
      options,
    };
    return this.dispatchInteraction(4, data, member, channel, { name: input.name, locale: input.locale });
  }

  /** INTERACTION_CREATE type 3 for a button on a message the bot sent. */
  dispatchButton(input: ButtonInput): DispatchResult {
    return this.dispatchComponent(input, 2);
  }

  /** INTERACTION_CREATE type 3 for a select menu on a message the bot sent. */
  dispatchSelect(input: SelectInput): DispatchResult {
    return this.dispatchComponent(input, null);
  }

  /** INTERACTION_CREATE type 5 (modal submit). */
  dispatchModalSubmit(input: ModalSubmitInput): DispatchResult {
    const member = this.requireMember(input.user);
    const from = input.fromInteraction ? this.interactions.get(input.fromInteraction) : undefined;
    if (input.fromInteraction && !from) throw new Error(`DiscordEmulator: unknown interaction ${input.fromInteraction}`);
    const modal = from?.modal;
    if (input.fromInteraction && !modal) throw new Error(`DiscordEmulator: interaction ${input.fromInteraction} did not show a modal`);
    const customId = input.customId ?? modal?.custom_id;
    if (!customId) throw new Error('DiscordEmulator: dispatchModalSubmit needs customId or fromInteraction');
    const channel = this.requireChannel(input.channelId ?? from?.channelId ?? this.defaultChannelId);
    const used = new Set<string>();
    const fill = (c: Json): Json => {
      if (c.type === 1) return { type: 1, ...(c.id !== undefined ? { id: c.id } : {}), components: (c.components ?? []).map(fill) };
      if (c.type === 18) return { type: 18, ...(c.id !== undefined ? { id: c.id } : {}), component: fill(c.component) };
      if (c.type === 4) {
        used.add(c.custom_id);
        return { type: 4, ...(c.id !== undefined ? { id: c.id } : {}), custom_id: c.custom_id, value: input.fields[c.custom_id] ?? '' };
      }
      return { type: c.type, ...(c.id !== undefined ? { id: c.id } : {}), ...(c.custom_id ? { custom_id: c.custom_id } : {}) };
    };
    let components: Json[];
    if (modal) {
      components = (modal.components ?? []).map(fill);
      for (const k of Object.keys(input.fields)) if (!used.has(k)) throw new Error(`DiscordEmulator: modal ${customId} has no text input ${k}`);
    } else {
      components = Object.entries(input.fields).map(([k, v]) => ({ type: 1, components: [{ type: 4, custom_id: k, value: v }] }));
    }
    const message = from?.sourceMessageId ? this.messages.get(from.sourceMessageId) : undefined;
    return this.dispatchInteraction(5, { custom_id: customId, components }, member, channel, {
      customId,
      message,
      locale: input.locale,
    });
  }

  private dispatchComponent(input: ButtonInput | SelectInput, expectType: number | null): DispatchResult {
    const member = this.requireMember(input.user);
    const msg = this.messages.get(input.messageId);
    if (!msg || msg.deleted) throw new Error(`DiscordEmulator: unknown message ${input.messageId}`);
    if (input.channelId && input.channelId !== msg.channelId) throw new Error(`DiscordEmulator: message ${msg.id} is not in channel ${input.channelId}`);
    let found: Json = null;
    walkComponents(msg.components, (c) => {
      if (c.custom_id === input.customId) found = c;
    });
    if (!found && input.stale) found = { type: 2, custom_id: input.customId };
    if (!found) throw new Error(`DiscordEmulator: message ${msg.id} has no component with custom_id ${input.customId}`);
    const comp: Json = found;
    if (comp.disabled && !input.stale) throw new Error(`DiscordEmulator: component ${input.customId} is disabled`);
    if (expectType !== null && comp.type !== expectType) throw new Error(`DiscordEmulator: component ${input.customId} is type ${comp.type}, not a button`);
    const data: Json = { custom_id: input.customId, component_type: comp.type };
    if ('values' in input) {
      if (comp.type === 2) throw new Error(`DiscordEmulator: component ${input.customId} is a button, not a select`);
      data.values = input.values;
      if (comp.type === 3) {
        const allowed = new Set((comp.options ?? []).map((o: Json) => o.value));
        for (const v of input.values) if (!allowed.has(v)) throw new Error(`DiscordEmulator: select ${input.customId} has no option ${v}`);
      }
    }
    const channel = this.requireChannel(msg.channelId);
    return this.dispatchInteraction(3, data, member, channel, { customId: input.customId, message: msg, locale: input.locale });
  }

  private dispatchInteraction(
    type: number,
    data: Json,
    member: EmuMember,
    channel: EmuChannel,
    extra: { name?: string; customId?: string; message?: StoredMessage; locale?: string },
  ): DispatchResult {
    if (!this.session?.valid) throw new Error('DiscordEmulator: no bot session (has the client identified?)');
    const id = snowflake();
    const token = interactionToken();
    const appPermissions = this.computePermissions(this.botUserId).toString();
    const payload: Json = {
      id,
      application_id: this.applicationId,
      type,
      data,
      guild: { id: this.guildId, locale: 'en-US', features: [] },
      guild_id: this.guildId,
      channel: { ...channelJson(channel), permissions: appPermissions },
      channel_id: channel.id,
      member: memberJson(member, { permissions: this.computePermissions(member.id).toString() }),
      token,
      version: 1,
      app_permissions: appPermissions,
      locale: extra.locale ?? 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': this.guildId },
      context: 0,
      attachment_size_limit: 10 * 1024 * 1024,
      ...(extra.message ? { message: this.messageJson(extra.message, this.defaultHost()) } : {}),
    };
    const state: InteractionState = {
      id,
      token,
      type,
      name: extra.name,
      customId: extra.customId,
      userId: member.id,
      channelId: channel.id,
      sentAt: 0,
      sentAtEpoch: Date.now(),
      payload,
      sourceMessageId: extra.message?.id,
      acked: false,
      callbacks: [],
      originalMessageId: null,
      originalHistory: [],
      edits: [],
      followUpIds: [],
    };
    this.interactions.set(id, state);
    this.interactionsByToken.set(token, state);
    state.sentAt = performance.now();
    const seq = this.dispatch('INTERACTION_CREATE', payload)!;
    return { id, token, sentAt: state.sentAt, seq };
  }

  private findCommand(name: string): Json | undefined {
    return (
      (this.commandStore.get(this.guildId) ?? []).find((c) => c.name === name && (c.type ?? 1) === 1) ??
      (this.commandStore.get('global') ?? []).find((c) => c.name === name && (c.type ?? 1) === 1)
    );
  }

  private buildOptions(def: Json | undefined, input: SlashCommandInput, focused: string | null): { options: Json[]; resolved: Json | null } {
    const resolved: Json = {};
    const strict = Boolean(def);
    let defOpts: Json[] | undefined = def?.options;
    if (input.subcommandGroup) {
      const g = defOpts?.find((o: Json) => o.type === 2 && o.name === input.subcommandGroup);
      if (strict && !g) throw new Error(`DiscordEmulator: /${input.name} has no subcommand group ${input.subcommandGroup}`);
      if (!input.subcommand) throw new Error('DiscordEmulator: subcommandGroup requires subcommand');
      defOpts = g?.options;
    }
    if (input.subcommand) {
      const sc = defOpts?.find((o: Json) => o.type === 1 && o.name === input.subcommand);
      if (strict && !sc) throw new Error(`DiscordEmulator: /${input.name} has no subcommand ${[input.subcommandGroup, input.subcommand].filter(Boolean).join(' ')}`);
      defOpts = sc?.options;
    } else if (strict && (defOpts ?? []).some((o: Json) => o.type === 1 || o.type === 2)) {
      throw new Error(`DiscordEmulator: /${input.name} requires a subcommand`);
    }

    let leaf: Json[];
    if (Array.isArray(input.options)) {
      leaf = cloneJson(input.options);
    } else {
      leaf = [];
      const given = input.options ?? {};
      for (const [name, raw] of Object.entries(given)) {
        const od = defOpts?.find((o: Json) => o.name === name);
        if (strict && !od) throw new Error(`DiscordEmulator: /${input.name} has no option ${name}`);
        const explicit = typeof raw === 'object' && raw !== null && !Buffer.isBuffer(raw) ? (raw as { type: number; value: Json }) : null;
        const value: Json = explicit ? explicit.value : raw;
        const type: number =
          od?.type ?? explicit?.type ?? (typeof value === 'boolean' ? 5 : typeof value === 'number' ? (Number.isInteger(value) ? 4 : 10) : 3);
        if (focused === name) {
          leaf.push({ name, type, value: String(value), focused: true });
          continue;
        }
        leaf.push({ name, type, value: this.coerceOption(input.name, name, type, value, od, resolved) });
      }
      if (focused !== null && !leaf.some((o) => o.focused)) throw new Error(`DiscordEmulator: focused option ${focused} missing from options`);
      if (strict && focused === null) {
        for (const od of defOpts ?? []) {
          if (od.required && !(od.name in given)) throw new Error(`DiscordEmulator: /${input.name} option ${od.name} is required`);
        }
      }
    }
    let options = leaf;
    if (input.subcommand) options = [{ name: input.subcommand, type: 1, options }];
    if (input.subcommandGroup) options = [{ name: input.subcommandGroup, type: 2, options }];
    return { options, resolved: Object.keys(resolved).length ? resolved : null };
  }

  private coerceOption(cmd: string, name: string, type: number, value: Json, od: Json | undefined, resolved: Json): Json {
    const bad = (why: string) => new Error(`DiscordEmulator: /${cmd} option ${name}: ${why}`);
    let v: Json;
    switch (type) {
      case 3:
        v = String(value);
        if (od?.min_length !== undefined && v.length < od.min_length) throw bad(`shorter than min_length ${od.min_length}`);
        if (od?.max_length !== undefined && v.length > od.max_length) throw bad(`longer than max_length ${od.max_length}`);
        break;
      case 4:
      case 10:
        v = typeof value === 'number' ? value : Number(value);
        if (!Number.isFinite(v) || (type === 4 && !Number.isInteger(v))) throw bad(`${JSON.stringify(value)} is not ${type === 4 ? 'an integer' : 'a number'}`);
        if (od?.min_value !== undefined && v < od.min_value) throw bad(`below min_value ${od.min_value}`);
        if (od?.max_value !== undefined && v > od.max_value) throw bad(`above max_value ${od.max_value}`);
        break;
      case 5:
        if (typeof value === 'boolean') v = value;
        else if (value === 'true' || value === 'false') v = value === 'true';
        else throw bad(`${JSON.stringify(value)} is not a boolean`);
        break;
      case 6:
      case 7:
      case 8:
      case 9: {
        v = String(value);
        const user = this.users.get(v);
        const member = this.members.get(v);
        const role = this.roles.get(v);
        const channel = this.channels.get(v);
        if ((type === 6 || type === 9) && user) {
          (resolved.users ??= {})[v] = { ...user };
          if (member) (resolved.members ??= {})[v] = memberJson(member, { permissions: this.computePermissions(v).toString() }, false);
        } else if ((type === 8 || type === 9) && role) {
          (resolved.roles ??= {})[v] = roleJson(role);
        } else if (type === 7 && channel) {
          (resolved.channels ??= {})[v] = { ...channelJson(channel), permissions: this.computePermissions(this.botUserId).toString() };
        } else {
          throw bad(`unknown ${({ 6: 'user', 7: 'channel', 8: 'role', 9: 'user or role' } as Record<number, string>)[type]} ${v}`);
        }
        break;
      }
      case 11: {
        const a = value as AttachmentOptionInput;
        if (!a || typeof a !== 'object' || !Buffer.isBuffer(a.data)) throw bad('attachment options need {filename, data: Buffer}');
        const att: StoredAttachment = { id: snowflake(), filename: a.filename, contentType: a.contentType ?? 'application/octet-stream', size: a.data.length, data: a.data };
        this.uploadedOptionAttachments.set(att.id, att);
        (resolved.attachments ??= {})[att.id] = this.attachmentJson(att, 'ephemeral-attachments', this.defaultHost());
        v = att.id;
        break;
      }
      default:
        v = value;
    }
    if (Array.isArray(od?.choices) && od.choices.length && !od.choices.some((c: Json) => c.value === v)) {
      throw bad(`${JSON.stringify(v)} is not one of the choices`);
    }
    return v;
  }

  private readonly uploadedOptionAttachments = new Map<string, StoredAttachment>();

  // -------------------------------------------------------------------------------------------
  // Interactions / messages: inspection
  // -------------------------------------------------------------------------------------------

  /** Everything the bot did for an interaction, or undefined for an unknown id. */
  interaction(id: string): InteractionRecord | undefined {
    const s = this.interactions.get(id);
    if (!s) return undefined;
    const firstOk = s.callbacks.find((c) => c.status < 300);
    return {
      id: s.id,
      token: s.token,
      type: s.type,
      name: s.name,
      customId: s.customId,
      userId: s.userId,
      channelId: s.channelId,
      sentAt: s.sentAt,
      sentAtEpoch: s.sentAtEpoch,
      payload: s.payload,
      callbacks: [...s.callbacks],
      ackLatencyMs: firstOk ? firstOk.at - s.sentAt : null,
      originalMessageId: s.originalMessageId,
      originalHistory: [...s.originalHistory],
      edits: [...s.edits],
      original: this.original(id),
      followUps: s.followUpIds.map((m) => this.messages.get(m)).filter((m): m is StoredMessage => Boolean(m)).map((m) => this.snapshot(m)),
      ...(s.autocompleteChoices ? { autocompleteChoices: s.autocompleteChoices } : {}),
      ...(s.modal ? { modal: s.modal } : {}),
    };
  }

  /** Forgets recorded requests (long benchmark runs); interactions and messages are kept. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** All interactions dispatched so far, in order. */
  listInteractions(): InteractionRecord[] {
    return [...this.interactions.keys()].map((id) => this.interaction(id)!);
  }

  /** Current state of the interaction's original response message (null if none or deleted). */
  original(id: string): MessageSnapshot | null {
    const s = this.interactions.get(id);
    const m = s?.originalMessageId ? this.messages.get(s.originalMessageId) : undefined;
    return m && !m.deleted ? this.snapshot(m) : null;
  }

  /** Messages in a channel (bot posts and interaction responses, including ephemeral ones), oldest first, deleted omitted. */
  channelMessages(channelId: string): MessageSnapshot[] {
    return [...this.messages.values()].filter((m) => m.channelId === channelId && !m.deleted).map((m) => this.snapshot(m));
  }

  message(id: string): MessageSnapshot | undefined {
    const m = this.messages.get(id);
    return m ? this.snapshot(m) : undefined;
  }

  /** Users who reacted with `emoji` (as sent in the URL, e.g. "✅" or "name:id"). */
  reactions(messageId: string, emoji: string): string[] {
    return [...(this.messages.get(messageId)?.reactions.get(emoji) ?? [])];
  }

  /** Registered application commands: guild commands for a guild id, global ones otherwise. */
  commands(guildId?: string): Json[] {
    return cloneJson(this.commandStore.get(guildId ?? 'global') ?? []);
  }

  private snapshot(m: StoredMessage): MessageSnapshot {
    return {
      id: m.id,
      channelId: m.channelId,
      content: m.content,
      embeds: cloneJson(m.embeds),
      components: cloneJson(m.components),
      attachments: m.attachments.map((a) => ({ ...a })),
      flags: m.flags,
      at: performance.now(),
      deleted: m.deleted,
    };
  }

  // -------------------------------------------------------------------------------------------
  // HTTP plumbing
  // -------------------------------------------------------------------------------------------

  private defaultHost(): string {
    return this.opts.publicHost ?? `127.0.0.1:${this.port}`;
  }

  private hostOf(req: http.IncomingMessage): string {
    return this.opts.publicHost ?? req.headers.host ?? this.defaultHost();
  }

  private async onHttpRequest(req: http.IncomingMessage, res: http.ServerResponse, via: 'tcp' | 'unix'): Promise<void> {
    if (this.hanging.has(req.socket)) return; // black-holed
    const at = Date.now();
    const perfAt = performance.now();
    const url = new URL(req.url ?? '/', 'http://emulator');
    let pathname = url.pathname.replace(/\/+$/, '') || '/';
    if (pathname.startsWith('/attachments/') && req.method === 'GET') return this.serveAttachment(pathname, res);

    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY) throw new Error('too large');
        chunks.push(chunk as Buffer);
      }
    } catch {
      if (!res.headersSent) this.send(res, { status: 413, body: { message: 'Request entity too large', code: 40005 } });
      return;
    }
    const raw = Buffer.concat(chunks);
    const versioned = pathname.startsWith(`${API_PREFIX}/`) || pathname === API_PREFIX;
    if (versioned) pathname = pathname.slice(API_PREFIX.length) || '/';
    // @discordjs/rest percent-encodes e.g. "@me" → "%40me" and emoji; match and record the decoded form
    pathname = pathname
      .split('/')
      .map((seg) => {
        try {
          return decodeURIComponent(seg);
        } catch {
          return seg;
        }
      })
      .join('/');

    const auth = req.headers.authorization;
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: pathname,
      route: null,
      query: Object.fromEntries(url.searchParams),
      body: null,
      files: [],
      at,
      perfAt,
      hasAuthorization: typeof auth === 'string' && auth.length > 0,
      authorized: this.token === undefined ? null : auth === `Bot ${this.token}`,
      via,
    };
    this.requests.push(rec);

    let reply: Reply;
    try {
      reply = await this.route(req, rec, raw, versioned);
    } catch (e) {
      reply = { status: 500, body: { message: `emulator error: ${(e as Error).message}`, code: 0 } };
    }
    rec.status = reply.status;
    rec.response = reply.body;
    this.send(res, reply);
    this.notify();
  }

  private async route(req: http.IncomingMessage, rec: RecordedRequest, raw: Buffer, versioned: boolean): Promise<Reply> {
    // body
    const ct = req.headers['content-type'];
    const boundary = multipartBoundary(ct);
    try {
      if (boundary) {
        for (const part of parseMultipart(raw, boundary)) {
          if (part.name === 'payload_json') rec.body = JSON.parse(part.data.toString('utf8'));
          else if (part.filename !== undefined) {
            rec.files.push({ name: part.name, filename: part.filename, contentType: part.contentType ?? 'application/octet-stream', data: part.data });
          } else if (rec.body === null || typeof rec.body === 'object') {
            // plain form fields (appendToFormData style)
            rec.body = { ...(rec.body ?? {}), [part.name]: part.data.toString('utf8') };
          }
        }
      } else if (raw.length) {
        rec.body = /json/i.test(ct ?? '') || raw[0] === 0x7b || raw[0] === 0x5b ? JSON.parse(raw.toString('utf8')) : raw.toString('utf8');
      }
    } catch {
      return err(400, 50109, 'The request body contains invalid JSON.');
    }

    if (!versioned) return err(404, 0, '404: Not Found');

    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.re.exec(rec.path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== rec.method) continue;
      rec.route = r.pattern;
      const fault = this.faults.find((f) => f.remaining > 0 && f.match(rec));
      if (fault) {
        fault.remaining--;
        return { status: fault.status, body: fault.body ?? { message: 'emulator: injected fault', code: 0 }, headers: fault.headers };
      }
      if (r.auth) {
        if (!rec.hasAuthorization) return err(401, 0, '401: Unauthorized');
        if (rec.authorized === false) return err(401, 0, '401: Unauthorized');
      }
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => (params[k] = m[i + 1]));
      return r.handler({ req, rec, params, body: rec.body, files: rec.files, host: this.hostOf(req) });
    }
    return pathMatched ? err(405, 0, '405: Method Not Allowed') : err(404, 0, '404: Not Found');
  }

  private send(res: http.ServerResponse, reply: Reply): void {
    const resetAfter = 1;
    const headers: Record<string, string> = {
      'x-ratelimit-limit': '50',
      'x-ratelimit-remaining': '49',
      'x-ratelimit-reset': String(Date.now() / 1000 + resetAfter),
      'x-ratelimit-reset-after': String(resetAfter),
      via: '1.1 discord-emulator',
      ...(reply.headers ?? {}),
    };
    if (reply.status === 204 || reply.body === undefined) {
      res.writeHead(reply.status === 200 && reply.body === undefined ? 204 : reply.status, headers);
      res.end();
      return;
    }
    const body = Buffer.from(JSON.stringify(reply.body));
    res.writeHead(reply.status, { ...headers, 'content-type': 'application/json', 'content-length': String(body.length) });
    res.end(body);
  }

  private serveAttachment(pathname: string, res: http.ServerResponse): void {
    const [, , , attId] = pathname.split('/');
    let att: StoredAttachment | undefined = this.uploadedOptionAttachments.get(attId);
    if (!att) {
      for (const m of this.messages.values()) {
        att = m.attachments.find((a) => a.id === attId);
        if (att) break;
      }
    }
    if (!att) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found');
      return;
    }
    res.writeHead(200, { 'content-type': att.contentType, 'content-length': String(att.data.length) });
    res.end(att.data);
  }

  private on(method: string, pattern: string, handler: Route['handler'], auth = true): void {
    const keys: string[] = [];
    const re = new RegExp(
      `^${pattern.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === ':' ? c : `\\${c}`)).replace(/:([a-zA-Z]+)/g, (_m, k: string) => {
        keys.push(k);
        return '([^/]+)';
      })}$`,
    );
    this.routes.push({ method, pattern, re, keys, auth, handler });
  }

  // -------------------------------------------------------------------------------------------
  // REST routes
  // -------------------------------------------------------------------------------------------

  private registerRoutes(): void {
    const ok = (body: Json, status = 200): Reply => ({ status, body });

    // gateway
    this.on('GET', '/gateway', (c) => ok({ url: `ws://${c.host}/gateway` }), false);
    this.on('GET', '/gateway/bot', (c) =>
      ok({
        url: `ws://${c.host}/gateway`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 1000 - this.identifyCount, reset_after: 86_400_000, max_concurrency: 1 },
      }),
    );

    // users
    this.on('GET', '/users/@me', () => ok({ ...this.users.get(this.botUserId)!, bot: true, verified: true, mfa_enabled: false, flags: 0 }));
    this.on('GET', '/users/:userId', (c) => {
      const u = this.users.get(c.params.userId);
      return u ? ok({ ...u }) : unknown.user();
    });
    this.on('POST', '/users/@me/channels', (c) => {
      const recipient = this.users.get(String(c.body?.recipient_id));
      if (!recipient) return err(400, 50035, 'Invalid Form Body');
      let id = this.dmChannelsByUser.get(recipient.id);
      if (!id) {
        id = snowflake();
        this.dmChannelsByUser.set(recipient.id, id);
        this.channels.set(id, { id, type: 1, name: '', position: 0, parent_id: null, topic: null, nsfw: false, recipients: [recipient], last_message_id: null });
      }
      return ok(channelJson(this.channels.get(id)!));
    });

    // applications
    this.on('GET', '/applications/@me', () =>
      ok({
        id: this.applicationId,
        name: this.users.get(this.botUserId)!.username,
        icon: null,
        description: '',
        bot_public: false,
        bot_require_code_grant: false,
        flags: 0,
        verify_key: '0'.repeat(64),
        team: null,
        owner: { ...this.users.get(this.ownerId)! },
        bot: { ...this.users.get(this.botUserId)!, bot: true },
        approximate_guild_count: 1,
        integration_types_config: { '0': {} },
      }),
    );
    for (const scope of ['global', 'guild'] as const) {
      const base = scope === 'global' ? '/applications/:appId/commands' : '/applications/:appId/guilds/:guildId/commands';
      const key = (c: Ctx): string | Reply => {
        if (c.params.appId !== this.applicationId) return err(403, 50001, 'Missing Access');
        if (scope === 'guild' && c.params.guildId !== this.guildId) return unknown.guild();
        return scope === 'global' ? 'global' : c.params.guildId;
      };
      this.on('GET', base, (c) => {
        const k = key(c);
        return typeof k === 'string' ? ok(this.commandStore.get(k) ?? []) : k;
      });
      this.on('PUT', base, (c) => {
        const k = key(c);
        if (typeof k !== 'string') return k;
        if (!Array.isArray(c.body)) return err(400, 50035, 'Invalid Form Body');
        if (this.opts.validate) {
          const errors = c.body.flatMap((cmd: Json, i: number) => validateCommand(cmd, `${i}.`));
          const names = c.body.map((cmd: Json) => `${cmd?.type ?? 1}:${cmd?.name}`);
          if (new Set(names).size !== names.length) errors.push({ path: '_', code: 'APPLICATION_COMMANDS_DUPLICATE_NAME', message: 'Application command names must be unique' });
          if (errors.length) return { status: 400, body: invalidFormBody(errors) };
        }
        const old = this.commandStore.get(k) ?? [];
        const list = c.body.map((cmd: Json) => {
          const prev = old.find((o) => o.name === cmd.name && (o.type ?? 1) === (cmd.type ?? 1));
          return this.storeCommand(cmd, k, prev);
        });
        this.commandStore.set(k, list);
        return ok(list);
      });
      this.on('POST', base, (c) => {
        const k = key(c);
        if (typeof k !== 'string') return k;
        if (this.opts.validate) {
          const errors = validateCommand(c.body, '');
          if (errors.length) return { status: 400, body: invalidFormBody(errors) };
        }
        const list = this.commandStore.get(k) ?? [];
        const idx = list.findIndex((o) => o.name === c.body.name && (o.type ?? 1) === (c.body.type ?? 1));
        const cmd = this.storeCommand(c.body, k, idx >= 0 ? list[idx] : undefined);
        if (idx >= 0) list[idx] = cmd;
        else list.push(cmd);
        this.commandStore.set(k, list);
        return ok(cmd, idx >= 0 ? 200 : 201);
      });
      this.on('GET', `${base}/:commandId`, (c) => {
        const k = key(c);
        if (typeof k !== 'string') return k;
        const cmd = (this.commandStore.get(k) ?? []).find((o) => o.id === c.params.commandId);
        return cmd ? ok(cmd) : unknown.command();
      });
      this.on('PATCH', `${base}/:commandId`, (c) => {
        const k = key(c);
        if (typeof k !== 'string') return k;
        const list = this.commandStore.get(k) ?? [];
        const idx = list.findIndex((o) => o.id === c.params.commandId);
        if (idx < 0) return unknown.command();
        if (this.opts.validate) {
          const errors = validateCommand(c.body, '', true);
          if (errors.length) return { status: 400, body: invalidFormBody(errors) };
        }
        const merged = { ...list[idx], ...c.body };
        list[idx] = this.storeCommand(merged, k, list[idx]);
        return ok(list[idx]);
      });
      this.on('DELETE', `${base}/:commandId`, (c) => {
        const k = key(c);
        if (typeof k !== 'string') return k;
        const list = this.commandStore.get(k) ?? [];
        const idx = list.findIndex((o) => o.id === c.params.commandId);
        if (idx < 0) return unknown.command();
        list.splice(idx, 1);
        return { status: 204 };
      });
    }

    // interactions
    this.on('POST', '/interactions/:interactionId/:token/callback', (c) => this.onCallback(c), false);
    const wh = (c: Ctx): InteractionState | Reply => {
      if (c.params.appId !== this.applicationId) return unknown.webhook();
      const s = this.interactionsByToken.get(c.params.token);
      if (!s || !s.acked) return unknown.webhook();
      return s;
    };
    const whMessage = (s: InteractionState, mid: string): StoredMessage | undefined => {
      const id = mid === '@original' ? s.originalMessageId : mid;
      if (!id) return undefined;
      if (mid !== '@original' && id !== s.originalMessageId && !s.followUpIds.includes(id)) return undefined;
      const m = this.messages.get(id);
      return m && !m.deleted ? m : undefined;
    };
    this.on('POST', '/webhooks/:appId/:token', (c) => {
      const s = wh(c);
      if (!('token' in s)) return s;
      return this.onFollowUp(s, c);
    }, false);
    this.on('GET', '/webhooks/:appId/:token/messages/:messageId', (c) => {
      const s = wh(c);
      if (!('token' in s)) return s;
      const m = whMessage(s, c.params.messageId);
      return m ? ok(this.messageJson(m, c.host)) : unknown.message();
    }, false);
    this.on('PATCH', '/webhooks/:appId/:token/messages/:messageId', (c) => {
      const s = wh(c);
      if (!('token' in s)) return s;
      const m = whMessage(s, c.params.messageId);
      if (!m) return unknown.message();
      const bad = this.applyEdit(m, c.body ?? {}, c.files);
      if (bad) return bad;
      if (m.id === s.originalMessageId) {
        const snap = this.snapshot(m);
        s.edits.push(snap);
        s.originalHistory.push(snap);
      }
      this.emitMessageEvent('MESSAGE_UPDATE', m, c.host);
      return ok(this.messageJson(m, c.host));
    }, false);
    this.on('DELETE', '/webhooks/:appId/:token/messages/:messageId', (c) => {
      const s = wh(c);
      if (!('token' in s)) return s;
      const m = whMessage(s, c.params.messageId);
      if (!m) return unknown.message();
      this.deleteMessage(m);
      if (m.id === s.originalMessageId) s.originalHistory.push(this.snapshot(m));
      return { status: 204 };
    }, false);

    // channels & messages
    this.on('GET', '/channels/:channelId', (c) => {
      const ch = this.channels.get(c.params.channelId);
      return ch ? ok(channelJson(ch)) : unknown.channel();
    });
    this.on('GET', '/channels/:channelId/messages', (c) => {
      if (!this.channels.has(c.params.channelId)) return unknown.channel();
      const limit = Math.min(100, Math.max(1, Number(c.rec.query.limit ?? 50)));
      const list = [...this.messages.values()]
        .filter((m) => m.channelId === c.params.channelId && !m.deleted && !(m.flags & MessageFlag.Ephemeral))
        .reverse()
        .slice(0, limit);
      return ok(list.map((m) => this.messageJson(m, c.host)));
    });
    this.on('POST', '/channels/:channelId/messages', (c) => this.onChannelMessage(c));
    this.on('GET', '/channels/:channelId/messages/:messageId', (c) => {
      const m = this.messages.get(c.params.messageId);
      if (!this.channels.has(c.params.channelId)) return unknown.channel();
      return m && !m.deleted && m.channelId === c.params.channelId && !(m.flags & MessageFlag.Ephemeral) ? ok(this.messageJson(m, c.host)) : unknown.message();
    });
    this.on('PATCH', '/channels/:channelId/messages/:messageId', (c) => {
      const m = this.messages.get(c.params.messageId);
      if (!this.channels.has(c.params.channelId)) return unknown.channel();
      if (!m || m.deleted || m.channelId !== c.params.channelId) return unknown.message();
      if (m.author.id !== this.botUserId || m.webhookId) return err(403, 50005, 'Cannot edit a message authored by another user');
      const bad = this.applyEdit(m, c.body ?? {}, c.files);
      if (bad) return bad;
      this.emitMessageEvent('MESSAGE_UPDATE', m, c.host);
      return ok(this.messageJson(m, c.host));
    });
    this.on('DELETE', '/channels/:channelId/messages/:messageId', (c) => {
      const m = this.messages.get(c.params.messageId);
      if (!m || m.deleted || m.channelId !== c.params.channelId) return unknown.message();
      this.deleteMessage(m);
      return { status: 204 };
    });
    this.on('POST', '/channels/:channelId/typing', (c) => (this.channels.has(c.params.channelId) ? { status: 204 } : unknown.channel()));
    this.on('PUT', '/channels/:channelId/messages/:messageId/reactions/:emoji/@me', (c) => {
      const m = this.messages.get(c.params.messageId);
      if (!m || m.deleted || m.channelId !== c.params.channelId) return unknown.message();
      const set = m.reactions.get(c.params.emoji) ?? new Set<string>();
      set.add(this.botUserId);
      m.reactions.set(c.params.emoji, set);
      return { status: 204 };
    });
    this.on('DELETE', '/channels/:channelId/messages/:messageId/reactions/:emoji/@me', (c) => {
      const m = this.messages.get(c.params.messageId);
      if (!m || m.deleted) return unknown.message();
      m.reactions.get(c.params.emoji)?.delete(this.botUserId);
      return { status: 204 };
    });

    // guilds
    const guildCheck = (c: Ctx): Reply | null => (c.params.guildId === this.guildId ? null : unknown.guild());
    this.on('GET', '/guilds/:guildId', (c) => guildCheck(c) ?? ok({ ...this.guildJson(null), approximate_member_count: this.members.size }));
    this.on('GET', '/guilds/:guildId/roles', (c) => guildCheck(c) ?? ok([...this.roles.values()].map(roleJson)));
    this.on('GET', '/guilds/:guildId/channels', (c) => guildCheck(c) ?? ok([...this.channels.values()].filter((ch) => ch.guild_id).map(channelJson)));
    this.on('GET', '/guilds/:guildId/members', (c) => {
      const bad = guildCheck(c);
      if (bad) return bad;
      const limit = Math.min(1000, Math.max(1, Number(c.rec.query.limit ?? 1)));
      const after = c.rec.query.after ? BigInt(c.rec.query.after) : -1n;
      const list = [...this.members.values()].filter((m) => BigInt(m.id) > after).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      return ok(list.slice(0, limit).map((m) => memberJson(m)));
    });
    this.on('GET', '/guilds/:guildId/members/:userId', (c) => {
      const bad = guildCheck(c);
      if (bad) return bad;
      const m = this.members.get(c.params.userId);
      return m ? ok(memberJson(m)) : unknown.member();
    });
    const roleChange = (add: boolean) => (c: Ctx): Reply => {
      const bad = guildCheck(c);
      if (bad) return bad;
      const m = this.members.get(c.params.userId);
      if (!m) return unknown.member();
      if (!this.roles.has(c.params.roleId)) return unknown.role();
      if (!(this.computePermissions(this.botUserId) & Perm.ManageRoles)) return err(403, 50013, 'Missing Permissions');
      // role hierarchy: the bot can only manage roles strictly below its highest role
      const botTop = Math.max(0, ...this.requireMember(this.botUserId).roles.map((r) => this.roles.get(r)?.position ?? 0));
      if (this.roles.get(c.params.roleId)!.position >= botTop) return err(403, 50013, 'Missing Permissions');
      const roles = add ? [...new Set([...m.roles, c.params.roleId])] : m.roles.filter((r) => r !== c.params.roleId);
      this.updateMember(m.id, { roles });
      return { status: 204 };
    };
    this.on('PUT', '/guilds/:guildId/members/:userId/roles/:roleId', roleChange(true));
    this.on('DELETE', '/guilds/:guildId/members/:userId/roles/:roleId', roleChange(false));
  }

  private storeCommand(cmd: Json, scope: string, prev: Json | undefined): Json {
    const out: Json = {
      id: prev?.id ?? snowflake(),
      application_id: this.applicationId,
      version: snowflake(),
      default_member_permissions: cmd.default_member_permissions ?? null,
      type: cmd.type ?? 1,
      name: cmd.name,
      name_localizations: cmd.name_localizations ?? null,
      description: cmd.description ?? '',
      description_localizations: cmd.description_localizations ?? null,
      ...(cmd.options ? { options: cloneJson(cmd.options) } : {}),
      nsfw: cmd.nsfw ?? false,
      contexts: cmd.contexts ?? null,
      integration_types: cmd.integration_types ?? [0],
      ...(scope === 'global' ? { dm_permission: cmd.dm_permission ?? true } : { guild_id: scope }),
    };
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Messages
  // -------------------------------------------------------------------------------------------

  private attachmentJson(a: StoredAttachment, channelId: string, host: string): Json {
    const url = `http://${host}/attachments/${channelId}/${a.id}/${encodeURIComponent(a.filename)}`;
    return {
      id: a.id,
      filename: a.filename,
      size: a.size,
      url,
      proxy_url: url,
      content_type: a.contentType,
      ...(a.description !== undefined ? { description: a.description } : {}),
    };
  }

  private messageJson(m: StoredMessage, host: string): Json {
    return {
      id: m.id,
      type: m.type,
      channel_id: m.channelId,
      ...(m.guildId ? { guild_id: m.guildId } : {}),
      author: { ...m.author },
      content: m.content,
      timestamp: m.timestamp,
      edited_timestamp: m.editedTimestamp,
      tts: m.tts,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: m.attachments.map((a) => this.attachmentJson(a, m.channelId, host)),
      embeds: m.embeds.map((e) => ({ type: 'rich', ...e })),
      components: cloneJson(m.components),
      pinned: false,
      flags: m.flags,
      ...(m.reactions.size
        ? {
            reactions: [...m.reactions.entries()]
              .filter(([, u]) => u.size)
              .map(([e, u]) => ({ count: u.size, me: u.has(this.botUserId), emoji: { id: null, name: e } })),
          }
        : {}),
      ...(m.nonce !== undefined ? { nonce: m.nonce } : {}),
      ...(m.webhookId ? { webhook_id: m.webhookId } : {}),
      ...(m.applicationId ? { application_id: m.applicationId } : {}),
      ...(m.interactionMetadata ? { interaction_metadata: m.interactionMetadata } : {}),
      ...(m.messageReference ? { message_reference: m.messageReference } : {}),
    };
  }

  /** Builds the attachment list of a message from `attachments` in the body plus uploaded files. */
  private resolveAttachments(body: Json, files: RecordedFile[], existing: StoredAttachment[], editing: boolean): StoredAttachment[] {
    const byIndex = new Map<number, RecordedFile>();
    let extra = 10_000;
    for (const f of files) {
      const m = /^files\[(\d+)\]$/.exec(f.name);
      byIndex.set(m ? Number(m[1]) : extra++, f);
    }
    const make = (f: RecordedFile, meta: Json = {}): StoredAttachment => ({
      id: snowflake(),
      filename: typeof meta.filename === 'string' ? meta.filename : f.filename,
      contentType: attachmentContentType(f.filename, f.contentType),
      size: f.data.length,
      data: f.data,
      ...(typeof meta.description === 'string' ? { description: meta.description } : {}),
    });
    const used = new Set<number>();
    const out: StoredAttachment[] = [];
    if (Array.isArray(body?.attachments)) {
      for (const a of body.attachments) {
        const id = String(a?.id);
        const ex = existing.find((e) => e.id === id);
        if (ex) {
          out.push(ex);
          continue;
        }
        const f = byIndex.get(Number(id));
        if (f && !used.has(Number(id))) {
          used.add(Number(id));
          out.push(make(f, a));
        }
      }
    } else if (editing) {
      out.push(...existing);
    }
    for (const [idx, f] of byIndex) if (!used.has(idx)) out.push(make(f));
    return out;
  }

  private createMessage(
    channel: EmuChannel,
    body: Json,
    files: RecordedFile[],
    extra: Partial<StoredMessage>,
    validate = true,
    errorPrefix = '',
  ): StoredMessage | Reply {
    const flags = Number(body?.flags ?? 0) & (MessageFlag.SuppressEmbeds | MessageFlag.Ephemeral | MessageFlag.SuppressNotifications | MessageFlag.IsComponentsV2 | MessageFlag.Loading);
    const msg: StoredMessage = {
      id: snowflake(),
      channelId: channel.id,
      ...(channel.guild_id ? { guildId: channel.guild_id } : {}),
      author: { ...this.users.get(this.botUserId)!, bot: true },
      content: typeof body?.content === 'string' ? body.content : '',
      embeds: Array.isArray(body?.embeds) ? cloneJson(body.embeds) : [],
      components: Array.isArray(body?.components) ? cloneJson(body.components) : [],
      attachments: this.resolveAttachments(body, files, [], false),
      flags,
      type: 0,
      timestamp: isoNow(),
      editedTimestamp: null,
      tts: Boolean(body?.tts),
      ...(body?.nonce !== undefined ? { nonce: body.nonce } : {}),
      deleted: false,
      reactions: new Map(),
      ...extra,
    };
    if (validate && this.opts.validate) {
      const bad = validateMessage(body, {
        content: msg.content,
        embeds: msg.embeds,
        components: msg.components,
        attachmentCount: msg.attachments.length,
        stickers: Array.isArray(body?.sticker_ids) ? body.sticker_ids.length : 0,
        poll: Boolean(body?.poll),
        flags: msg.flags,
      }, errorPrefix);
      if (bad) return bad;
    }
    this.messages.set(msg.id, msg);
    channel.last_message_id = msg.id;
    return msg;
  }

  /** Applies a message edit; returns an error reply (and leaves the message untouched) if invalid. */
  private applyEdit(m: StoredMessage, body: Json, files: RecordedFile[], errorPrefix = ''): Reply | null {
    const next = {
      content: 'content' in body ? (typeof body.content === 'string' ? body.content : '') : m.content,
      embeds: 'embeds' in body ? (Array.isArray(body.embeds) ? cloneJson(body.embeds) : []) : m.embeds,
      components: 'components' in body ? (Array.isArray(body.components) ? cloneJson(body.components) : []) : m.components,
      attachments: 'attachments' in body || files.length ? this.resolveAttachments(body, files, m.attachments, true) : m.attachments,
      flags: m.flags & ~MessageFlag.Loading,
    };
    if ('flags' in body && body.flags !== null && body.flags !== undefined) {
      const changeable = MessageFlag.SuppressEmbeds | MessageFlag.IsComponentsV2;
      next.flags = (next.flags & ~changeable) | (Number(body.flags) & changeable);
    }
    if (this.opts.validate) {
      const bad = validateMessage(body, {
        content: next.content,
        embeds: next.embeds,
        components: next.components,
        attachmentCount: next.attachments.length,
        flags: next.flags,
      }, errorPrefix);
      if (bad) return bad;
    }
    const wasLoading = (m.flags & MessageFlag.Loading) !== 0;
    Object.assign(m, next);
    // Filling in a deferred ("thinking…") response is not an edit from the user's point of view.
    if (!wasLoading) m.editedTimestamp = isoNow();
    return null;
  }

  private deleteMessage(m: StoredMessage): void {
    m.deleted = true;
    this.dispatchIf(m.guildId ? Intent.GuildMessages : Intent.DirectMessages, 'MESSAGE_DELETE', {
      id: m.id,
      channel_id: m.channelId,
      ...(m.guildId ? { guild_id: m.guildId } : {}),
    });
  }

  private emitMessageEvent(t: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE', m: StoredMessage, host: string): void {
    if (m.flags & MessageFlag.Ephemeral) return;
    this.dispatchIf(m.guildId ? Intent.GuildMessages : Intent.DirectMessages, t, {
      ...this.messageJson(m, host),
      ...(m.guildId ? { member: memberJson(this.members.get(this.botUserId)!, {}, false) } : {}),
    });
  }

  private onChannelMessage(c: Ctx): Reply {
    const ch = this.channels.get(c.params.channelId);
    if (!ch) return unknown.channel();
    const body = c.body ?? {};
    if (ch.guild_id) {
      const perms = this.computePermissions(this.botUserId);
      const need = Perm.ViewChannel | Perm.SendMessages | (c.files.length ? Perm.AttachFiles : 0n);
      if ((perms & need) !== need) return err(403, 50013, 'Missing Permissions');
    } else if (ch.type === 1 && !ch.recipients?.length) {
      return err(403, 50007, 'Cannot send messages to this user');
    }
    const extra: Partial<StoredMessage> = {};
    if (body.message_reference?.message_id) {
      const ref = this.messages.get(String(body.message_reference.message_id));
      if (!ref || ref.deleted) {
        if (body.message_reference.fail_if_not_exists !== false) return { status: 400, body: invalidFormBody([{ path: 'message_reference', code: 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', message: 'Unknown message' }]) };
      } else {
        extra.type = 19;
        extra.messageReference = { type: 0, message_id: ref.id, channel_id: ref.channelId, ...(ref.guildId ? { guild_id: ref.guildId } : {}) };
      }
    }
    const created = this.createMessage(ch, { ...body, flags: Number(body.flags ?? 0) & ~MessageFlag.Ephemeral }, c.files, extra);
    if (!('id' in created)) return created;
    this.emitMessageEvent('MESSAGE_CREATE', created, c.host);
    return { status: 200, body: this.messageJson(created, c.host) };
  }

  // -------------------------------------------------------------------------------------------
  // Interaction callbacks, follow-ups
  // -------------------------------------------------------------------------------------------

  private interactionMessageExtra(s: InteractionState): Partial<StoredMessage> {
    const user = this.users.get(s.userId)!;
    return {
      type: s.type === 2 ? 20 : 0,
      webhookId: this.applicationId,
      applicationId: this.applicationId,
      interactionMetadata: {
        id: s.id,
        type: s.type,
        user: { ...user },
        authorizing_integration_owners: { '0': this.guildId },
        ...(s.name ? { name: s.name } : {}),
        ...(s.sourceMessageId ? { interacted_message_id: s.sourceMessageId } : {}),
      },
    };
  }

  private onCallback(c: Ctx): Reply {
    const at = c.rec.perfAt;
    const body = c.body ?? {};
    const type = Number(body.type);
    const withResponse = c.rec.query.with_response === 'true';
    const s = this.interactions.get(c.params.interactionId);
    const record = (reply: Reply): Reply => {
      if (s) {
        s.callbacks.push({
          type,
          data: body.data,
          files: c.files,
          at,
          atEpoch: c.rec.at,
          status: reply.status,
          ...(reply.status >= 300 ? { error: reply.body } : {}),
          withResponse,
        });
      }
      return reply;
    };
    if (!s || s.token !== c.params.token) return record(unknown.interaction());
    if (this.ackDeadlineMs !== undefined && at - s.sentAt > this.ackDeadlineMs && !s.acked) return record(unknown.interaction());
    if (s.acked) return record(err(400, 40060, 'Interaction has already been acknowledged.'));
    const invalidType = () => record({ status: 400, body: invalidFormBody([{ path: 'type', code: 'INTERACTION_RESPONSE_TYPE_INVALID', message: 'Interaction response type is invalid for this interaction' }]) });
    const channel = this.channels.get(s.channelId)!;
    const data = body.data ?? {};
    let message: StoredMessage | undefined;

    switch (type) {
      case 4: {
        if (s.type === 4) return invalidType();
        const created = this.createMessage(channel, data, c.files, this.interactionMessageExtra(s), true, 'data.');
        if (!('id' in created)) return record(created);
        message = created;
        s.originalMessageId = created.id;
        s.originalHistory.push(this.snapshot(created));
        this.emitMessageEvent('MESSAGE_CREATE', created, c.host);
        break;
      }
      case 5: {
        if (s.type === 4) return invalidType();
        const flags = (Number(data.flags ?? 0) & MessageFlag.Ephemeral) | MessageFlag.Loading;
        const created = this.createMessage(channel, { content: '', flags }, [], this.interactionMessageExtra(s), false);
        message = created as StoredMessage;
        s.originalMessageId = message.id;
        s.originalHistory.push(this.snapshot(message));
        this.emitMessageEvent('MESSAGE_CREATE', message, c.host);
        break;
      }
      case 6:
      case 7: {
        if (!s.sourceMessageId) return invalidType();
        const src = this.messages.get(s.sourceMessageId);
        if (!src || src.deleted) return record(unknown.message());
        if (type === 7) {
          const bad = this.applyEdit(src, data, c.files, 'data.');
          if (bad) return record(bad);
          this.emitMessageEvent('MESSAGE_UPDATE', src, c.host);
        }
        message = src;
        s.originalMessageId = src.id;
        if (type === 7) s.originalHistory.push(this.snapshot(src));
        break;
      }
      case 8: {
        if (s.type !== 4) return invalidType();
        if (this.opts.validate) {
          const bad = validateAutocompleteChoices(data.choices);
          if (bad) return record(bad);
        }
        s.autocompleteChoices = cloneJson(data.choices);
        break;
      }
      case 9: {
        if (s.type === 4 || s.type === 5) return invalidType();
        if (!data.custom_id || !Array.isArray(data.components) || typeof data.title !== 'string') {
          return record({ status: 400, body: invalidFormBody([{ path: 'data', code: 'BASE_TYPE_REQUIRED', message: 'Modal needs custom_id, title and components' }]) });
        }
        s.modal = cloneJson(data);
        break;
      }
      case 10:
      case 12:
        if (s.type === 4) return invalidType();
        break;
      default:
        return invalidType();
    }
    s.acked = true;
    record({ status: withResponse ? 200 : 204 });
    if (!withResponse) return { status: 204 };
    return {
      status: 200,
      body: {
        interaction: {
          id: s.id,
          type: s.type,
          ...(message
            ? {
                response_message_id: message.id,
                response_message_loading: Boolean(message.flags & MessageFlag.Loading),
                response_message_ephemeral: Boolean(message.flags & MessageFlag.Ephemeral),
              }
            : {}),
        },
        resource: { type, ...(message && (type === 4 || type === 7) ? { message: this.messageJson(message, c.host) } : {}) },
      },
    };
  }

  private onFollowUp(s: InteractionState, c: Ctx): Reply {
    const body = c.body ?? {};
    const original = s.originalMessageId ? this.messages.get(s.originalMessageId) : undefined;
    // Discord: the first follow-up after a deferred reply replaces the "thinking…" message.
    if (original && !original.deleted && original.flags & MessageFlag.Loading) {
      const bad = this.applyEdit(original, { ...body, flags: undefined }, c.files);
      if (bad) return bad;
      s.originalHistory.push(this.snapshot(original));
      s.followUpIds.push(original.id);
      this.emitMessageEvent('MESSAGE_UPDATE', original, c.host);
      return { status: 200, body: this.messageJson(original, c.host) };
    }
    const channel = this.channels.get(s.channelId)!;
    const extra = this.interactionMessageExtra(s);
    const created = this.createMessage(channel, { ...body, flags: Number(body.flags ?? 0) & ~MessageFlag.Loading }, c.files, extra);
    if (!('id' in created)) return created;
    s.followUpIds.push(created.id);
    this.emitMessageEvent('MESSAGE_CREATE', created, c.host);
    return { status: 200, body: this.messageJson(created, c.host) };
  }
}

export default DiscordEmulator;
