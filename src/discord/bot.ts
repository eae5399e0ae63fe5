/**
 * The Discord transport: slash commands in, embeds out, through the same executeCommand every
 * other transport uses. Per interaction:
 *
 *   1. arguments validated (a mistake gets an ephemeral answer at once, and is audited);
 *   2. permissions checked on our side (refusal: ephemeral, audited, nothing runs);
 *   3. deferred within milliseconds, so Discord's 3-second deadline is never at risk;
 *   4. commands that ask first (remove-node, nat disable) or that would change a node in use
 *      show their dry-run plan with Apply / Cancel buttons for the invoking user only;
 *   5. the reply is edited as steps complete (throttled), then replaced by the result embeds;
 *      overflow goes to follow-ups or an attached file.
 */
import { once } from 'node:events';
import * as crypto from 'node:crypto';
import {
  ButtonStyle,
  Client,
  ComponentType,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Options,
  REST,
  PermissionFlagsBits,
  type APIEmbed,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type ClientOptions,
  type GuildMemberRoleManager,
  type Interaction,
  type InteractionEditReplyOptions,
  type InteractionReplyOptions,
  type User,
} from 'discord.js';
import { commands as allCommands } from '../../commands';
import { maxNode, nodeMacs } from '../cluster/model';
import { actorLabel, executeCommand, newIncidentId, prepareArgs, recordAuditSafe } from '../commands/run';
import type { Actor, Args, CommandDef, CommandResult } from '../commands/types';
import { formatDuration } from '../config';
import type { Engine } from '../engine';
import { errorMessage } from '../errors';
import { log } from '../log';
import { recordAudit } from '../state/audit';
import { getNode, listNodes } from '../state/inventory';
import { listLinks, type LinkInfo } from '../system/links';
import { pingHost } from '../system/ping';
import type { ProgressEvent } from '../steps/step';
import { DiscordAlertSink } from './alerts';
import { LiveMessage } from './live';
import { authorize, type Caller } from './permissions';
import {
  COLOR,
  code,
  embedTextLength,
  esc,
  fmtMs,
  LIMITS,
  noticeEmbed,
  progressEmbed,
  ProgressState,
  refusalContent,
  renderResultMessages,
  type DiscordMessage,
} from './render';
import { commandLine, rawArgsFromOptions, slashLine, type InteractionOption } from './slash';

export interface BotOptions {
  /** The commands to serve (default: every command in commands/). Tests pass their own. */
  defs?: CommandDef[];
  /** Minimum time between two edits of a progress message (default 1000 ms). */
  editIntervalMs?: number;
  /** How long shutdown waits for running commands after aborting them (default 25 s). */
  shutdownGraceMs?: number;
  /** Extra discord.js client options (tests: identify throttling). */
  clientOptions?: Partial<ClientOptions>;
}

interface ReplyTarget {
  edit(m: InteractionEditReplyOptions): Promise<unknown>;
  followUp(m: InteractionReplyOptions): Promise<unknown>;
  /** Tell the user about their mistake: ephemeral when Discord allows it here. */
  mistake(content: string): Promise<unknown>;
}

interface PendingConfirmation {
  token: string;
  userId: string;
  def: CommandDef;
  raw: Record<string, unknown>;
  args: Args;
  actor: Actor;
  label: string;
  slash: ChatInputCommandInteraction;
  plan: APIEmbed[];
  expiresAt: number;
  timer: NodeJS.Timeout;
}

