/**
 * The Discord transport in-process against the loopback emulator with real discord.js: no lab,
 * a throw-away data directory, and a few synthetic commands whose timing the tests control
 * (progress throttling, long output, failures, shutdown), next to real local commands.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MessageFlags, REST } from 'discord.js';
import { commands } from '../commands';
import { stepsResult } from '../src/provision';
import { CommandDef } from '../src/commands/types';
import { loadConfig } from '../src/config';
import { DiscordBot } from '../src/discord/bot';
import { DiscordAlertSink } from '../src/discord/alerts';
import { deployCommands } from '../src/discord/deploy';
import { Engine } from '../src/engine';
import { UserError } from '../src/errors';
import { registerSecret } from '../src/log';
import { recentAudit } from '../src/state/audit';
import { upsertNode } from '../src/state/inventory';
import { runSteps, Step } from '../src/steps/step';
import { DiscordEmulator, Perm } from './discord-emulator';

jest.setTimeout(60_000);

const TOKEN = 'inprocess.test.token-' + 'x'.repeat(20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Steps that take `ms` each and change something. */
function fakeSteps(n: number, ms: number): Step[] {
  return Array.from({ length: n }, (_, i) => {
    let done = false;
    return {
      id: `s${i + 1}`,
      title: `fake step ${i + 1}`,
      where: 'manager' as const,
      check: async () => {
        await sleep(ms / 2);
        return { inSync: done, summary: done ? 'in place' : `would set thing ${i + 1}`, diff: `-old ${i + 1}\n+new ${i + 1}` };
      },
      apply: async () => {
        await sleep(ms / 2);
        done = true;
      },
    };
  });
}

const applied: string[] = [];

const FAKE: CommandDef[] = [
  {
    name: 'slow',
    description: 'Six steps of 300 ms',
    options: [],
    mutates: () => false,
    run: async (ctx) => stepsResult('slow', await runSteps(fakeSteps(6, 300), { onProgress: ctx.progress, signal: ctx.signal }), false),
  },
  {
    name: 'boom',
    description: 'Fails unexpectedly',
    options: [],
    mutates: () => false,
    run: async () => {
      throw new Error('kaput: something internal');
    },
  },
  {
    name: 'oops',
    description: 'A user mistake found while running',
    options: [],
    mutates: () => false,
    run: async () => {
      throw new UserError('Node 7 is busy: held by cli:root since 12:00.', 'Wait for it to finish, then run it again.');
    },
  },
  {
    name: 'long',
    description: 'Long output',
    options: [{ name: 'lines', type: 'integer', min: 1, max: 100000, required: true, description: 'how many' }],
    mutates: () => false,
    run: async (_ctx, args) => {
      const rows = Array.from({ length: args.lines as number }, (_, i) => [String(i + 1), `row ${i + 1} ${'x'.repeat(60)}`, 'end']);
      return { ok: true, outcome: 'info', title: 'long output', summary: `${rows.length} rows`, tables: [{ columns: ['n', 'text', 'tail'], rows }] };
    },
  },
  {
    name: 'change',
    description: 'Changes node N (asks first)',
    options: [{ name: 'node', type: 'node', positional: true, required: true, description: 'node number' }],
    mutates: () => true,
    dryRun: true,
    confirm: () => true,
    run: async (ctx, args) => {
      const steps = fakeSteps(2, 20);
      const results = await runSteps(steps, { dryRun: ctx.dryRun, onProgress: ctx.progress, signal: ctx.signal });
      if (!ctx.dryRun) applied.push(`change ${args.node}`);
      return stepsResult(`change ${args.node}`, results, ctx.dryRun);
    },
  },
  {
    name: 'long-change',
    description: 'Twenty 250 ms steps that change something',
    options: [],
    mutates: () => true,
    run: async (ctx) => stepsResult('long-change', await runSteps(fakeSteps(20, 250), { onProgress: ctx.progress, signal: ctx.signal }), false),
  },
];

const real = (name: string) => commands.find((c) => c.name === name)!;
const DEFS = [...FAKE, real('nodes'), real('ssh-key'), real('status'), real('ping'), real('add-node'), real('sdcard'), real('nat'), real('route')];

