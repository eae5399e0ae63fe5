/**
 * End to end: the real bot (`node dist/src/main.js` with DISCORD_TOKEN) inside the lab's manager,
 * real discord.js talking to the loopback Discord emulator run here (via a Unix socket forwarded
 * into the manager's network namespace), interactions dispatched as members with given roles, and
 * the effects checked in the lab: addresses, files, rules, and what the bot sent to "Discord".
 */
import { ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MessageFlags } from 'discord.js';
import { DiscordEmulator, type InteractionRecord } from './discord-emulator';
import { Lab, REPO_ROOT } from './lab/lab';
import { cli } from './support/cli';
import { managerSnapshot, parseJson, workerSnapshot } from './support/snapshot';

jest.setTimeout(240_000);

// Shaped like a real bot token, so a leak would be recognisable.
const TOKEN = `MTMwMDAwMDAwMDAwMDAwMDAwMQ.${crypto.randomBytes(4).toString('hex')}.${crypto.randomBytes(18).toString('base64url')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Discord bot on the lab (real discord.js, emulator)', () => {
  let emu: DiscordEmulator;
  let lab: Lab;
  let bot: ChildProcess;
  let output = '';
  let exit: Promise<number | null>;
  let sock: string;
  let port: number;
  let opsRole: string;
  let alertChannel: string;
  const alice = '1300000000000003001'; // operator
  const bob = '1300000000000003002'; // plain member

  const botEnv = () => ({
    DISCORD_TOKEN: TOKEN,
    DISCORD_API: `http://127.0.0.1:${port}/api`,
    DISCORD_APP_ID: emu.applicationId,
    GUILD_ID: emu.guildId,
    OPERATOR_ROLE_IDS: opsRole,
    ALERT_CHANNEL_ID: alertChannel,
    CONFIRM_TIMEOUT: '6s',
    MONITORING: 'on',
    LOG_LEVEL: 'info',
  });

  beforeAll(async () => {
    emu = new DiscordEmulator({ token: TOKEN, heartbeatIntervalMs: 2000 });
    await emu.start();
    emu.ackDeadlineMs = 3000; // Discord's: a late acknowledgement is "The application did not respond"
    sock = path.join(os.tmpdir(), `pc-discord-${process.pid}-${Date.now()}.sock`);
    await emu.listenUnix(sock);
    opsRole = emu.addRole({ name: 'Operators' }).id;
    alertChannel = emu.addChannel({ name: 'alerts' }).id;
    emu.addMember({ id: alice, username: 'alice', roles: [opsRole] });
    emu.addMember({ id: bob, username: 'bob' });
    lab = await Lab.create({ nodes: [1, 2], fresh: [1] });
    port = 20000 + Math.floor(Math.random() * 20000);
    await lab.exposeUnixSocket(sock, port);

    // npm run deploy-commands, as the manager runs it
    const deploy = await lab.managerExec([process.execPath, path.join(REPO_ROOT, 'dist/src/discord/deploy.js')], { env: botEnv(), timeoutMs: 60_000 });
    expect(deploy.stderr).toBe('');
    expect(deploy.stdout).toMatch(/^Registered \d+ slash commands for server \d+\.\n$/);
    const again = await lab.managerExec([process.execPath, path.join(REPO_ROOT, 'dist/src/discord/deploy.js')], { env: botEnv(), timeoutMs: 60_000 });
    expect(again.stdout).toMatch(/are up to date; nothing was sent/);
    expect(emu.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);

    bot = lab.spawnInManager([process.execPath, path.join(REPO_ROOT, 'dist/src/main.js')], { env: botEnv() });
    bot.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    bot.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    exit = new Promise((resolve) => bot.on('exit', (code) => resolve(code)));
    await emu.waitForReady(60_000);
  });

  afterAll(async () => {
    if (bot && bot.exitCode === null && bot.signalCode === null) {
      bot.kill('SIGKILL');
      await exit;
    }
    if (process.env.DISCORD_TEST_LOG) fs.writeFileSync(process.env.DISCORD_TEST_LOG, output);
    await lab?.destroy();
    await emu?.stop();
    if (sock) fs.rmSync(sock, { force: true });
  });

  /** The interaction once its reply no longer shows progress (or `pred` holds). */
  const settled = (id: string, pred?: (r: InteractionRecord) => boolean, ms = 120_000) =>
    emu.waitFor(
      () => {
        const r = emu.interaction(id)!;
        if (pred) return pred(r) ? r : undefined;
        const o = r.original;
        return o && !(o.flags & MessageFlags.Loading) && o.embeds.length && !/^(Running|Planning|Applying)/.test(o.embeds[0].title ?? '') ? r : undefined;
      },
      ms,
      `reply to ${id}`,
    );
  const withButtons = (id: string) => settled(id, (r) => Boolean(r.original?.components.length));
  const button = (msgId: string, label: string) => emu.message(msgId)!.components[0].components.find((c: any) => c.label === label).custom_id as string;
  const ephemeralText = async (id: string) => {
    const cb = await emu.waitForCallback(id, 10_000);
    expect(cb.type).toBe(4);
    expect(cb.data.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    return cb.data.content as string;
  };

  test('the bot logs in, and starts monitoring in Discord mode', async () => {
    await emu.waitFor(() => /discord: logged in as/.test(output), 10_000, 'login log line');
    await emu.waitFor(() => /monitor: checking/.test(output), 20_000, 'monitoring started');
    expect(emu.identifies[0].intents).toBe(1); // Guilds only
  });

  test('/add-node by a member without the operator role: ephemeral refusal, nothing changed, audited', async () => {
    const m0 = await managerSnapshot(lab);
    const w0 = await workerSnapshot(lab, 1);
    const d = emu.dispatchSlashCommand({ user: bob, name: 'add-node', options: { node: 1 } });
    expect(await ephemeralText(d.id)).toMatch(/\/add-node changes the cluster, so it needs the <@&\d+> role or Administrator\. Nothing was changed\./);
    await sleep(500);
    expect(emu.interaction(d.id)!.callbacks).toHaveLength(1);
    expect(await managerSnapshot(lab)).toEqual(m0);
    expect(await workerSnapshot(lab, 1)).toEqual(w0);
    const audit = await cli(lab, ['audit', '--limit', '5']);
    expect(audit.json.data[0]).toMatchObject({ command: 'add-node', outcome: 'refused', actor: `discord:bob(${bob})`, args: { node: 1 } });
  });

  test('/add-node 1 by an operator: deferred at once, live checklist, node really provisioned', async () => {
    const d = emu.dispatchSlashCommand({ user: alice, name: 'add-node', options: { node: 1 } });
    const r = await settled(d.id);
    expect(r.callbacks[0]).toMatchObject({ type: 5, status: 204 });
    expect(r.ackLatencyMs!).toBeLessThan(1000);
    // progress: the checklist while running, then the result
    const progress = r.edits.filter((e) => /^Running add-node 1/.test(e.embeds[0]?.title ?? ''));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0].embeds[0].description).toMatch(/udev rule/);
    for (let k = 1; k < r.edits.length; k++) expect(r.edits[k].at - r.edits[k - 1].at).toBeGreaterThanOrEqual(995);
    const final = r.original!.embeds[0];
    expect(final.title).toBe('add-node 1: done');
    expect(final.color).toBe(0x3498db);
    const steps = final.description.split('\n').filter((l: string) => /^(✅|🛠️|❌|⏭️)/.test(l));
    expect(steps.length).toBeGreaterThanOrEqual(12);
    expect(steps.every((l: string) => / · (\d+ ms|\d+\.\d s|<1 ms)$/.test(l))).toBe(true);
    expect(final.description).toMatch(/🛠️ \*\*udev rule: MAC 00:22:82:ff:ff:01 → ethpi1\*\* — changed/);
    expect(final.description).toMatch(/✅ \*\*SSH round trip to 10\.0\.11\.2\*\* — ok/);
    expect(r.original!.embeds.at(-1)!.footer.text).toMatch(/^alice · \d/);
    // really provisioned
    const link = parseJson((await lab.managerExec(['ip', '-j', 'addr', 'show', 'dev', 'ethpi1'])).stdout)[0];
    expect(link.addr_info.map((a: any) => `${a.local}/${a.prefixlen}`)).toContain('10.0.11.1/24');
    expect((await lab.workerExec(1, ['ip', '-4', 'addr', 'show', 'dev', 'usb0'])).stdout).toContain('10.0.11.2/24');
    expect((await lab.managerExec(['ping', '-c', '1', '-W', '2', '10.0.11.2'])).code).toBe(0);
  });

  test('/status: one compact block per node with RX/TX, errors, drops, link and reachability', async () => {
    const d = emu.dispatchSlashCommand({ user: bob, name: 'status' });
    const r = await settled(d.id);
    const e = r.original!.embeds.find((x) => x.fields?.length)!;
    const f = e.fields.find((x: any) => /node 1 · ethpi1/.test(x.name));
    expect(f.name).toBe('🟢 node 1 · ethpi1');
    expect(f.value).toMatch(/^link \*\*up\*\* · reply [\d.]+ ms\naddr 10\.0\.11\.1\/24\nRX \d+ pkts · [\d.]+ (B|KiB) · err 0 · drop \d+\nTX \d+ pkts · [\d.]+ (B|KiB) · err 0 · drop \d+$/);
    for (const line of f.value.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
  });

  test('monitoring in Discord mode: a node that stops answering gives one alert embed (with nonce), then one recovery', async () => {
    const posts = () => emu.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${alertChannel}/messages` && r.status === 200);
    const rule = ['INPUT', '-p', 'icmp', '--icmp-type', 'echo-request', '-j', 'DROP'];
    expect((await lab.workerExec(1, ['iptables', '-I', ...rule])).code).toBe(0);
    try {
      await emu.waitFor(() => posts().length >= 1, 30_000, 'alert');
    } finally {
      expect((await lab.workerExec(1, ['iptables', '-D', ...rule])).code).toBe(0);
    }
    const alert = posts()[0];
    expect(alert.body.embeds[0].title).toMatch(/Node 1 is down/);
    expect(alert.body).toMatchObject({ enforce_nonce: true, nonce: expect.stringMatching(/^pc[0-9a-f]{16}$/) });
    await emu.waitFor(() => posts().length >= 2, 40_000, 'recovery');
    expect(posts()[1].body.embeds[0].title).toMatch(/Node 1 recovered/);
    await sleep(3000);
    expect(posts()).toHaveLength(2);
  });

  test('autocomplete offers the inventory and a Pi plugged in but not added', async () => {
    const a = emu.dispatchAutocomplete({ user: bob, name: 'ping', options: { node: '' }, focused: 'node' });
    await emu.waitForCallback(a.id);
    const ping = emu.interaction(a.id)!.autocompleteChoices!;
    expect(ping.map((c: any) => c.value)).toEqual(['all', '1', '2']);
    expect(ping[1].name).toMatch(/^1 — ethpi1 10\.0\.11\.2 · provisioned · link up/);
    expect(ping[2].name).toMatch(/^2 — plugged in \(enx002282ffff02\), not added yet/);
    const b = emu.dispatchAutocomplete({ user: alice, name: 'add-node', options: { node: '2' }, focused: 'node' });
    await emu.waitForCallback(b.id);
    expect(emu.interaction(b.id)!.autocompleteChoices!.map((c: any) => c.value)).toEqual([2]);
  });

  test('/sdcard 2 replies with the files as attachments, byte for byte what the CLI generates', async () => {
    const d = emu.dispatchSlashCommand({ user: bob, name: 'sdcard', options: { node: 2 } });
    const r = await settled(d.id);
    const fromCli = (await cli(lab, ['sdcard', '2'])).json.data.files as Array<{ name: string; content: string }>;
    expect(fromCli.length).toBeGreaterThanOrEqual(3);
    const att = r.original!.attachments;
    expect(att.map((a) => a.filename).sort()).toEqual(fromCli.map((f) => f.name).sort());
    for (const f of fromCli) expect(att.find((a) => a.filename === f.name)!.data.equals(Buffer.from(f.content))).toBe(true);
    expect(r.original!.embeds[0].description).toMatch(/📎 Attached: `cmdline\.txt`/);
  });

  test('bad input that can reach the bot is refused ephemerally and changes nothing', async () => {
    const m0 = await managerSnapshot(lab);
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['ping', { node: '3;reboot' }, /"3;reboot" is not a node number/],
      ['set-time', { node: '0' }, /Node 0 is out of range/],
      ['mute', { node: '1', duration: '5 minutes; reboot' }, /must be a duration like 30m/],
    ];
    for (const [name, options, want] of cases) {
      const d = emu.dispatchSlashCommand({ user: alice, name, options });
      expect(await ephemeralText(d.id)).toMatch(want);
    }
    // integer node options are typed and bounded by Discord: these cannot even be sent
    expect(() => emu.dispatchSlashCommand({ user: alice, name: 'add-node', options: { node: 0 } })).toThrow(/min_value/);
    expect(() => emu.dispatchSlashCommand({ user: alice, name: 'add-node', options: { node: '3;reboot' } })).toThrow(/not an integer/);
    expect(await managerSnapshot(lab)).toEqual(m0);
  });

  test('/route set on a node in use asks first; Cancel changes nothing', async () => {
    const w0 = await workerSnapshot(lab, 1);
    const d = emu.dispatchSlashCommand({ user: alice, name: 'route', subcommand: 'set', options: { node: 1 } });
    const r = await withButtons(d.id);
    expect(r.original!.embeds[0].description).toMatch(/Node 1 is provisioned and answering: in use/);
    expect(r.original!.embeds[1].title).toBe('route 1 set: dry run');
    const c = emu.dispatchButton({ user: alice, messageId: r.original!.id, customId: button(r.original!.id, 'Cancel') });
    expect((await emu.waitForCallback(c.id)).type).toBe(7);
    expect(emu.message(r.original!.id)!.embeds[0].title).toBe('Cancelled: route 1 set');
    expect(emu.message(r.original!.id)!.components).toEqual([]);
    expect(await workerSnapshot(lab, 1)).toEqual(w0);
  });

  test('/remove-node 1: the plan with buttons; Cancel changes nothing', async () => {
    const m0 = await managerSnapshot(lab);
    const d = emu.dispatchSlashCommand({ user: alice, name: 'remove-node', options: { node: 1 } });
    const r = await withButtons(d.id);
    const msg = r.original!;
    expect(msg.embeds[0].title).toBe('Confirm: remove-node 1');
    expect(msg.embeds[1].title).toBe('remove-node 1: dry run');
    expect(msg.embeds.map((e) => e.description).join('\n')).toMatch(/📝 \*\*.*10\.0\.11\.1\/24.*\*\* — would change/);
    const c = emu.dispatchButton({ user: alice, messageId: msg.id, customId: button(msg.id, 'Cancel') });
    await emu.waitForCallback(c.id);
    expect(emu.message(msg.id)!.embeds[0].description).toMatch(/Cancelled by <@\d+>\. Nothing was changed\./);
    expect(await managerSnapshot(lab)).toEqual(m0);
    const audit = await cli(lab, ['audit', '--limit', '3', '--command', 'remove-node']);
    expect(audit.json.data.map((a: any) => a.outcome)).toEqual(['cancelled', 'planned']);
  });

  test('/remove-node 1: unanswered, the confirmation expires, says so, and a later click is refused', async () => {
    const m0 = await managerSnapshot(lab);
    const d = emu.dispatchSlashCommand({ user: alice, name: 'remove-node', options: { node: 1 } });
    const r = await withButtons(d.id);
    const msg = r.original!;
    const apply = button(msg.id, 'Apply');
    await emu.waitFor(() => (emu.message(msg.id)!.components.length === 0 ? true : undefined), 15_000, 'expiry');
    const e = emu.message(msg.id)!.embeds[0];
    expect(e.title).toBe('Expired: remove-node 1');
    expect(e.description).toMatch(/nobody pressed Apply within 6s\. Nothing was changed\.\nRun `\/remove-node node:1` again/);
    const late = emu.dispatchButton({ user: alice, messageId: msg.id, customId: apply, stale: true });
    expect(await ephemeralText(late.id)).toMatch(/no longer open .* Nothing was changed by this click/);
    await sleep(500);
    expect(await managerSnapshot(lab)).toEqual(m0);
  });

  test("/remove-node 1: another member's click is refused; the operator's Apply removes the node", async () => {
    const d = emu.dispatchSlashCommand({ user: alice, name: 'remove-node', options: { node: 1 } });
    const r = await withButtons(d.id);
    const msg = r.original!;
    const other = emu.dispatchButton({ user: bob, messageId: msg.id, customId: button(msg.id, 'Apply') });
    expect(await ephemeralText(other.id)).toMatch(/Only <@\d+>, who ran `remove-node 1`, can apply or cancel it/);
    expect(emu.message(msg.id)!.components).toHaveLength(1);
    expect((await lab.managerExec(['ip', '-4', 'addr', 'show', 'dev', 'ethpi1'])).stdout).toContain('10.0.11.1/24');

    const click = emu.dispatchButton({ user: alice, messageId: msg.id, customId: button(msg.id, 'Apply') });
    const cb = await emu.waitForCallback(click.id);
    expect(cb.type).toBe(7);
    await emu.waitFor(() => (emu.message(msg.id)!.embeds[0]?.title === 'remove-node 1: done' ? true : undefined), 60_000, 'removed');
    const done = emu.message(msg.id)!;
    expect(done.components).toEqual([]);
    expect(done.embeds[0].description).toMatch(/🛠️ \*\*.*\*\* — changed/);
    expect((await lab.managerExec(['ip', '-4', 'addr', 'show', 'dev', 'ethpi1'])).stdout).not.toContain('10.0.11.1/24');
    expect(lab.managerFile('/etc/systemd/network/05-picluster-ethpi1.network')).toBeNull();
    expect((await cli(lab, ['nodes'])).json.data).toEqual([]);
  });

  test('a dropped gateway connection: the bot resumes, gets what it missed, and answers later interactions', async () => {
    const resumes = emu.resumeCount;
    expect(emu.dropGateway()).toBe(true);
    const missed = emu.dispatchSlashCommand({ user: bob, name: 'nodes' });
    await emu.waitForResume(30_000, resumes);
    const m = await settled(missed.id, undefined, 30_000);
    expect(m.original!.embeds[0].title).toBe('nodes');
    // a raw TCP drop (no close frame) too
    emu.dropGateway({ terminate: true });
    await emu.waitForReady(60_000);
    const later = emu.dispatchSlashCommand({ user: bob, name: 'ssh-key' });
    const l = await settled(later.id, undefined, 30_000);
    expect(l.original!.embeds[0].title).toBe('bot SSH key');
    expect(l.ackLatencyMs!).toBeLessThan(3000);
  });

  test('SIGTERM during /add-node 2: running steps are aborted and marked, the bot exits 0, no token anywhere', async () => {
    const d = emu.dispatchSlashCommand({ user: alice, name: 'add-node', options: { node: 2 } });
    await emu.waitFor(() => (emu.interaction(d.id)!.edits.some((e) => /^Running add-node 2/.test(e.embeds[0]?.title ?? '')) ? true : undefined), 30_000, 'first progress');
    bot.kill('SIGTERM');
    const code = await exit;
    expect(code).toBe(0);
    const final = emu.original(d.id)!.embeds[0];
    expect(final.description).toMatch(/shutting down: the steps marked skipped were not run/);
    expect(final.description).toMatch(/⏭️ \*\*.*\*\* — skipped: aborted: the bot is shutting down/);
    expect(output).toMatch(/SIGTERM: shutting down/);
    expect(output).toMatch(/discord: disconnected/);
    expect(output).not.toContain(TOKEN);
    expect(JSON.stringify(emu.requests.map((r) => [r.path, r.body]))).not.toContain(TOKEN);
    expect(JSON.stringify(emu.channelMessages(emu.defaultChannelId))).not.toContain(TOKEN);
    expect(emu.isConnected()).toBe(false);
  });
});