const EPHEMERAL = MessageFlags.Ephemeral;
const BUTTON_RE = /^pc:(apply|cancel):([0-9a-f]{16}):([a-z0-9-]{1,32})$/;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `p`, or `fallback` after `ms`, without leaving a timer behind. */
async function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((r) => (timer = setTimeout(() => r(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function safely<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function actorOf(u: User): Actor {
  return { id: u.id, name: u.username, transport: 'discord' };
}

export function callerOf(i: Interaction): Caller {
  const m = i.member;
  let roleIds: string[] = [];
  if (m) roleIds = Array.isArray(m.roles) ? [...m.roles] : [...(m.roles as GuildMemberRoleManager).cache.keys()];
  return {
    userId: i.user.id,
    guildId: i.guildId,
    channelId: i.channelId,
    roleIds,
    isAdmin: Boolean(i.memberPermissions?.has(PermissionFlagsBits.Administrator)),
  };
}

/** The shape executeCommand gives a UserError thrown while running: shown to the user only, like a refusal. */
function isUserMistake(def: CommandDef, r: CommandResult): boolean {
  return r.outcome === 'refused' || (r.outcome === 'failed' && r.title === `${def.name} failed` && !r.steps?.length && !r.tables?.length);
}

function toFiles(m: DiscordMessage) {
  return m.files.map((f) => ({ attachment: Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content, 'utf8'), name: f.name }));
}

function fitEmbeds(embeds: APIEmbed[]): { embeds: APIEmbed[]; dropped: number } {
  const out = [...embeds];
  let dropped = 0;
  while (out.length > LIMITS.embedsPerMessage || out.reduce((n, e) => n + embedTextLength(e), 0) > LIMITS.messageEmbedText) {
    out.pop();
    dropped++;
  }
  return { embeds: out, dropped };
}

/** Nodes the invocation targets that are provisioned, linked and answering: changing them needs a confirmation. */
export async function nodesInUse(engine: Engine, def: CommandDef, args: Args): Promise<number[]> {
  const nodes = new Set<number>();
  for (const o of def.options) {
    const v = args[o.name];
    if (o.type !== 'node' && o.type !== 'nodeOrAll') continue;
    if (typeof v === 'number') nodes.add(v);
    else if (v === 'all') for (const n of engine.inventory()) nodes.add(n);
  }
  const provisioned = [...nodes].filter((n) => getNode(engine.db, n)?.provisionedAt);
  if (!provisioned.length) return [];
  const links = await listLinks();
  const answering = await Promise.all(
    provisioned.map(async (n) => {
      const a = engine.node(n);
      const link = links.find((l) => l.mac === a.hostMac);
      if (!link?.carrier) return null;
      const p = await pingHost(a.workerIp, { count: 1, waitS: 1 });
      return p.received ? n : null;
    }),
  );
  return answering.filter((n): n is number => n !== null).sort((a, b) => a - b);
}

/** Autocomplete choices for a node option: the inventory, Pis plugged in but not added yet, and what was typed. */
export async function nodeChoices(engine: Engine, kind: 'node' | 'nodeOrAll', typed: string): Promise<Array<{ name: string; value: string | number }>> {
  const text = typed.trim().toLowerCase();
  const max = maxNode(engine.config.cluster);
  const recs = listNodes(engine.db);
  let links: LinkInfo[] = [];
  try {
    links = await within(listLinks(), 1500, [] as LinkInfo[]);
  } catch {
    links = [];
  }
  const byMac = new Map(links.map((l) => [l.mac, l]));
  const entries: Array<{ node: number; label: string }> = [];
  for (const r of recs) {
    const a = engine.node(r.node);
    const l = byMac.get(a.hostMac);
    const link = !l ? 'not plugged in' : l.carrier ? 'link up' : 'link down';
    entries.push({ node: r.node, label: `${r.node} — ${a.hostIface} ${a.workerIp} · ${r.provisionedAt ? 'provisioned' : 'not finished'} · ${link}` });
  }
  const known = new Set(recs.map((r) => r.node));
  const prefix = engine.config.cluster.macPrefix;
  if (links.some((l) => l.mac.startsWith(prefix))) {
    for (let n = 1; n <= max; n++) {
      if (known.has(n)) continue;
      const l = byMac.get(nodeMacs(n, prefix).hostMac);
      if (l) entries.push({ node: n, label: `${n} — plugged in (${l.name}), not added yet` });
    }
  }
  let list = entries.filter((e) => !text || String(e.node).startsWith(text));
  if (/^\d{1,3}$/.test(text) && Number(text) >= 1 && Number(text) <= max && !list.some((e) => e.node === Number(text))) {
    list.unshift({ node: Number(text), label: `${text} — not in the inventory` });
  }
  list = list.sort((a, b) => a.node - b.node);
  const out: Array<{ name: string; value: string | number }> = list.map((e) => ({ name: e.label.slice(0, 100), value: kind === 'node' ? e.node : String(e.node) }));
  if (kind === 'nodeOrAll' && 'all'.startsWith(text)) out.unshift({ name: `all — every node in the inventory (${recs.length})`, value: 'all' });
  return out.slice(0, 25);
}

export class DiscordBot {
  readonly defs: CommandDef[];
  private readonly rest: REST;
  private current: Client;
  private readonly editIntervalMs: number;
  private readonly running = new Set<Promise<void>>();
  private readonly pending = new Map<string, PendingConfirmation>();
  private readonly shutdown = new AbortController();
  private stopping: Promise<void> | null = null;
  private readyOnce = false;
  /** Interactions handled since start (benchmarks read it). */
  handled = 0;

  constructor(private readonly engine: Engine, private readonly opts: BotOptions = {}) {
    this.defs = opts.defs ?? allCommands;
    this.editIntervalMs = opts.editIntervalMs ?? 1000;
    const d = engine.config.discord;
    // Alerts go through their own REST client: it works without the gateway and outlives a client
    // that is replaced after a failed login.
    this.rest = new REST({ version: '10', ...(d.api ? { api: d.api } : {}), timeout: 15_000, retries: 3 });
    if (d.token) this.rest.setToken(d.token);
    this.current = this.createClient();
  }

  get client(): Client {
    return this.current;
  }

  private createClient(): Client {
    const d = this.engine.config.discord;
    const client = new Client({
      intents: [GatewayIntentBits.Guilds],
      // Every interaction token gets its own REST queue; sweep idle ones every minute, not every hour,
      // so memory does not climb with the number of interactions in between.
      rest: { ...(d.api ? { api: d.api } : {}), timeout: 15_000, retries: 3, handlerSweepInterval: 60_000 },
      // Never ping anyone from command output or alerts.
      allowedMentions: { parse: [] },
      // The bot edits interaction replies by token; it needs no message or member cache.
      makeCache: Options.cacheWithLimits({
        ...Options.DefaultMakeCacheSettings,
        MessageManager: 0,
        GuildMemberManager: { maxSize: 20, keepOverLimit: (m) => m.id === m.client.user.id },
        UserManager: { maxSize: 50, keepOverLimit: (u) => u.id === u.client.user.id },
        ReactionManager: 0,
        PresenceManager: 0,
      }),
      ...this.opts.clientOptions,
    });
    client.on(Events.InteractionCreate, (i) => this.onInteraction(i));
    client.on(Events.Error, (e) => log.error('discord client error', e));
    client.on(Events.Warn, (m) => log.warn(`discord: ${m}`));
    client.on(Events.ShardDisconnect, (ev, id) => log.warn(`discord gateway shard ${id} disconnected (code ${ev.code}); reconnecting`));
    client.on(Events.ShardReconnecting, (id) => log.info(`discord gateway shard ${id} reconnecting`));
    client.on(Events.ShardResume, (id, replayed) => log.info(`discord gateway shard ${id} resumed (${replayed} events replayed)`));
    client.on(Events.ShardError, (e, id) => log.warn(`discord gateway shard ${id} error: ${e.message}`));
    client.on(Events.Invalidated, () => log.error('discord session invalidated'));
    return client;
  }

  /** The sink monitoring posts alerts through (ALERT_CHANNEL_ID). */
  alertSink(): DiscordAlertSink {
    return new DiscordAlertSink(this.rest, this.engine.config.discord.alertChannelId);
  }

  /** Logs in, retrying with backoff while Discord is unreachable; an invalid token is fatal. */
  async start(): Promise<void> {
    const token = this.engine.config.discord.token;
    if (!token) throw new Error('DISCORD_TOKEN is not set.');
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) return;
      const ready = once(this.client, Events.ClientReady);
      ready.catch(() => undefined);
      try {
        await this.client.login(token);
        await ready;
        break;
      } catch (e) {
        const codeOf = (e as { code?: unknown }).code;
        if (codeOf === 'TokenInvalid' || (e instanceof DiscordAPIError && e.status === 401) || /4004|Authentication failed/.test(errorMessage(e))) {
          throw new Error('Discord refused DISCORD_TOKEN (invalid token). Copy the bot token again from the developer portal (Bot → Reset Token) into .env.');
        }
        const wait = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
        log.warn(`could not connect to Discord (${errorMessage(e)}); retrying in ${Math.round(wait / 1000)} s`);
        // A client whose login failed is destroyed for good (it would never reconnect): start afresh.
        await this.current.destroy().catch(() => undefined);
        this.current = this.createClient();
        await sleep(wait);
      }
    }
    this.readyOnce = true;
    log.info(`discord: logged in as ${this.client.user?.tag ?? '?'}; ${this.defs.length} commands; operator roles: ${this.engine.config.discord.operatorRoleIds.join(', ') || '(none: admins only)'}`);
  }

  get ready(): boolean {
    return this.readyOnce && this.client.isReady();
  }

  /**
   * Graceful shutdown: refuse new interactions, abort running commands (their remaining steps are
   * marked skipped in the reply), close open confirmations, run `beforeLogout` (stop monitoring),
   * then disconnect. Engine closing is the caller's job.
   */
  stop(opts: { beforeLogout?: () => Promise<void> } = {}): Promise<void> {
    this.stopping ??= (async () => {
      this.shutdown.abort();
      const grace = this.opts.shutdownGraceMs ?? 25_000;
      if (this.running.size) {
        log.info(`shutting down: waiting for ${this.running.size} running interaction(s) to finish or abort`);
        await within(Promise.allSettled([...this.running]).then(() => undefined), grace, undefined);
      }
      await Promise.allSettled([...this.pending.values()].map((p) => this.closeConfirmation(p, 'shutdown')));
      try {
        await opts.beforeLogout?.();
      } catch (e) {
        log.error('shutdown hook failed', e);
      }
      await this.client.destroy();
      log.info('discord: disconnected');
    })();
    return this.stopping;
  }

  // ------------------------------------------------------------------------------- dispatch

  private onInteraction(i: Interaction): void {
    this.handled++;
    const task: Promise<void> = this.handle(i)
      .catch((e) => this.internalFailure(i, e))
      .finally(() => this.running.delete(task));
    this.running.add(task);
  }

  private async handle(i: Interaction): Promise<void> {
    if (i.isAutocomplete()) return this.onAutocomplete(i);
    if (i.isChatInputCommand()) return this.onCommand(i);
    if (i.isButton()) return this.onButton(i);
  }

  private async internalFailure(i: Interaction, e: unknown): Promise<void> {
    const incident = newIncidentId();
    const what = i.isChatInputCommand() ? `/${i.commandName}` : i.isButton() ? `button ${i.customId}` : `interaction type ${i.type}`;
    log.error(`incident ${incident} handling ${what} from ${i.user.username} (${i.user.id})`, e);
    if (i.isAutocomplete()) {
      if (!i.responded) await i.respond([]).catch(() => undefined);
      return;
    }
    if (!i.isRepliable()) return;
    const content = `⚠️ Something went wrong inside picluster (incident ${code(incident)}). The bot log has the details under this id; nothing else is known here.`;
    try {
      if (i.deferred || i.replied) {
        await i.editReply({ content, embeds: [], components: [] }).catch(() => i.followUp({ content, flags: EPHEMERAL }));
      } else {
        await i.reply({ content, flags: EPHEMERAL });
      }
    } catch (e2) {
      log.error(`incident ${incident}: could not tell the user either: ${errorMessage(e2)}`);
    }
  }

  private refuse(i: ChatInputCommandInteraction | ButtonInteraction, def: CommandDef | undefined, raw: Record<string, unknown>, reason: string, hint: string | undefined, started: number): Promise<unknown> {
    if (def) {
      recordAuditSafe(this.engine, {
        actor: actorOf(i.user),
        command: def.name,
        args: raw,
        result: { ok: false, outcome: 'refused', title: `${def.name} refused`, summary: reason },
        durationMs: performance.now() - started,
      });
    }
    return i.reply({ content: refusalContent(reason, hint), flags: EPHEMERAL });
  }

  private auditOutcome(actor: Actor, def: CommandDef, raw: Record<string, unknown>, outcome: string, summary: string): void {
    try {
      recordAudit(this.engine.db, { at: Date.now(), actor: actorLabel(actor), transport: 'discord', command: def.name, args: raw, outcome, summary, durationMs: 0 });
    } catch (e) {
      log.error('could not write the audit log', e);
    }
  }

  // ------------------------------------------------------------------------------- acknowledgements first

  private acking = 0;
  private ackIdleWaiters: Array<() => void> = [];

  /**
   * Sends an acknowledgement (defer/update), then waits until no other acknowledgement is in flight
   * (at most 250 ms) before the caller starts the command's work. Acknowledgements have Discord's
   * 3-second deadline; the work can wait a few milliseconds. Without this, a burst of commands had
   * later deferrals queued behind the first commands' work (each process the bot spawns costs ~10 ms
   * of CPU).
   */
  private async acknowledge(send: () => Promise<unknown>): Promise<void> {
    this.acking++;
    try {
      await send();
    } finally {
      if (--this.acking === 0) {
        const waiters = this.ackIdleWaiters;
        this.ackIdleWaiters = [];
        for (const w of waiters) w();
      }
    }
    if (this.acking > 0) await within(new Promise<void>((r) => this.ackIdleWaiters.push(r)), 250, undefined);
    // Let gateway events that arrived meanwhile (more of the same burst) be parsed and acknowledged first.
    await new Promise((r) => setImmediate(r));
    if (this.acking > 0) await within(new Promise<void>((r) => this.ackIdleWaiters.push(r)), 250, undefined);
  }

  // ------------------------------------------------------------------------------- slash commands

  private async onCommand(i: ChatInputCommandInteraction): Promise<void> {
    const started = performance.now();
    const def = this.defs.find((d) => d.name === i.commandName);
    if (!def) {
      await i.reply({ content: refusalContent(`/${i.commandName} is not a picluster command.`, 'The command list in this server is out of date: an admin can refresh it with `npm run deploy-commands`.'), flags: EPHEMERAL });
      return;
    }
    const raw = rawArgsFromOptions(def, i.options.data as readonly InteractionOption[]);
    if (this.stopping) {
      await i.reply({ content: refusalContent('picluster is restarting; nothing was run.', `Try ${slashLine(def, raw)} again in a minute.`), flags: EPHEMERAL });
      return;
    }
    const prepared = prepareArgs(this.engine, def, raw);
    if (prepared.refusal) {
      await this.refuse(i, def, raw, prepared.refusal.summary, prepared.refusal.hint, started);
      return;
    }
    const args = prepared.args!;
    const mutates = safely(() => def.mutates(args), true);
    const decision = authorize(this.engine.config.discord, callerOf(i), mutates, def.name);
    if (!decision.allowed) {
      await this.refuse(i, def, raw, decision.reason, decision.hint, started);
      return;
    }
    await this.acknowledge(() => i.deferReply());
    const actor = actorOf(i.user);
    const label = commandLine(def, args);
    if (mutates && !args['dry-run']) {
      const reasons: string[] = [];
      if (safely(() => def.confirm?.(args) ?? false, true)) reasons.push(`${code(`/${def.name}`)} always asks before it changes anything.`);
      const touches = def.dryRun && safely(() => (def.changesManager ?? def.mutates)(args), true);
      if (touches) {
        const inUse = await nodesInUse(this.engine, def, args);
        if (inUse.length) reasons.push(`Node${inUse.length > 1 ? 's' : ''} ${inUse.join(', ')} ${inUse.length > 1 ? 'are' : 'is'} provisioned and answering: in use.`);
      }
      if (reasons.length) return this.askConfirmation(i, def, raw, args, actor, label, reasons);
    }
    await this.runAndShow(this.slashTarget(i), def, raw, actor, label);
  }

  private slashTarget(i: ChatInputCommandInteraction): ReplyTarget {
    return {
      edit: (m) => i.editReply(m),
      followUp: (m) => i.followUp(m),
      mistake: async (content) => {
        // The deferred reply is public; replace it with a message only the user sees.
        await i.deleteReply().catch(() => undefined);
        await i.followUp({ content, flags: EPHEMERAL });
      },
    };
  }

  /** Runs the command with live progress in the reply, then shows the result. */
  private async runAndShow(target: ReplyTarget, def: CommandDef, raw: Record<string, unknown>, actor: Actor, label: string): Promise<void> {
    const started = performance.now();
    const state = new ProgressState();
    const live = new LiveMessage<InteractionEditReplyOptions>((m) => target.edit(m), this.editIntervalMs);
    const progress = (e: ProgressEvent) => {
      state.apply(e);
      live.update(() => ({ embeds: [progressEmbed(state, label)], components: [] }));
    };
    const result = await executeCommand(this.engine, def, raw, actor, { progress, signal: this.shutdown.signal });
    if (isUserMistake(def, result)) {
      live.cancel();
      await target.mistake(refusalContent(result.summary, result.hint));
      return;
    }
    const aborted = this.shutdown.signal.aborted && (result.steps ?? []).some((s) => s.status === 'skipped' && /aborted/.test(s.summary));
    const messages = renderResultMessages(result, {
      label,
      footer: `${actor.name} · ${fmtMs(performance.now() - started)}`,
      notice: aborted ? 'picluster is shutting down: the steps marked skipped were not run. Run the command again once the bot is back; steps already done are skipped.' : undefined,
      fileBase: label,
    });
    const [first, ...rest] = messages;
    try {
      await live.finish({ content: '', embeds: first.embeds, components: [], files: toFiles(first) });
    } catch (e) {
      if (!(e instanceof DiscordAPIError) || e.status !== 400) throw e;
      // Discord refused what we built (a limit we got wrong): never leave the user without the result.
      log.error(`Discord refused the rendered result of ${label}; sending it as a file`, e);
      const text = renderResultMessages(result, { label, maxMessages: 0, fileBase: label });
      await target.edit({ content: '', embeds: [noticeEmbed(result.title, `${esc(result.summary)}\nThe full result is attached.`, COLOR.muted)], components: [], files: toFiles(text[0]) });
      return;
    }
    for (const m of rest) await target.followUp({ embeds: m.embeds, files: toFiles(m) });
  }

  // ------------------------------------------------------------------------------- confirmations

  private async askConfirmation(
    i: ChatInputCommandInteraction,
    def: CommandDef,
    raw: Record<string, unknown>,
    args: Args,
    actor: Actor,
    label: string,
    reasons: string[],
  ): Promise<void> {
    let planEmbeds: APIEmbed[] = [];
    let planFiles: DiscordMessage['files'] = [];
    if (def.dryRun) {
      const plan = await executeCommand(this.engine, def, { ...raw, 'dry-run': true }, actor, { signal: this.shutdown.signal });
      if (isUserMistake(def, plan)) {
        await this.slashTarget(i).mistake(refusalContent(plan.summary, plan.hint));
        return;
      }
      const rendered = renderResultMessages(plan, { label: `${label} --dry-run`, maxMessages: 1, fileBase: `${label}-plan` })[0];
      if (!plan.ok || plan.outcome === 'error') {
        // The plan itself failed: show why, offer nothing to apply.
        await i.editReply({ embeds: rendered.embeds, files: toFiles(rendered), components: [] });
        return;
      }
      planEmbeds = rendered.embeds;
      planFiles = rendered.files;
    }
    const token = crypto.randomBytes(8).toString('hex');
    const timeoutMs = this.engine.config.discord.confirmTimeoutMs;
    const expiresAt = Date.now() + timeoutMs;
    const header = this.confirmHeader(def, label, reasons, i.user.id, expiresAt, timeoutMs, Boolean(def.dryRun));
    const fitted = fitEmbeds([header, ...planEmbeds]);
    if (fitted.dropped) header.description += '\nThe plan is longer than one message: the rest of it is in the attachment.';
    const danger = safely(() => def.confirm?.(args) ?? false, true);
    await i.editReply({
      embeds: fitted.embeds,
      files: toFiles({ embeds: [], files: planFiles }),
      components: [
        {
          type: ComponentType.ActionRow,
          components: [
            { type: ComponentType.Button, style: danger ? ButtonStyle.Danger : ButtonStyle.Primary, label: 'Apply', custom_id: `pc:apply:${token}:${def.name}` },
            { type: ComponentType.Button, style: ButtonStyle.Secondary, label: 'Cancel', custom_id: `pc:cancel:${token}:${def.name}` },
          ],
        },
      ],
    });
    const pending: PendingConfirmation = {
      token,
      userId: i.user.id,
      def,
      raw,
      args,
      actor,
      label,
      slash: i,
      plan: fitted.embeds.slice(1),
      expiresAt,
      timer: setTimeout(() => {
        const p = this.pending.get(token);
        if (p) void this.closeConfirmation(p, 'expired');
      }, timeoutMs),
    };
    this.pending.set(token, pending);
    // Shutdown began while the plan was being shown: close it now rather than leave live buttons.
    if (this.stopping) await this.closeConfirmation(pending, 'shutdown');
  }

  private confirmHeader(def: CommandDef, label: string, reasons: string[], userId: string, expiresAt: number, timeoutMs: number, hasPlan: boolean): APIEmbed {
    const lines = [
      ...reasons,
      hasPlan ? 'The dry-run plan is below; nothing has been changed yet.' : `${esc(def.description)}.`,
      `Press **Apply** to run ${code(label)}, or **Cancel**. Only <@${userId}> can press them; they expire <t:${Math.ceil(expiresAt / 1000)}:R> (after ${formatDuration(timeoutMs)}).`,
    ];
    return { title: `Confirm: ${label}`.slice(0, LIMITS.title), description: lines.join('\n'), color: COLOR.planned };
  }

  /** Ends a confirmation that was not applied: edits its message so the buttons are gone and says why. */
  private async closeConfirmation(p: PendingConfirmation, why: 'expired' | 'cancelled' | 'shutdown', via?: ButtonInteraction): Promise<void> {
    if (this.pending.get(p.token) !== p) return;
    this.pending.delete(p.token);
    clearTimeout(p.timer);
    const again = `Run ${code(slashLine(p.def, p.raw))} again to start over.`;
    const text = {
      expired: [`⌛ Expired: nobody pressed Apply within ${formatDuration(this.engine.config.discord.confirmTimeoutMs)}. Nothing was changed.`, again],
      cancelled: [`Cancelled by <@${p.userId}>. Nothing was changed.`],
      shutdown: ['picluster shut down before this was confirmed. Nothing was changed.', again],
    }[why];
    const header: APIEmbed = { title: `${why === 'cancelled' ? 'Cancelled' : why === 'expired' ? 'Expired' : 'Not applied'}: ${p.label}`.slice(0, LIMITS.title), description: text.join('\n'), color: COLOR.muted };
    const { embeds } = fitEmbeds([header, ...p.plan]);
    this.auditOutcome(p.actor, p.def, p.raw, why === 'cancelled' ? 'cancelled' : 'expired', why === 'shutdown' ? 'confirmation closed by shutdown' : `confirmation ${why}`);
    try {
      if (via) await via.update({ embeds, components: [] });
      else await p.slash.editReply({ embeds, components: [] });
    } catch (e) {
      log.warn(`could not update the confirmation of ${p.label} (${why}): ${errorMessage(e)}`);
    }
  }

  private async onButton(i: ButtonInteraction): Promise<void> {
    const started = performance.now();
    const m = BUTTON_RE.exec(i.customId);
    if (!m) {
      await i.reply({ content: refusalContent('This button does not belong to picluster (or to an older version of it).'), flags: EPHEMERAL });
      return;
    }
    const [, action, token, name] = m;
    const def = this.defs.find((d) => d.name === name);
    const p = this.pending.get(token);
    if (!p) {
      await this.refuse(i, def, { button: action }, `This confirmation is no longer open (it expired, was already answered, or the bot restarted). Nothing was changed by this click.`, def ? `Run /${def.name} again.` : undefined, started);
      return;
    }
    if (i.user.id !== p.userId) {
      await this.refuse(i, p.def, { ...p.raw, button: action, for: p.userId }, `Only <@${p.userId}>, who ran ${code(p.label)}, can apply or cancel it. Nothing was changed.`, `Run /${p.def.name} yourself to get your own buttons.`, started);
      return;
    }
    if (action === 'cancel') {
      await this.closeConfirmation(p, 'cancelled', i);
      return;
    }
    // Apply: permissions again (roles can change within the confirmation window).
    const mutates = safely(() => p.def.mutates(p.args), true);
    const decision = authorize(this.engine.config.discord, callerOf(i), mutates, p.def.name);
    if (!decision.allowed) {
      await this.refuse(i, p.def, p.raw, decision.reason, decision.hint, started);
      return;
    }
    if (this.stopping) {
      await i.reply({ content: refusalContent('picluster is shutting down; nothing was applied.', 'Run the command again once the bot is back.'), flags: EPHEMERAL });
      return;
    }
    this.pending.delete(token);
    clearTimeout(p.timer);
    await this.acknowledge(() => i.update({ embeds: [{ title: `Applying ${p.label}`.slice(0, LIMITS.title), description: `Confirmed by <@${p.userId}>. Starting…`, color: COLOR.muted }], components: [] }));
    await this.runAndShow(
      {
        edit: (msg) => i.editReply(msg),
        followUp: (msg) => i.followUp(msg),
        mistake: (content) => i.editReply({ content: '', embeds: [noticeEmbed(`Not applied: ${p.label}`, content)], components: [] }),
      },
      p.def,
      p.raw,
      p.actor,
      p.label,
    );
  }

  // ------------------------------------------------------------------------------- autocomplete

  private async onAutocomplete(i: AutocompleteInteraction): Promise<void> {
    const def = this.defs.find((d) => d.name === i.commandName);
    const focused = i.options.getFocused(true);
    const opt = def?.options.find((o) => o.name === focused.name);
    const cfg = this.engine.config.discord;
    const channelOk = !cfg.allowedChannelIds.length || (i.channelId !== null && cfg.allowedChannelIds.includes(i.channelId));
    if (!opt || !channelOk || (opt.type !== 'node' && opt.type !== 'nodeOrAll') || this.stopping) {
      await i.respond([]);
      return;
    }
    // Integer options arrive focused as the string typed so far.
    await i.respond(await nodeChoices(this.engine, opt.type, String(focused.value ?? '')));
  }
}

/** Starts the Discord transport (main.ts stops it on SIGTERM). */
export async function startDiscord(engine: Engine, opts: BotOptions = {}): Promise<DiscordBot> {
  const bot = new DiscordBot(engine, opts);
  await bot.start();
  return bot;
}
