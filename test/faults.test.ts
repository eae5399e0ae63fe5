import * as path from 'node:path';
import { Lab, REPO_ROOT } from './lab/lab';
import { cli, stepStatuses } from './support/cli';
import { managerSnapshot, workerSnapshot } from './support/snapshot';

jest.setTimeout(240_000);

describe('faults and bad input', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.create({ nodes: [4, 5], fresh: [5] });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  test('sshd of a worker stopped mid-run: clear error naming the step; a re-run after it returns converges', async () => {
    const child = lab.spawnInManager([process.execPath, path.join(REPO_ROOT, 'dist/src/cli.js'), 'add-node', '4']);
    let out = '';
    let stopped: Promise<void> | undefined;
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      // The manager side has started: take the Pi's sshd away before the worker steps.
      if (!stopped && out.includes('udev rule')) stopped = lab.stopSshd(4);
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    await stopped;
    expect(code).toBe(1);
    expect(out).toMatch(/add-node 4: failed at "(usb0\.network on worker4|usb0 has 10\.0\.14\.2\/24|default route via 10\.0\.14\.1|clock matches the manager)"/);
    expect(out).toMatch(/cannot reach node 4 over SSH|connection to node 4 lost/);
    expect(out).toMatch(/hint: Fix the cause and run add-node 4 again/);
    // Manager side was done before the failure, and stays done.
    expect(lab.managerFile('/etc/udev/rules.d/90-pi-network.rules')).toContain('NAME="ethpi4"');

    await lab.startSshd(4);
    const again = await cli(lab, ['add-node', '4']);
    expect(again.json.ok).toBe(true);
    const st = stepStatuses(again.json);
    expect(st['udev-rule']).toBe('ok');
    expect(st['host-address']).toBe('ok');
    expect(st['worker-route']).toBe('changed');
    expect(st['verify-ssh']).toBe('ok');
  });

  test('a changed host key is refused with both fingerprints, and trust-host accepts it', async () => {
    const pinned = lab.hostKeyFingerprint(4);
    await lab.regenerateHostKey(4);
    const fresh = lab.hostKeyFingerprint(4);
    expect(fresh).not.toBe(pinned);
    const w0 = await workerSnapshot(lab, 4);
    const r = await cli(lab, ['route', '4', 'set']);
    expect(r.json.ok).toBe(false);
    const text = JSON.stringify(r.json);
    expect(text).toContain(pinned);
    expect(text).toContain(fresh);
    expect(text).toContain('picluster trust-host 4');
    expect(await workerSnapshot(lab, 4)).toEqual(w0);

    const t = await cli(lab, ['trust-host', '4']);
    expect(t.json.ok).toBe(true);
    expect(t.json.data.new.fingerprint).toBe(fresh);
    expect(t.json.data.old.fingerprint).toBe(pinned);
    expect((await cli(lab, ['route', '4'])).json.ok).toBe(true);
  });

  test('bad input gets a clear error and changes nothing (CLI)', async () => {
    const m0 = await managerSnapshot(lab);
    const w0 = await workerSnapshot(lab, 5);
    const cases: Array<[string[], RegExp]> = [
      [['add-node', '0'], /out of range/],
      [['add-node', '999'], /out of range/],
      [['add-node', '-1'], /not a node number/],
      [['add-node', '300'], /out of range/],
      [['add-node', '5;reboot'], /not a node number/],
      [['add-node', '5', '4'], /Unexpected extra argument/],
      [['add-node'], /needs <node>/],
      [['add-node', ''], /needs <node>/],
      [['frobnicate', '5'], /Unknown command/],
      [['add-node', '5', '--force'], /Unknown option --force/],
      [['nat', 'explode'], /must be one of/],
      [['ping', '$(reboot)'], /not a node number/],
      [['set-time', '0'], /out of range/],
      [['route', '5', 'delete'], /must be one of show, set/],
      [['remove-node', 'abc'], /not a node number/],
    ];
    for (const [args, re] of cases) {
      const r = await lab.runCli(args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(re);
    }
    const sd = await cli(lab, ['sdcard', '5', '--boot', '/nonexistent']);
    expect(sd.json.summary).toMatch(/is not a directory/);
    expect(await managerSnapshot(lab)).toEqual(m0);
    expect(await workerSnapshot(lab, 5)).toEqual(w0);
    const audit = await cli(lab, ['audit', '--limit', '5']);
    expect(audit.json.data.some((e: any) => e.outcome === 'refused')).toBe(true);
  });

  test('shell adapter: bad lines are refused, /add-node 5 provisions the fresh node with live progress', async () => {
    const m0 = await managerSnapshot(lab);
    const bad = await lab.managerExec([process.execPath, 'dist/src/main.js'], { input: '/add-node 0\n/add-node 5;reboot\n/add-node 5 4\n/bogus\n\n/exit\n', timeoutMs: 60_000 });
    expect(bad.stdout).toMatch(/error: Node 0 is out of range/);
    expect(bad.stdout).toMatch(/error: "5;reboot" is not a node number/);
    expect(bad.stdout).toMatch(/error: Unexpected extra argument "4"/);
    expect(bad.stdout).toMatch(/error: Unknown command "bogus"/);
    expect(await managerSnapshot(lab)).toEqual(m0);

    const good = await lab.managerExec([process.execPath, 'dist/src/main.js'], { input: '/add-node 5\n/status 5\n/exit\n', timeoutMs: 120_000 });
    expect(good.stdout).toMatch(/Running: \d+ steps/);
    expect(good.stdout).toMatch(/✓ interface named ethpi5|● interface named ethpi5: changed/);
    expect(good.stdout).toMatch(/add-node 5: done/);
    expect(good.stdout).toMatch(/ethpi5\s+up\s+10\.0\.15\.1\/24/);
    expect((await lab.workerExec(5, ['ip', '-4', 'addr', 'show', 'usb0'])).stdout).toContain('10.0.15.2/24');
  });
  test('one operation per node at a time: a second add-node for the same node is refused clearly', async () => {
    const first = lab.spawnInManager([process.execPath, path.join(REPO_ROOT, 'dist/src/cli.js'), 'add-node', '5']);
    let out = '';
    const started = new Promise<void>((resolve) =>
      first.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Running:')) resolve();
      }),
    );
    const done = new Promise<number | null>((resolve) => first.on('close', resolve));
    await started;
    const second = await cli(lab, ['add-node', '5']);
    expect(await done).toBe(0);
    expect(second.json.ok).toBe(false);
    expect(second.json.summary).toMatch(/Node 5 is busy: cli:root.* started it at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    // After the first one finished, the node is free again.
    expect((await cli(lab, ['add-node', '5'])).json.outcome).toBe('unchanged');
  });
});

