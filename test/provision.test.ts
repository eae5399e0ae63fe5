import { Lab } from './lab/lab';
import { managerSnapshot, parseJson, workerSnapshot } from './support/snapshot';

jest.setTimeout(240_000);

/** Runs the CLI as the lab's manager with --json and returns the parsed result plus the exit code. */
async function cli(lab: Lab, args: string[]) {
  const r = await lab.runCli([...args, '--json'], { timeoutMs: 120_000 });
  let json: any;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

function statuses(json: any): Record<string, string> {
  return Object.fromEntries((json.steps ?? []).map((s: any) => [s.id, s.status]));
}

describe('add-node on an emulated cluster', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.create({ nodes: [1, 2], fresh: [1], skewSeconds: { 1: -3 * 3600, 2: 0 } });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  test('dry run on a fresh node shows the plan and changes nothing', async () => {
    const m0 = await managerSnapshot(lab);
    const w0 = await workerSnapshot(lab, 1);
    const r = await cli(lab, ['add-node', '1', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.json.outcome).toBe('planned');
    const st = statuses(r.json);
    expect(st['udev-rule']).toBe('would-change');
    expect(st['link-name']).toBe('would-change');
    expect(r.json.steps.find((s: any) => s.id === 'udev-rule').diff).toContain('+SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="00:22:82:ff:ff:01", NAME="ethpi1"');
    // Reads on the Pi work before it has IPv4: the bot reached it over link-local.
    expect(st['worker-address']).toBe('would-change');
    expect(st['worker-clock']).toBe('would-change');
    expect(await managerSnapshot(lab)).toEqual(m0);
    expect(await workerSnapshot(lab, 1)).toEqual(w0);
  });

  test('fresh node: every step applied, then verified by ping and SSH', async () => {
    const r = await cli(lab, ['add-node', '1']);
    expect(r.stderr).not.toMatch(/incident/);
    expect(r.json.ok).toBe(true);
    expect(r.code).toBe(0);
    const st = statuses(r.json);
    for (const id of ['udev-rule', 'link-name', 'networkd-host', 'host-address', 'ip-forward', 'ip-forward-persist', 'nat-rules', 'rules-saved', 'worker-network-file', 'worker-address', 'worker-route', 'worker-clock']) {
      expect([id, st[id]]).toEqual([id, 'changed']);
    }
    expect(st['verify-ping']).toBe('ok');
    expect(st['verify-ssh']).toBe('ok');

    // Manager: interface renamed, address, files.
    const link = parseJson((await lab.managerExec(['ip', '-j', 'addr', 'show', 'dev', 'ethpi1'])).stdout)[0];
    expect(link.address).toBe('00:22:82:ff:ff:01');
    expect(link.addr_info.map((a: any) => `${a.local}/${a.prefixlen}`)).toContain('10.0.11.1/24');
    expect(lab.managerFile('/etc/udev/rules.d/90-pi-network.rules')).toContain('ATTR{address}=="00:22:82:ff:ff:01", NAME="ethpi1"');
    expect(lab.managerFile('/etc/systemd/network/05-picluster-ethpi1.network')).toMatch(/Address=10\.0\.11\.1\/24/);
    expect(lab.managerFile('/etc/sysctl.d/90-picluster.conf')).toMatch(/net\.ipv4\.ip_forward = 1/);
    expect((await lab.managerExec(['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('1');

    // Worker: address, route, file, clock set through the date shim.
    const waddr = (await lab.workerExec(1, ['ip', '-4', 'addr', 'show', 'dev', 'usb0'])).stdout;
    expect(waddr).toContain('10.0.11.2/24');
    expect((await lab.workerExec(1, ['ip', 'route', 'show', 'default'])).stdout).toMatch(/default via 10\.0\.11\.1 dev usb0/);
    expect(lab.workerFile(1, '/etc/systemd/network/usb0.network')).toMatch(/Gateway=10\.0\.11\.1/);
    expect(lab.dateCalls(1).length).toBe(1);
    expect(Math.abs(lab.skew(1))).toBeLessThan(2);
    const clock = r.json.steps.find((s: any) => s.id === 'worker-clock');
    expect(clock.summary).toMatch(/h behind/);
    expect(clock.notes.join(' ')).toMatch(/drift before: 3\.0 h behind; after: .*(ms|s) /);

    // The guide's checks, done independently of the bot.
    const p = await lab.managerExec(['ping', '-c', '3', '-i', '0.2', '10.0.11.2']);
    expect(p.stdout).toMatch(/ 0% packet loss/);
  });

  test('second run reports no change and changes nothing', async () => {
    const m0 = await managerSnapshot(lab);
    const w0 = await workerSnapshot(lab, 1);
    const r = await cli(lab, ['add-node', '1']);
    expect(r.json.ok).toBe(true);
    expect(r.json.outcome).toBe('unchanged');
    expect(r.json.title).toMatch(/already in place/);
    expect(Object.values(statuses(r.json)).every((s) => s === 'ok')).toBe(true);
    expect(await managerSnapshot(lab)).toEqual(m0);
    expect(await workerSnapshot(lab, 1)).toEqual(w0);
  });

  test('pre-addressed node: only the missing pieces change; both nodes share the udev file', async () => {
    await lab.workerExec(2, ['sh', '-c', 'hostname alarm && echo alarm > /etc/hostname']);
    const r = await cli(lab, ['add-node', '2', '--hostname']);
    expect(r.json.ok).toBe(true);
    const st = statuses(r.json);
    expect(st['worker-address']).toBe('ok');
    expect(st['worker-route']).toBe('changed');
    expect(st['worker-clock']).toBe('ok');
    expect(st['worker-hostname']).toBe('changed');
    expect(st['nat-rules']).toBe('changed');
    expect(st['ip-forward']).toBe('ok');
    expect((await lab.workerExec(2, ['hostname'])).stdout.trim()).toBe('worker2');
    expect(lab.workerFile(1, '/etc/hostname')).not.toBe('worker2\n');
    const rules = lab.managerFile('/etc/udev/rules.d/90-pi-network.rules')!;
    expect(rules).toContain('NAME="ethpi1"');
    expect(rules).toContain('NAME="ethpi2"');
    const nodes = await cli(lab, ['nodes']);
    expect(nodes.json.data.map((n: any) => n.node)).toEqual([1, 2]);
  });
});
