import { command as alerts } from '../commands/alerts';
import { command as history } from '../commands/history';
import { command as inventory } from '../commands/inventory';
import { command as mute } from '../commands/mute';
import { command as unmute } from '../commands/unmute';
import { command as status } from '../commands/status';
import { commands } from '../commands';
import { executeCommand } from '../src/commands/run';
import type { Actor } from '../src/commands/types';
import { enqueueAlert } from '../src/monitor/outbox';
import { recordChecks } from '../src/monitor/history';
import { activeSilences } from '../src/monitor/silences';
import { saveNodeState } from '../src/monitor/state-store';
import { decodePng, countColor, pngSize } from './monitor-png';
import { CHART_COLORS } from '../src/monitor/chart';
import { sample, tempEngine } from './monitor-support';
import * as fs from 'node:fs';
import * as path from 'node:path';

const actor: Actor = { id: 't', name: 'tester', transport: 'test' };
const silenceRows = (db: any) => (db.prepare('SELECT COUNT(*) n FROM silences').get() as { n: number }).n;

describe('monitoring commands', () => {
  let env: ReturnType<typeof tempEngine>;
  beforeEach(() => {
    env = tempEngine({}, [2, 3]);
  });
  afterEach(() => env.cleanup());

  test('are registered for every transport', () => {
    for (const c of [alerts, mute, unmute, history, inventory]) {
      expect(commands).toContain(c);
      expect(c.description.length).toBeLessThanOrEqual(100);
    }
  });

  test('bad input is refused with a clear message and changes nothing', async () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ node: '0', duration: '1h' }, /out of range/],
      [{ node: '999', duration: '1h' }, /out of range/],
      [{ node: '3;reboot', duration: '1h' }, /not a node number/],
      [{ node: '3', duration: 'soon' }, /must be a duration/],
      [{ node: '3', duration: '-5m' }, /must be a duration/],
      [{ node: '3' }, /needs <duration>/],
      [{ node: '3', duration: '40d' }, /at most 30d/],
      [{ node: '3', duration: '1h', reason: 'x'.repeat(501) }, /too long/],
    ];
    for (const [raw, re] of bad) {
      const r = await executeCommand(env.engine, mute, raw, actor);
      expect(r.ok).toBe(false);
      expect(r.summary).toMatch(re);
    }
    for (const [def, raw] of [[unmute, { node: '3;reboot' }], [history, { node: '0' }], [history, { node: '3', window: '10s' }], [history, { node: '3', window: '400d' }], [inventory, { format: 'xml' }]] as const) {
      const r = await executeCommand(env.engine, def, raw, actor);
      expect(r.ok).toBe(false);
    }
    expect(silenceRows(env.engine.db)).toBe(0);
  });

  test('mute, alerts, unmute', async () => {
    const m = await executeCommand(env.engine, mute, { node: '3', duration: '2h', reason: 'new SD card\nplease' }, actor);
    expect(m).toMatchObject({ ok: true, outcome: 'changed' });
    const all = await executeCommand(env.engine, mute, { node: 'all', duration: '10m' }, actor);
    expect(all.ok).toBe(true);
    const s = activeSilences(env.engine.db);
    expect(s.map((x) => [x.node, x.reason, x.createdBy])).toEqual([[null, '', 'test:tester(t)'], [3, 'new SD card please', 'test:tester(t)']]);

    saveNodeState(env.engine.db, { node: 3, level: 'down', announced: 'down', since: Date.now() - 60_000, announcedAt: Date.now(), baseline: null });
    recordChecks(env.engine.db, Date.now() - 1000, [sample(2, 20), sample(3, 0, 20, null)]);
    enqueueAlert(env.engine.db, { kind: 'alert', severity: 'critical', node: 3, state: 'down', title: 'Node 3 is down', text: 't', fields: [], createdAt: Date.now() });
    const a = await executeCommand(env.engine, alerts, {}, actor);
    expect(a.title).toBe('alerts: node 3 down');
    expect(a.summary).toMatch(/Monitoring is not running/);
    expect(a.summary).toMatch(/1 alert\(s\) waiting for delivery/);
    const nodesTable = a.tables![0];
    expect(nodesTable.rows.find((r) => r[0] === '3')).toEqual(['3', 'down', expect.any(String), expect.stringMatching(/ago$/), '100% (link down)', '-', expect.stringMatching(/until .*new SD card please/)]);
    expect(a.tables![1].rows).toHaveLength(2);
    expect(a.tables![2].rows[0][2]).toBe('Node 3 is down');

    const u = await executeCommand(env.engine, unmute, { node: '3' }, actor);
    expect(u).toMatchObject({ ok: true, outcome: 'changed' });
    expect(u.hint).toMatch(/unmute all/);
    const again = await executeCommand(env.engine, unmute, { node: '3' }, actor);
    expect(again.outcome).toBe('unchanged');
    await executeCommand(env.engine, unmute, { node: 'all' }, actor);
    expect(activeSilences(env.engine.db)).toEqual([]);
  });

  test('history attaches a chart of the window; --output only from the CLI', async () => {
    const none = await executeCommand(env.engine, history, { node: '3' }, actor);
    expect(none.ok).toBe(true);
    expect(none.files).toBeUndefined();
    expect(none.summary).toMatch(/No checks of node 3/);
    const now = Date.now();
    env.engine.db.transaction(() => {
      for (let i = 0; i < 1795; i++) recordChecks(env.engine.db, now - 3_590_000 + i * 2000, [sample(3, i % 50 === 0 ? 10 : 20)]);
    })();
    const r = await executeCommand(env.engine, history, { node: '3', window: '1h' }, actor);
    expect(r.ok).toBe(true);
    expect(r.files).toHaveLength(1);
    const f = r.files![0];
    expect(f).toMatchObject({ name: 'history-3.png', contentType: 'image/png' });
    expect(pngSize(f.content as Buffer)).toEqual({ width: 900, height: 420 });
    expect(countColor(decodePng(f.content as Buffer), CHART_COLORS.rtt)).toBeGreaterThan(600); // a line across, not just the legend swatch
    expect(r.summary).toMatch(/^1795 checks: loss 1% overall \(worst 50%\), rtt avg 0\.50 ms, max 0\.90 ms\.$/);
    const refused = await executeCommand(env.engine, history, { node: '3', output: '/tmp/x.png' }, { ...actor, transport: 'discord' });
    expect(refused.ok).toBe(false);
    const out = path.join(env.dir, 'h.png');
    const saved = await executeCommand(env.engine, history, { node: '3', output: out }, { ...actor, transport: 'cli' });
    expect(saved.ok).toBe(true);
    expect(saved.summary).toContain(`Saved to ${out}.`);
    expect(fs.readFileSync(out).equals(saved.files![0].content as Buffer)).toBe(true);
  });

  test('inventory exports Ansible INI, YAML and JSON', async () => {
    const ini = await executeCommand(env.engine, inventory, { format: 'ansible' }, actor);
    const text = String(ini.files![0].content);
    expect(ini.files![0].name).toBe('inventory.ini');
    expect(text).toContain('[picluster]\nworker2 ansible_host=10.0.12.2 picluster_node=2 picluster_iface=ethpi2');
    expect(text).toContain('worker3 ansible_host=10.0.13.2');
    expect(text).toMatch(/\[picluster:vars\]\nansible_user=root\nansible_port=22\nansible_ssh_private_key_file=\S+id_ed25519\n/);
    const json = await executeCommand(env.engine, inventory, { format: 'json' }, actor);
    const parsed = JSON.parse(String(json.files![0].content));
    expect(parsed.picluster.hosts).toEqual(['worker2', 'worker3']);
    expect(parsed._meta.hostvars.worker3).toMatchObject({ ansible_host: '10.0.13.2', picluster_node: 3 });
    const yaml = await executeCommand(env.engine, inventory, { format: 'yaml' }, actor);
    expect(String(yaml.files![0].content)).toContain('      hosts:\n        worker2:\n          ansible_host: "10.0.12.2"\n');
  });

  test('status shows the latest check per node once monitoring has run', async () => {
    recordChecks(env.engine.db, Date.now() - 3000, [sample(2, 20), sample(3, 15)]);
    const r = await executeCommand(env.engine, status, {}, actor);
    const t = r.tables!.find((x) => x.title === 'Monitoring (latest check)');
    expect(t).toBeDefined();
    expect(t!.rows.map((row) => [row[0], row[3]])).toEqual([['2', '0%'], ['3', '25%']]);
  });
});
