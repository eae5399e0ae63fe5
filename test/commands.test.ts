import { Lab } from './lab/lab';
import { cli, stepStatuses } from './support/cli';
import { managerSnapshot, workerSnapshot } from './support/snapshot';

jest.setTimeout(240_000);

describe('single-step commands on the lab', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.create({ nodes: [1, 2, 3], fresh: [3] });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  const reachesInternet = async (n: number) => (await lab.workerExec(n, ['ping', '-c', '1', '-W', '1', lab.internetAddr])).code === 0;

  test('nat: a node reaches the internet only after nat enable; disable removes exactly the bot rules', async () => {
    const off = await cli(lab, ['nat', 'disable']);
    expect(off.json.ok).toBe(true);
    for (const n of [1, 2, 3]) expect((await cli(lab, ['add-node', String(n)])).json.ok).toBe(true);
    expect(await reachesInternet(3)).toBe(false);
    const status0 = await cli(lab, ['nat', 'status']);
    expect(status0.json.title).toBe('NAT is disabled');

    const dry = await cli(lab, ['nat', 'enable', '--dry-run']);
    expect(dry.json.outcome).toBe('planned');
    expect(await reachesInternet(3)).toBe(false);

    const on = await cli(lab, ['nat', 'enable']);
    expect(on.json.ok).toBe(true);
    expect(stepStatuses(on.json)['nat-rules']).toBe('changed');
    expect(await reachesInternet(3)).toBe(true);
    expect(await reachesInternet(1)).toBe(true);
    const st = await cli(lab, ['nat', 'status']);
    expect(st.json.ok).toBe(true);
    expect(st.json.data.covered).toEqual(['10.0.11.0/24', '10.0.12.0/24', '10.0.13.0/24']);

    // Saved file equals live rules (what iptables.service restores at boot).
    const live = (await lab.managerExec(['iptables-save'])).stdout;
    const norm = (t: string) => t.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]$/, '[0:0]')).join('\n');
    expect(norm(lab.managerFile('/etc/iptables/iptables.rules')!)).toBe(norm(live));

    // Someone else's rules survive a disable.
    await lab.managerExec(['iptables', '-t', 'nat', '-A', 'POSTROUTING', '-s', '172.16.0.0/12', '-o', 'eth0', '-j', 'MASQUERADE']);
    await lab.managerExec(['iptables', '-A', 'FORWARD', '-s', '172.16.0.0/12', '-j', 'ACCEPT']);
    const before = norm((await lab.managerExec(['iptables-save'])).stdout).split('\n');
    const dis = await cli(lab, ['nat', 'disable']);
    expect(dis.json.ok).toBe(true);
    const after = norm((await lab.managerExec(['iptables-save'])).stdout).split('\n');
    expect(before.filter((l) => !after.includes(l)).every((l) => l.includes('PICLUSTER'))).toBe(true);
    expect(after.filter((l) => !before.includes(l))).toEqual([]);
    expect(after.join('\n')).toContain('-A POSTROUTING -s 172.16.0.0/12 -o eth0 -j MASQUERADE');
    expect(after.join('\n')).not.toContain('PICLUSTER');
    expect(await reachesInternet(3)).toBe(false);
    expect(norm(lab.managerFile('/etc/iptables/iptables.rules')!)).toBe(norm((await lab.managerExec(['iptables-save'])).stdout));
    expect((await cli(lab, ['nat', 'enable'])).json.ok).toBe(true);
    expect(await reachesInternet(2)).toBe(true);
  });

  test('route: show detects a missing route, set --dry-run changes nothing, set fixes it', async () => {
    const first = await cli(lab, ['route', '2']);
    expect([first.json.ok, first.json.summary]).toEqual([true, 'default via 10.0.12.1 dev usb0 (correct)']);
    await lab.workerExec(2, ['ip', 'route', 'del', 'default']);
    const show = await cli(lab, ['route', '2']);
    expect(show.code).toBe(1);
    expect(show.json.summary).toMatch(/no default route; expected default via 10\.0\.12\.1 dev usb0/);
    const w0 = await workerSnapshot(lab, 2);
    const dry = await cli(lab, ['route', '2', 'set', '--dry-run']);
    expect(stepStatuses(dry.json)['worker-route']).toBe('would-change');
    expect(await workerSnapshot(lab, 2)).toEqual(w0);
    const set = await cli(lab, ['route', '2', 'set']);
    expect(stepStatuses(set.json)).toEqual({ 'worker-network-file': 'ok', 'worker-route': 'changed' });
    expect((await lab.workerExec(2, ['ip', 'route', 'show', 'default'])).stdout).toMatch(/via 10\.0\.12\.1 dev usb0/);
  });

  test('set-time: drift reported before and after, through the worker date shim', async () => {
    lab.setSkew(1, -7200);
    lab.setSkew(2, 5);
    const calls = lab.dateCalls(1).length;
    const dry = await cli(lab, ['set-time', 'all', '--dry-run']);
    expect(dry.json.steps.find((s: any) => s.id === 'clock-1').summary).toMatch(/2\.0 h behind/);
    expect(lab.dateCalls(1).length).toBe(calls);
    expect(lab.skew(1)).toBe(-7200);
    const r = await cli(lab, ['set-time', 'all']);
    expect(r.json.ok).toBe(true);
    const st = stepStatuses(r.json);
    expect(st).toEqual({ 'clock-1': 'changed', 'clock-2': 'changed', 'clock-3': 'ok' });
    expect(lab.dateCalls(1).length).toBe(calls + 1);
    expect(lab.dateCalls(1).at(-1)).toMatch(/^@\d+\.\d{3}$/);
    expect(Math.abs(lab.skew(1))).toBeLessThan(2);
    expect(r.json.steps.find((s: any) => s.id === 'clock-1').notes[0]).toMatch(/drift before: 2\.0 h behind; after: \d+ ms (ahead|behind)/);
  });

  test('ping: injected loss is reported, then 0% once removed', async () => {
    const drop = ['iptables', '-A', 'INPUT', '-p', 'icmp', '--icmp-type', 'echo-request', '-m', 'statistic', '--mode', 'random', '--probability', '0.5', '-j', 'DROP'];
    await lab.workerExec(3, drop);
    try {
      const r = await cli(lab, ['ping', '3', '--count', '40']);
      expect(r.json.ok).toBe(false);
      const row = r.json.data[0];
      expect(row.sent).toBe(40);
      expect(row.lossPct).toBeGreaterThan(15);
      expect(row.lossPct).toBeLessThan(85);
      expect(r.json.summary).toMatch(/node 3: [\d.]+% loss/);
    } finally {
      await lab.workerExec(3, ['iptables', '-D', ...drop.slice(2)]);
    }
    const ok = await cli(lab, ['ping', 'all']);
    expect(ok.json.ok).toBe(true);
    expect(ok.json.data.map((d: any) => d.lossPct)).toEqual([0, 0, 0]);
  });

  test('status: counters as the manager sees them move when traffic flows; --remote reads the Pi side', async () => {
    const a = await cli(lab, ['status', '1', '--remote']);
    expect(a.json.ok).toBe(true);
    const s0 = a.json.data[0];
    expect(s0).toMatchObject({ node: 1, name: 'ethpi1', present: true, carrier: true, addresses: ['10.0.11.1/24'] });
    expect(s0.remote.rxPackets).toBeGreaterThan(0);
    await lab.managerExec(['ping', '-c', '25', '-i', '0.01', '-q', '10.0.11.2']);
    const b = await cli(lab, ['status', '1', '--remote']);
    const s1 = b.json.data[0];
    expect(s1.stats.txPackets - s0.stats.txPackets).toBeGreaterThanOrEqual(25);
    expect(s1.stats.rxPackets - s0.stats.rxPackets).toBeGreaterThanOrEqual(25);
    expect(s1.remote.rxPackets - s0.remote.rxPackets).toBeGreaterThanOrEqual(25);
    const text = await cli(lab, ['status'], { json: false });
    expect(text.stdout).toMatch(/ethpi1\s+up\s+10\.0\.11\.1\/24/);
    await lab.workerExec(3, ['ip', 'link', 'set', 'usb0', 'down']);
    const down = await cli(lab, ['status']);
    expect(down.json.ok).toBe(false);
    expect(down.json.summary).toMatch(/not answering: 3/);
    expect(down.json.data.find((s: any) => s.node === 3).carrier).toBe(false);
    await lab.workerExec(3, ['ip', 'link', 'set', 'usb0', 'up']);
  });

  test('doctor: healthy, then finds forwarding off and a missing MASQUERADE; nat enable repairs', async () => {
    const good = await cli(lab, ['doctor']);
    expect(good.json.data.findings.filter((f: any) => f.level === 'fail')).toEqual([]);
    await lab.managerExec(['sysctl', '-w', 'net.ipv4.ip_forward=0']);
    await lab.managerExec(['iptables', '-t', 'nat', '-D', 'PICLUSTER-POSTROUTING', '-s', '10.0.12.0/24', '-o', 'eth0', '-j', 'MASQUERADE']);
    const bad = await cli(lab, ['doctor']);
    expect(bad.code).toBe(1);
    const fails = bad.json.data.findings.filter((f: any) => f.level === 'fail').map((f: any) => f.check);
    expect(fails).toEqual(expect.arrayContaining(['ip_forward', 'MASQUERADE', 'saved rules']));
    expect(bad.json.data.findings.find((f: any) => f.check === 'MASQUERADE').detail).toContain('10.0.12.0/24');
    expect((await cli(lab, ['nat', 'enable'])).json.ok).toBe(true);
    expect((await cli(lab, ['doctor'])).json.data.findings.filter((f: any) => f.level === 'fail')).toEqual([]);
  });

  test('remove-node: undoes the host side of one node only; dry run and re-run change nothing', async () => {
    const m0 = await managerSnapshot(lab);
    const dry = await cli(lab, ['remove-node', '2', '--dry-run']);
    expect(dry.json.outcome).toBe('planned');
    expect(await managerSnapshot(lab)).toEqual(m0);
    const r = await cli(lab, ['remove-node', '2']);
    expect(r.json.ok).toBe(true);
    const rules = lab.managerFile('/etc/udev/rules.d/90-pi-network.rules')!;
    expect(rules).not.toContain('ethpi2');
    expect(rules).toContain('NAME="ethpi1"');
    expect(lab.managerFile('/etc/systemd/network/05-picluster-ethpi2.network')).toBeNull();
    expect(lab.managerFile('/etc/systemd/network/05-picluster-ethpi1.network')).not.toBeNull();
    expect((await lab.managerExec(['ip', '-4', 'addr', 'show', 'dev', 'ethpi2'])).stdout).not.toContain('10.0.12.1');
    const nat = (await lab.managerExec(['iptables', '-t', 'nat', '-S', 'PICLUSTER-POSTROUTING'])).stdout;
    expect(nat).not.toContain('10.0.12.0/24');
    expect(nat).toContain('10.0.11.0/24');
    expect((await cli(lab, ['nodes'])).json.data.map((n: any) => n.node)).toEqual([1, 3]);
    const m1 = await managerSnapshot(lab);
    const again = await cli(lab, ['remove-node', '2']);
    expect(again.json.outcome).toBe('unchanged');
    expect(await managerSnapshot(lab)).toEqual(m1);
  });
});