describe('Discord transport in-process (real discord.js, emulator)', () => {
  let emu: DiscordEmulator;
  let engine: Engine;
  let bot: DiscordBot;
  let opsRole: string;
  let opsChannel: string;
  let elsewhere: string;
  const alice = '1300000000000002001'; // operator
  const bob = '1300000000000002002'; // member
  const carol = '1300000000000002003'; // admin
  const stderr: string[] = [];
  const origWrite = process.stderr.write.bind(process.stderr);

  beforeAll(async () => {
    (process.stderr as any).write = (chunk: any, ...rest: any[]) => {
      stderr.push(String(chunk));
      return origWrite(chunk, ...rest);
    };
    emu = new DiscordEmulator({ token: TOKEN, heartbeatIntervalMs: 500 });
    await emu.start();
    opsRole = emu.addRole({ name: 'Operators', permissions: '0' }).id;
    opsChannel = emu.addChannel({ name: 'cluster' }).id;
    elsewhere = emu.addChannel({ name: 'random' }).id;
    emu.addMember({ id: alice, username: 'alice', roles: [opsRole] });
    emu.addMember({ id: bob, username: 'bob' });
    emu.addAdmin({ id: carol, username: 'carol' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-discord-'));
    const config = loadConfig({
      DATA_DIR: dir,
      DISCORD_TOKEN: TOKEN,
      DISCORD_API: emu.api,
      DISCORD_APP_ID: emu.applicationId,
      GUILD_ID: emu.guildId,
      OPERATOR_ROLE_IDS: opsRole,
      ALLOWED_CHANNEL_IDS: `${emu.defaultChannelId},${opsChannel}`,
      CONFIRM_TIMEOUT: '2s',
      MONITORING: 'off',
      LOG_LEVEL: 'info',
    });
    registerSecret(TOKEN);
    engine = Engine.open(config);
    upsertNode(engine.db, 3, 'test', { provisionedAt: Date.now() });
    upsertNode(engine.db, 12, 'test', {});
    const r = await deployCommands(config, { defs: DEFS });
    expect(r.changed).toBe(true);
    bot = new DiscordBot(engine, { defs: DEFS, clientOptions: { ws: { buildIdentifyThrottler: () => ({ waitForIdentify: async () => undefined }) } as any } });
    await bot.start();
  });

  afterAll(async () => {
    await bot?.stop();
    await engine?.close();
    await emu?.stop();
    (process.stderr as any).write = origWrite;
  });

  const waitFinal = (id: string, pred: (r: ReturnType<DiscordEmulator['interaction']> & {}) => boolean = (r) => Boolean(r.original && !(r.original.flags & MessageFlags.Loading) && r.original.embeds.length && !/^(Running|Planning)/.test(r.original.embeds[0].title ?? '')), ms = 15_000) =>
    emu.waitFor(() => {
      const r = emu.interaction(id)!;
      return pred(r) ? r : undefined;
    }, ms, `final reply of ${id}`);

  test('deploy-commands: the second run sends nothing; options typed from the definitions', async () => {
    const before = emu.requests.length;
    const r = await deployCommands(engine.config, { defs: DEFS });
    expect(r).toMatchObject({ changed: false, count: DEFS.length });
    expect(emu.requests.slice(before).map((q) => q.method)).toEqual(['GET']);
    const cmds = emu.commands(emu.guildId);
    const add = cmds.find((c) => c.name === 'add-node');
    expect(add.default_member_permissions).toBe(String(Perm.ManageGuild));
    expect(add.options[0]).toMatchObject({ name: 'node', type: 4, min_value: 1, max_value: 245, autocomplete: true, required: true });
    expect(add.options.map((o: any) => o.name)).toEqual(['node', 'hostname', 'dry-run']);
    const nat = cmds.find((c) => c.name === 'nat');
    expect(nat.default_member_permissions).toBeNull();
    expect(nat.options.map((o: any) => [o.type, o.name, (o.options ?? []).map((x: any) => x.name)])).toEqual([
      [1, 'status', []],
      [1, 'enable', ['dry-run']],
      [1, 'disable', ['dry-run']],
    ]);
    expect(cmds.find((c) => c.name === 'ping').options[0]).toMatchObject({ name: 'node', type: 3, autocomplete: true });
    expect(cmds.find((c) => c.name === 'nodes').default_member_permissions).toBeNull();
    // a changed definition is sent again
    const again = await deployCommands(engine.config, { defs: DEFS.filter((d) => d.name !== 'boom') });
    expect(again.changed).toBe(true);
    await deployCommands(engine.config, { defs: DEFS });
  });

  test('a read-only command: deferred at once, then the result as an embed', async () => {
    const d = emu.dispatchSlashCommand({ user: bob, name: 'ssh-key' });
    const r = await waitFinal(d.id);
    expect(r.callbacks[0]).toMatchObject({ type: 5, status: 204 });
    expect(r.ackLatencyMs!).toBeLessThan(500);
    expect(r.original!.flags & MessageFlags.Ephemeral).toBe(0);
    expect(r.original!.embeds[0].title).toBe('bot SSH key');
    expect(r.original!.embeds[0].description).toContain('ssh-ed25519');
  });

  test('live progress: checklist edits at least 1 s apart, the final state with every step and its time', async () => {
    const d = emu.dispatchSlashCommand({ user: bob, name: 'slow' });
    const r = await waitFinal(d.id);
    const progress = r.edits.filter((e) => /^Running slow/.test(e.embeds[0]?.title ?? ''));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0].embeds[0].description).toMatch(/⏳|▫️/);
    for (let k = 1; k < r.edits.length; k++) expect(r.edits[k].at - r.edits[k - 1].at).toBeGreaterThanOrEqual(995);
    const final = r.original!.embeds[0];
    expect(final.title).toBe('slow: done');
    const lines = final.description.split('\n').filter((l: string) => l.includes('fake step'));
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(l).toMatch(/^🛠️ \*\*fake step \d\*\* — changed: .* · \d+ ms$/);
    // 6 × 300 ms: far fewer edits than events
    expect(r.edits.length).toBeLessThanOrEqual(4);
  });

  test('an unexpected failure: short message with an incident id that is in the log with the stack', async () => {
    const d = emu.dispatchSlashCommand({ user: bob, name: 'boom' });
    const r = await waitFinal(d.id);
    const e = r.original!.embeds[0];
    const id = /Incident `([0-9a-f]{8})`/.exec(e.description)?.[1];
    expect(id).toBeDefined();
    expect(e.description).not.toMatch(/at .*\.js:\d+/);
    const logged = stderr.join('');
    expect(logged).toMatch(new RegExp(`incident ${id} in boom[\\s\\S]*kaput: something internal\\n\\s+at `));
  });

  test('a user mistake found while running: the public reply is replaced by an ephemeral one', async () => {
    const d = emu.dispatchSlashCommand({ user: bob, name: 'oops' });
    const r = await emu.waitFor(() => {
      const x = emu.interaction(d.id)!;
      return x.followUps.some((m) => m.flags & MessageFlags.Ephemeral) ? x : undefined;
    });
    expect(r.original).toBeNull(); // the deferred public reply is deleted
    const msg = r.followUps.find((m) => m.flags & MessageFlags.Ephemeral)!;
    expect(msg.content).toMatch(/Node 7 is busy/);
    expect(msg.content).toMatch(/Wait for it to finish/);
  });

  test('bad input that can reach the bot (a string node option) is refused ephemerally and audited', async () => {
    for (const value of ['3;reboot', '0', 'all; rm -rf /']) {
      const d = emu.dispatchSlashCommand({ user: bob, name: 'ping', options: { node: value } });
      const cb = await emu.waitForCallback(d.id);
      expect(cb.type).toBe(4);
      expect(cb.data.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
      expect(cb.data.content).toMatch(value === '0' ? /Node 0 is out of range/ : /is not a node number/);
    }
    // integer options are typed by Discord: node 0 cannot even be sent
    expect(() => emu.dispatchSlashCommand({ user: alice, name: 'add-node', options: { node: 0 } })).toThrow(/min_value/);
    const audit = recentAudit(engine.db, 5, { command: 'ping' });
    expect(audit.filter((a) => a.outcome === 'refused').length).toBeGreaterThanOrEqual(3);
  });

  test('permissions: a member cannot change anything; the refusal is ephemeral and audited; operators and admins can', async () => {
    const before = applied.length;
    const d = emu.dispatchSlashCommand({ user: bob, name: 'change', options: { node: 5 } });
    const cb = await emu.waitForCallback(d.id);
    expect(cb.type).toBe(4);
    expect(cb.data.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    expect(cb.data.content).toMatch(/changes the cluster, so it needs the <@&\d+> role or Administrator\. Nothing was changed\./);
    const row = recentAudit(engine.db, 1, { command: 'change' })[0];
    expect(row).toMatchObject({ outcome: 'refused', actor: `discord:bob(${bob})` });
    // read-only sub-command of a mixed command: allowed; the mutating one: refused
    const st = emu.dispatchSlashCommand({ user: bob, name: 'nat', subcommand: 'status' });
    expect((await emu.waitForCallback(st.id)).type).toBe(5);
    const en = emu.dispatchSlashCommand({ user: bob, name: 'nat', subcommand: 'enable' });
    expect((await emu.waitForCallback(en.id)).data.content).toMatch(/needs the <@&/);
    // channels outside ALLOWED_CHANNEL_IDS
    const off = emu.dispatchSlashCommand({ user: carol, name: 'nodes', channelId: elsewhere });
    expect((await emu.waitForCallback(off.id)).data.content).toMatch(new RegExp(`answers in <#${emu.defaultChannelId}>, <#${opsChannel}> only`));
    // the admin gets the confirmation (no refusal)
    const adm = emu.dispatchSlashCommand({ user: carol, name: 'change', options: { node: 5 }, channelId: opsChannel });
    const r = await waitFinal(adm.id, (x) => Boolean(x.original?.components.length));
    expect(r.callbacks[0].type).toBe(5);
    expect(applied.length).toBe(before);
    const cancel = emu.dispatchButton({ user: carol, messageId: r.original!.id, customId: r.original!.components[0].components[1].custom_id });
    await emu.waitForCallback(cancel.id);
  });

  test('confirmation: plan with Apply/Cancel; others get "not yours"; Apply runs it', async () => {
    const before = applied.length;
    const d = emu.dispatchSlashCommand({ user: alice, name: 'change', options: { node: 4 } });
    const r = await waitFinal(d.id, (x) => Boolean(x.original?.components.length));
    const msg = r.original!;
    expect(msg.embeds[0].title).toBe('Confirm: change 4');
    expect(msg.embeds[0].description).toMatch(/Only <@\d+> can press them; they expire <t:\d+:R>/);
    expect(msg.embeds[1].title).toBe('change 4: dry run');
    expect(msg.embeds.some((e) => /```diff\n-old 1\n\+new 1/.test(e.description ?? ''))).toBe(true);
    const [apply, cancel] = msg.components[0].components;
    expect(apply).toMatchObject({ label: 'Apply', style: 4 });
    expect(cancel).toMatchObject({ label: 'Cancel' });

    const other = emu.dispatchButton({ user: bob, messageId: msg.id, customId: apply.custom_id });
    const ocb = await emu.waitForCallback(other.id);
    expect(ocb.type).toBe(4);
    expect(ocb.data.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    expect(ocb.data.content).toMatch(/Only <@\d+>, who ran `change 4`, can apply or cancel it/);
    expect(emu.message(msg.id)!.components).toHaveLength(1);
    expect(applied.length).toBe(before);

    const click = emu.dispatchButton({ user: alice, messageId: msg.id, customId: apply.custom_id });
    expect((await emu.waitForCallback(click.id)).type).toBe(7);
    await emu.waitFor(() => emu.message(msg.id)!.embeds[0]?.title === 'change 4: done', 10_000, 'applied');
    expect(emu.message(msg.id)!.components).toEqual([]);
    expect(applied.slice(before)).toEqual(['change 4']);
  });

  test('confirmation expiry: the message says so, a later (stale) click is refused, nothing runs', async () => {
    const before = applied.length;
    const d = emu.dispatchSlashCommand({ user: alice, name: 'change', options: { node: 6 } });
    const r = await waitFinal(d.id, (x) => Boolean(x.original?.components.length));
    const msg = r.original!;
    const apply = msg.components[0].components[0].custom_id;
    await emu.waitFor(() => (emu.message(msg.id)!.components.length === 0 ? true : undefined), 6000, 'expiry edit');
    const expired = emu.message(msg.id)!;
    expect(expired.embeds[0].title).toBe('Expired: change 6');
    expect(expired.embeds[0].description).toMatch(/nobody pressed Apply within 2s\. Nothing was changed/);
    const late = emu.dispatchButton({ user: alice, messageId: msg.id, customId: apply, stale: true });
    const cb = await emu.waitForCallback(late.id);
    expect(cb.data.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    expect(cb.data.content).toMatch(/no longer open/);
    await sleep(300);
    expect(applied.length).toBe(before);
    expect(recentAudit(engine.db, 5, { command: 'change' }).map((a) => a.outcome)).toEqual(expect.arrayContaining(['expired', 'refused']));
  });

  test('long output is split into follow-ups, longer output attached as a file; nothing is cut', async () => {
    const mid = emu.dispatchSlashCommand({ user: bob, name: 'long', options: { lines: 120 } });
    const r = await emu.waitFor(() => {
      const x = emu.interaction(mid.id)!;
      return x.followUps.length >= 1 && x.original?.embeds[0]?.title === 'long output' ? x : undefined;
    }, 15_000);
    await sleep(1500);
    const all = [r.original!, ...emu.interaction(mid.id)!.followUps.filter((m) => m.id !== r.original!.id)];
    const text = all.flatMap((m) => m.embeds.map((e) => e.description ?? '')).join('\n');
    for (const n of [1, 60, 120]) expect(text).toContain(`**${n}** · text: row ${n} `);
    for (const m of all) {
      const size = m.embeds.reduce((a, e) => a + (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text?.length ?? 0) + (e.author?.name?.length ?? 0), 0);
      expect(size).toBeLessThanOrEqual(6000);
    }

    const big = emu.dispatchSlashCommand({ user: bob, name: 'long', options: { lines: 3000 } });
    const b = await waitFinal(big.id);
    const att = b.original!.attachments.find((a) => a.filename.endsWith('.txt'))!;
    expect(att.filename).toBe('long-lines-3000.txt');
    const body = att.data.toString();
    expect(body).toContain('3000  row 3000');
    expect(b.original!.embeds.at(-1)!.title).toBe('Output continues in the attachment');
  });

  test('autocomplete of node numbers comes from the inventory', async () => {
    const a = emu.dispatchAutocomplete({ user: bob, name: 'ping', options: { node: '' }, focused: 'node' });
    await emu.waitForCallback(a.id);
    const choices = emu.interaction(a.id)!.autocompleteChoices!;
    expect(choices.map((c: any) => c.value)).toEqual(['all', '3', '12']);
    expect(choices[1].name).toMatch(/^3 — ethpi3 10\.0\.13\.2 · provisioned/);
    const b = emu.dispatchAutocomplete({ user: alice, name: 'add-node', options: { node: '1' }, focused: 'node' });
    await emu.waitForCallback(b.id);
    expect(emu.interaction(b.id)!.autocompleteChoices!.map((c: any) => c.value)).toEqual([1, 12]);
  });

  test('/status reads well on a phone: one compact block per node', async () => {
    const d = emu.dispatchSlashCommand({ user: bob, name: 'status' });
    const r = await waitFinal(d.id);
    const nodes = r.original!.embeds.find((e) => (e.fields ?? []).length)!;
    expect(nodes.fields.map((f: any) => f.name)).toEqual(['🔴 node 3 · ethpi3', '🔴 node 12 · ethpi12']);
    expect(nodes.fields[0].value).toMatch(/^link \*\*absent\*\* · not pinged\naddr -\nRX - pkts · - · err - · drop -\nTX - pkts/);
  });

  test('alerts: embeds in ALERT_CHANNEL_ID with the outbox nonce and enforce_nonce', async () => {
    const sink = new DiscordAlertSink(new REST({ version: '10', api: emu.api }).setToken(TOKEN), opsChannel);
    await sink.deliver({ id: 1, nonce: 'pc0123456789abcdef', kind: 'alert', severity: 'critical', node: 3, state: 'down', title: 'node 3 is down', text: 'no reply to 20 echoes', fields: [{ name: 'since', value: '12:00:01' }], createdAt: Date.now() });
    const req = await emu.waitForRequest((q) => q.method === 'POST' && q.path === `/channels/${opsChannel}/messages`);
    expect(req.body).toMatchObject({ nonce: 'pc0123456789abcdef', enforce_nonce: true });
    const m = emu.channelMessages(opsChannel).at(-1)!;
    expect(m.embeds[0]).toMatchObject({ title: '🔴 node 3 is down', description: 'no reply to 20 echoes', color: 0xe74c3c });
    expect(m.embeds[0].fields[0]).toMatchObject({ name: 'since', value: '12:00:01' });
  });

  test('the token never appears in anything sent or logged', () => {
    expect(stderr.join('')).not.toContain(TOKEN);
    expect(JSON.stringify(emu.requests.map((r) => r.body))).not.toContain(TOKEN);
  });

  test('shutdown aborts a running command: its remaining steps are marked, then the bot logs out', async () => {
    const d = emu.dispatchSlashCommand({ user: alice, name: 'long-change' });
    await emu.waitFor(() => (emu.interaction(d.id)!.edits.length >= 1 ? true : undefined), 10_000, 'first progress edit');
    // also an open confirmation, closed by the shutdown
    const c = emu.dispatchSlashCommand({ user: alice, name: 'change', options: { node: 8 } });
    const conf = await waitFinal(c.id, (x) => Boolean(x.original?.components.length));
    await bot.stop();
    const r = emu.interaction(d.id)!;
    const final = r.original!.embeds[0];
    expect(final.description).toMatch(/shutting down: the steps marked skipped were not run/);
    expect(final.description).toMatch(/⏭️ \*\*fake step 20\*\* — skipped: aborted: the bot is shutting down/);
    expect(emu.message(conf.original!.id)!.embeds[0].title).toBe('Not applied: change 8');
    expect(emu.message(conf.original!.id)!.components).toEqual([]);
    expect(emu.isConnected()).toBe(false);
  });
});

describe('Discord login', () => {
  const fresh = (emu: DiscordEmulator, token: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-discord-login-'));
    return Engine.open(loadConfig({ DATA_DIR: dir, DISCORD_TOKEN: token, DISCORD_API: emu.api, GUILD_ID: emu.guildId, MONITORING: 'off' }));
  };
  const noThrottle = { ws: { buildIdentifyThrottler: () => ({ waitForIdentify: async () => undefined }) } as any };

  test('Discord unreachable at start: the bot keeps retrying and logs in once it answers', async () => {
    const emu = new DiscordEmulator({ token: TOKEN });
    await emu.start();
    const engine = fresh(emu, TOKEN);
    const bot = new DiscordBot(engine, { defs: FAKE, clientOptions: noThrottle });
    try {
      emu.setRefuseConnections(true);
      const started = bot.start();
      await emu.waitFor(() => emu.refusedConnections >= 2, 20_000, 'refused attempts');
      expect(bot.ready).toBe(false);
      emu.setRefuseConnections(false);
      await started;
      expect(bot.ready).toBe(true);
      await emu.waitForReady(10_000);
      // the client that finally logged in handles interactions
      const d = emu.dispatchSlashCommand({ user: emu.ownerId, name: 'long', options: { lines: 2 } });
      await emu.waitFor(() => emu.original(d.id)?.embeds[0]?.title === 'long output', 10_000, 'answer');
    } finally {
      await bot.stop();
      await engine.close();
      await emu.stop();
    }
  });

  test('an invalid token stops at once with a message that says what to do (and not the token)', async () => {
    const emu = new DiscordEmulator({ token: TOKEN });
    await emu.start();
    const wrong = 'wrong.token-' + 'w'.repeat(30);
    const engine = fresh(emu, wrong);
    const bot = new DiscordBot(engine, { defs: FAKE, clientOptions: noThrottle });
    try {
      const err = await bot.start().then(() => null, (e: Error) => e);
      expect(err?.message).toMatch(/Discord refused DISCORD_TOKEN \(invalid token\)\. Copy the bot token again/);
      expect(err?.message).not.toContain(wrong);
    } finally {
      await bot.stop();
      await engine.close();
      await emu.stop();
    }
  });
});