describe('sdcard on a sample card (no network involved)', () => {
  test('edits cmdline.txt keeping its other parameters, writes config.txt, usb0.network and the key; dry run first', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const { runLocal } = await import('../src/exec/local');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-sd-'));
    try {
      fs.mkdirSync(path.join(dir, 'boot'));
      fs.mkdirSync(path.join(dir, 'root/etc'), { recursive: true });
      const cmdline = 'root=/dev/mmcblk0p2 rw rootwait console=ttyAMA0,115200 console=tty1 selinux=0 quiet\n';
      fs.writeFileSync(path.join(dir, 'boot/cmdline.txt'), cmdline);
      fs.writeFileSync(path.join(dir, 'boot/config.txt'), 'gpu_mem=16\n');
      const env = { ...process.env, DATA_DIR: path.join(dir, 'data') };
      const run = (extra: string[]) => runLocal([process.execPath, path.join(REPO_ROOT, 'dist/src/cli.js'), 'sdcard', '3', '--boot', path.join(dir, 'boot'), '--root', path.join(dir, 'root'), '--json', ...extra], { env });
      const dry = JSON.parse((await run(['--dry-run'])).stdout);
      expect(dry.outcome).toBe('planned');
      expect(fs.readFileSync(path.join(dir, 'boot/cmdline.txt'), 'utf8')).toBe(cmdline);
      expect(fs.existsSync(path.join(dir, 'root/etc/systemd'))).toBe(false);
      const r = JSON.parse((await run([])).stdout);
      expect(r.ok).toBe(true);
      expect(fs.readFileSync(path.join(dir, 'boot/cmdline.txt'), 'utf8')).toBe(
        'root=/dev/mmcblk0p2 rw rootwait modules-load=dwc2,g_ether g_ether.host_addr=00:22:82:ff:ff:03 g_ether.dev_addr=00:22:82:ff:ff:13 console=ttyAMA0,115200 console=tty1 selinux=0 quiet\n',
      );
      expect(fs.readFileSync(path.join(dir, 'boot/config.txt'), 'utf8')).toMatch(/^gpu_mem=16\n.*dtoverlay=dwc2\n$/s);
      expect(fs.readFileSync(path.join(dir, 'root/etc/systemd/network/usb0.network'), 'utf8')).toMatch(/Address=10\.0\.13\.2\/24/);
      const keys = fs.readFileSync(path.join(dir, 'root/root/.ssh/authorized_keys'), 'utf8');
      expect(keys).toBe(fs.readFileSync(path.join(dir, 'data/id_ed25519.pub'), 'utf8'));
      expect(fs.statSync(path.join(dir, 'root/root/.ssh/authorized_keys')).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.join(dir, 'data/id_ed25519')).mode & 0o777).toBe(0o600);
      expect(JSON.parse((await run([])).stdout).outcome).toBe('unchanged');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a machine that is not a cluster manager', () => {
  let lab: Lab;
  beforeAll(async () => {
    // Its gadget MACs use another prefix than the bot's, so the bot finds nothing it knows.
    lab = await Lab.create({ nodes: [1], settings: { macPrefix: '02:00:00:01' } });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  test('mutating commands show the plan, point to the lab and change nothing without --yes', async () => {
    const env = { MAC_PREFIX: '00:22:82:ff' };
    const m0 = await managerSnapshot(lab);
    const r = await lab.runCli(['add-node', '3'], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/add-node 3: dry run/);
    expect(r.stdout).toMatch(/does not look like a cluster manager/);
    expect(r.stdout).toMatch(/npm run lab -- shell/);
    expect(r.stderr).toMatch(/Refusing to change this machine without --yes/);
    const shell = await lab.managerExec([process.execPath, 'dist/src/main.js'], { env, input: '/nat enable\nno\n/exit\n', timeoutMs: 60_000 });
    expect(shell.stdout).toMatch(/Apply these changes to THIS machine\? \[y\/N\]/);
    expect(shell.stdout).toMatch(/Cancelled; nothing changed/);
    expect(await managerSnapshot(lab)).toEqual(m0);
    // Read-only commands still work and say what they see.
    const ping = await lab.runCli(['ping', '3', '--json'], { env });
    expect(JSON.parse(ping.stdout).summary).toMatch(/not connected .* not pinged/);
  });
});
