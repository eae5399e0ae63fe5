import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AlertMessage } from '../src/monitor/alert';
import { Lab } from './lab/lab';
import { CHART_COLORS } from '../src/monitor/chart';
import { Harness } from './monitor-harness-client';
import { countColor, decodePng } from './monitor-png';
import { cli } from './support/cli';

/**
 * Monitoring end to end on the emulated cluster: the monitor runs inside the manager namespace
 * (test/monitor-harness.js, default settings), faults are injected in the workers with iptables and
 * `ip link`, and we assert on what the sink received.
 */
jest.setTimeout(600_000);

const lossRule = (p: number) => ['INPUT', '-p', 'icmp', '--icmp-type', 'echo-request', '-m', 'statistic', '--mode', 'random', '--probability', String(p), '-j', 'DROP'];
const summary = (alerts: AlertMessage[]) => alerts.map((a) => `${a.kind}:${a.node}`);

describe('monitoring on the lab', () => {
  let lab: Lab;
  let shared: Harness | undefined;
  const started: Harness[] = [];

  async function must(p: Promise<{ code: number | null; stderr: string }>, what: string) {
    const r = await p;
    if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}`);
  }
  const setLoss = (n: number, p: number, on: boolean) => must(lab.workerExec(n, ['iptables', '-w', on ? '-A' : '-D', ...lossRule(p)]), `iptables ${on ? 'add' : 'remove'} ${p} on ${n}`);
  const setLink = (n: number, up: boolean) => must(lab.workerExec(n, ['ip', 'link', 'set', 'usb0', up ? 'up' : 'down']), `usb0 ${up ? 'up' : 'down'} on ${n}`);
  async function harness(env: Record<string, string> = {}) {
    const h = await Harness.start(lab, env);
    started.push(h);
    return h;
  }
  const isAlert = (node: number, kind: string) => (e: { event: string; alert?: AlertMessage }) => e.event === 'delivered' && e.alert!.node === node && e.alert!.kind === kind;

  beforeAll(async () => {
    lab = await Lab.create({ nodes: [1, 2, 3], fresh: [1] });
    for (const n of [1, 2, 3]) {
      const r = await cli(lab, ['add-node', String(n), '--yes']);
      if (r.code !== 0) throw new Error(`add-node ${n} failed: ${r.stdout}\n${r.stderr}`);
    }
    shared = await harness();
    await shared.waitChecks(3);
  });

  /** Whatever a test did (or left behind by failing half-way), the next one starts on a healthy cluster. */
  afterEach(async () => {
    for (const n of lab.nodes) {
      await lab.workerExec(n, ['iptables', '-w', '-F', 'INPUT']);
      await lab.workerExec(n, ['ip', 'link', 'set', 'usb0', 'up']);
    }
    await cli(lab, ['unmute', 'all']);
    if (shared && shared.exited === undefined) {
      const end = Date.now() + 60_000;
      for (;;) {
        const st = await cli(lab, ['alerts']);
        if (st.json?.data.nodes.every((n: any) => n.level === 'healthy') && st.json.data.outbox.pending === 0) break;
        if (Date.now() > end) throw new Error(`cluster not healthy again: ${JSON.stringify(st.json?.data.nodes)}`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  });

  afterAll(async () => {
    for (const h of started) await h.kill().catch(() => undefined);
    await lab?.destroy();
  });

  test('defaults: a dead link alerts once within 10 s and recovers once; 60% loss alerts once; 10% loss over 60+ checks never does', async () => {
    const h = shared!;
    const t0 = Date.now();
    await setLoss(1, 0.1, true);
    const down = Date.now();
    await setLink(2, false);
    await setLoss(3, 0.6, true);

    const a2 = await h.waitFor(isAlert(2, 'alert'), 20_000, 'the alert for node 2');
    const latency = a2.t - down;
    expect(latency).toBeLessThanOrEqual(10_000);
    expect(a2.alert!.title).toBe('Node 2 is down');
    expect(a2.alert!.text).toMatch(/^Link gone: ethpi2 exists but has no carrier/);
    const a3 = await h.waitFor(isAlert(3, 'alert'), 60_000, 'the alert for node 3');
    expect(a3.alert!.title).toBe('Node 3 is losing packets');
    expect(a3.alert!.text).toMatch(/^Partial loss: \d+(\.\d)?% of echoes to 10\.0\.13\.2 lost/);

    await h.waitChecks(5); // the trouble goes on: no repeats
    await setLink(2, true);
    await setLoss(3, 0.6, false);
    await h.waitFor(isAlert(2, 'recovery'), 30_000, 'the recovery of node 2');
    await h.waitFor(isAlert(3, 'recovery'), 30_000, 'the recovery of node 3');

    const seen = h.checks(t0).length;
    if (seen < 62) await h.waitChecks(62 - seen);
    const lossyChecks = h.checks(t0);
    await setLoss(1, 0.1, false);
    await h.waitChecks(3);

    const got = summary(h.delivered(t0));
    expect(got.filter((k) => k.endsWith(':2'))).toEqual(['alert:2', 'recovery:2']);
    expect(got.filter((k) => k.endsWith(':3'))).toEqual(['alert:3', 'recovery:3']);
    expect(got.filter((k) => k.endsWith(':1'))).toEqual([]);
    // The 10% really was there: measured on node 1 by the monitor itself.
    const node1 = lossyChecks.map((c) => c.loss!['1']);
    const mean = node1.reduce((a, b) => a + b, 0) / node1.length;
    expect(node1.length).toBeGreaterThanOrEqual(60);
    expect(mean).toBeGreaterThan(5);
    expect(mean).toBeLessThan(16);
    process.stdout.write(`monitor-lab: link-down alert after ${latency} ms; node 1 mean loss ${mean.toFixed(1)}% over ${node1.length} checks, no alert\n`);

    // The history chart of what just happened to node 3: a real PNG with rtt and loss drawn.
    const png = path.join(lab.dir, 'history-3.png');
    const hist = await cli(lab, ['history', '3', '5m', '--output', png]);
    expect(hist.json.data).toMatchObject({ node: 3 });
    expect(hist.json.data.worstLossPct).toBeGreaterThanOrEqual(40);
    const img = decodePng(fs.readFileSync(png));
    expect([img.width, img.height]).toEqual([900, 420]);
    expect(countColor(img, CHART_COLORS.rtt)).toBeGreaterThan(600);
    expect(countColor(img, CHART_COLORS.loss)).toBeGreaterThan(300);
  });

  test('nothing while muted; unmuting a node that is still down gives one alert, then one recovery', async () => {
    const h = shared!;
    const t1 = Date.now();
    const m = await cli(lab, ['mute', '2', '5m', 'testing mute']);
    expect(m.json).toMatchObject({ ok: true, outcome: 'changed' });
    await setLink(2, false);
    await h.waitChecks(7);
    expect(summary(h.delivered(t1))).toEqual([]);
    const st = await cli(lab, ['alerts']);
    const n2 = st.json.data.nodes.find((n: any) => n.node === 2);
    expect(n2).toMatchObject({ level: 'down', muted: expect.stringMatching(/^until .*testing mute$/) });
    expect(st.json.data.monitor.running).toBe(true);

    const u = await cli(lab, ['unmute', '2']);
    expect(u.json.outcome).toBe('changed');
    const a = await h.waitFor((e) => isAlert(2, 'alert')(e) && e.t >= t1, 10_000, 'the alert after unmute');
    expect(a.alert!.text).toMatch(/while the node was muted; that has ended/);
    await setLink(2, true);
    await h.waitFor((e) => isAlert(2, 'recovery')(e) && e.t >= t1, 30_000, 'the recovery');
    await h.waitChecks(3);
    expect(summary(h.delivered(t1))).toEqual(['alert:2', 'recovery:2']);
  });

  test('alerts wait in the outbox while the channel is down, go out once it is back, and a crash and restart re-send nothing', async () => {
    await shared!.stop();
    const down = path.join(lab.dir, 'sink-down');
    fs.writeFileSync(down, '');
    const db = new Database(path.join(lab.dataDir, 'picluster.db'), { readonly: true });
    try {
      const pending = () => db.prepare('SELECT id, node, kind, attempts FROM alert_outbox WHERE delivered_at IS NULL ORDER BY id').all() as Array<{ id: number; node: number; kind: string; attempts: number }>;
      const h2 = await harness({ HARNESS_SINK_DOWN: down, HARNESS_MAX_BACKOFF_MS: '1000' });
      await setLink(3, false);
      await h2.waitFor((e) => e.event === 'delivery-failed' && e.node === 3, 30_000, 'a failed delivery of the node 3 alert');
      await h2.waitChecks(2);
      expect(pending().map((r) => `${r.kind}:${r.node}`)).toEqual(['alert:3']);
      fs.rmSync(down);
      await h2.waitFor(isAlert(3, 'alert'), 10_000, 'delivery once the channel is back');
      expect(pending()).toEqual([]);

      // The recovery is queued while the channel is down again, and then the bot crashes.
      fs.writeFileSync(down, '');
      await setLink(3, true);
      await h2.waitFor(() => pending().some((p) => p.kind === 'recovery'), 40_000, 'the queued recovery');
      const recoveryId = pending().find((p) => p.kind === 'recovery')!.id;
      await h2.waitFor((e) => e.event === 'delivery-failed' && e.id === recoveryId, 10_000, 'a failed delivery of the recovery');
      await h2.kill();
      expect(pending().map((r) => `${r.kind}:${r.node}`)).toEqual(['recovery:3']);
      fs.rmSync(down);

      const h3 = await harness();
      await h3.waitFor(isAlert(3, 'recovery'), 10_000, 'the recovery after the restart');
      expect(h3.delivered()[0].id).toBe(recoveryId);
      await h3.waitChecks(4);
      await h3.stop();
      const h4 = await harness();
      await h4.waitChecks(4);
      await h4.stop();

      const all = [...h2.delivered(), ...h3.delivered(), ...h4.delivered()];
      expect(summary(all)).toEqual(['alert:3', 'recovery:3']);
      expect(new Set(all.map((a) => a.nonce)).size).toBe(2);
      expect(pending()).toEqual([]);
    } finally {
      db.close();
    }
  });
});
