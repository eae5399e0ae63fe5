/**
 * Proves the lab's plumbing (test/lab/): topology, isolation from the machine, real sshd over
 * link-local, the fake clock, NAT reachability, and that teardown leaves nothing behind.
 * Needs root (network namespaces, mounts). Everything runs inside namespaces the lab creates.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { cleanupAllLabs, Lab, labNamespaces, LAB_ROOT } from './lab/lab';
import { isAlive, pidsInNamespaces, plumbingEnv, run } from './lab/proc';

// ------------------------------------------------------------------ root namespace snapshot

async function sh(cmd: string): Promise<string> {
  const r = await run('/bin/sh', ['-c', cmd], { env: plumbingEnv() });
  return `$ ${cmd}\n${r.stdout}${r.stderr}`;
}

/** What the machine itself looks like: must be identical before a lab is created and after it is destroyed. */
async function rootSnapshot(): Promise<Record<string, string>> {
  const ours = (line: string) => line.includes(LAB_ROOT) || line.includes('/run/netns/pclab-');
  return {
    links: await sh('ip -br link'),
    addrs: await sh('ip -br addr'),
    routes: (await sh('ip route show table all; ip -6 route show table all')).replace(/ expires \d+sec/g, ''),
    rules: await sh('ip rule; ip -6 rule'),
    iptables: (await sh('iptables-save; ip6tables-save; nft list ruleset'))
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .map((l) => l.replace(/\[\d+:\d+\]/g, ''))
      .join('\n'),
    sysctl: await sh('sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv6.conf.default.accept_dad'),
    hostname: await sh('hostname; cat /etc/hostname'),
    etc: await sh("find /etc -xdev -printf '%p %y %s %T@ %m\\n' | sort"),
    // Other labs may come and go concurrently (other suites); only the machine's own mounts count.
    mounts: fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l && !ours(l))
      .map((l) => l.split(' ').slice(3, 5).join(' '))
      .sort()
      .join('\n'),
  };
}

// ------------------------------------------------------------------ helpers

function capBits(status: string, field: string): bigint {
  const m = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status);
  if (!m) throw new Error(`no ${field} in ${status}`);
  return BigInt('0x' + m[1]);
}
const CAP_SYS_BOOT = 22n;
const CAP_SYS_TIME = 25n;
const has = (bits: bigint, cap: bigint) => ((bits >> cap) & 1n) === 1n;

function ssh(lab: Lab, dest: string, command: string, first: string[] = []) {
  // ssh takes the first value it sees for an option, so callers' options go first.
  return lab.managerExec(
    [
      'ssh',
      ...first,
      '-i', path.join(lab.dataDir, 'id_ed25519'),
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'LogLevel=ERROR',
      '-o', 'ConnectTimeout=5',
      `root@${dest}`,
      command,
    ],
    { timeoutMs: 30_000 },
  );
}

const linkLocal = (lab: Lab, n: number) => `${lab.addressing(n).workerLinkLocal}%${lab.hostIfaceKernelName(n)}`;

// ------------------------------------------------------------------ the 3-node lab

describe('lab with 3 nodes (node 1 fresh)', () => {
  let before: Record<string, string>;
  let lab: Lab | undefined;
  const L = () => lab!;

  beforeAll(async () => {
    before = await rootSnapshot();
    const t0 = Date.now();
    lab = await Lab.create({ nodes: [1, 2, 3], fresh: [1], skewSeconds: { 3: -3 * 3600 } });
    console.log(`lab ${lab.id}: 3 nodes up in ${Date.now() - t0} ms`);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  test('manager sees kernel-named gadget interfaces (enx + hostMac) carrying the host MACs', async () => {
    const links = JSON.parse((await L().managerExec(['ip', '-j', 'link', 'show'])).stdout) as { ifname: string; address: string; flags: string[] }[];
    for (const n of [1, 2, 3]) {
      const a = L().addressing(n);
      const name = L().hostIfaceKernelName(n);
      expect(name).toBe('enx' + a.hostMac.replace(/:/g, ''));
      expect(name).toHaveLength(15);
      const link = links.find((l) => l.ifname === name);
      expect(link).toBeDefined();
      expect(link!.address).toBe(a.hostMac);
      expect(link!.flags).toContain('UP');
    }
    expect(links.some((l) => l.ifname.startsWith('ethpi'))).toBe(false);
    expect(links.find((l) => l.ifname === 'eth0')).toBeDefined();
    // /sys is the manager's own, so tools that read /sys/class/net see the lab's interfaces.
    expect((await L().managerExec(['ls', '/sys/class/net'])).stdout.split('\n')).toContain(L().hostIfaceKernelName(1));
  });

  test('fresh worker has only link-local; pre-addressed workers have workerIp/24 and no default route', async () => {
    const addr = async (n: number) => JSON.parse((await L().workerExec(n, ['ip', '-j', 'addr', 'show', 'dev', 'usb0'])).stdout)[0];
    const w1 = await addr(1);
    expect(w1.address).toBe(L().addressing(1).devMac);
    expect(w1.addr_info.filter((i: { family: string }) => i.family === 'inet')).toEqual([]);
    expect(w1.addr_info.find((i: { family: string; scope: string }) => i.family === 'inet6' && i.scope === 'link').local).toBe(L().addressing(1).workerLinkLocal);
    const w2 = await addr(2);
    expect(w2.addr_info.find((i: { family: string }) => i.family === 'inet')).toMatchObject({ local: '10.0.12.2', prefixlen: 24 });
    expect((await L().workerExec(2, ['ip', 'route', 'show', 'default'])).stdout.trim()).toBe('');
    expect(L().workerFile(2, '/etc/systemd/network/usb0.network')).toContain('Address=10.0.12.2/24');
    expect(L().workerFile(1, '/etc/systemd/network/usb0.network')).toBeNull();
    expect((await L().workerExec(1, ['hostname'])).stdout.trim()).toBe('alarm');
    expect((await L().workerExec(2, ['hostname'])).stdout.trim()).toBe('worker2');
  });

  test('manager can ping a pre-addressed worker once its end has hostIp', async () => {
    const a = L().addressing(2);
    const add = await L().managerExec(['ip', 'addr', 'add', `${a.hostIp}/24`, 'dev', L().hostIfaceKernelName(2)]);
    expect(add.stderr).toBe('');
    const p = await L().managerExec(['ping', '-c', '2', '-i', '0.2', '-W', '2', a.workerIp]);
    expect(p.stdout).toMatch(/ 0% packet loss/);
  });

  test('bot key is an OpenSSH ed25519 key (0600) that logs into the fresh worker over IPv6 link-local', async () => {
    const key = path.join(L().dataDir, 'id_ed25519');
    expect(fs.statSync(key).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(key, 'utf8')).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(fs.readFileSync(key + '.pub', 'utf8')).toMatch(/^ssh-ed25519 /);
    const r = await ssh(L(), linkLocal(L(), 1), 'hostname; cat /etc/hostname; echo home=$HOME; id -u');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('alarm\nalarm\nhome=/root\n0\n');
  });

  test("a worker's /etc is its own: not the machine's, not another worker's", async () => {
    const realHostname = fs.readFileSync('/etc/hostname', 'utf8');
    const w = await L().workerExec(2, ['sh', '-c', 'echo changed-by-worker2 > /etc/hostname && mkdir -p /etc/systemd/network && echo w2 > /etc/systemd/network/lab-probe.network']);
    expect(w.code).toBe(0);
    expect(L().workerFile(2, '/etc/hostname')).toBe('changed-by-worker2\n');
    expect(L().workerFile(3, '/etc/hostname')).toBe('worker3\n');
    expect(L().workerFile(3, '/etc/systemd/network/lab-probe.network')).toBeNull();
    expect(fs.readFileSync('/etc/hostname', 'utf8')).toBe(realHostname);
    expect(fs.existsSync('/etc/systemd/network/lab-probe.network')).toBe(false);
    // Also true for what arrives over ssh.
    await ssh(L(), linkLocal(L(), 3), 'echo via-ssh > /etc/lab-probe');
    expect(L().workerFile(3, '/etc/lab-probe')).toBe('via-ssh\n');
    expect(L().workerFile(2, '/etc/lab-probe')).toBeNull();
    expect(fs.existsSync('/etc/lab-probe')).toBe(false);
  });

  test("the manager's /etc is its own", async () => {
    const files = ['/etc/systemd/network/x.network', '/etc/udev/rules.d/90-pi-network.rules', '/etc/iptables/iptables.rules', '/etc/sysctl.d/90-picluster.conf'];
    for (const f of files) expect(fs.existsSync(f)).toBe(false);
    const script = files.map((f) => `mkdir -p ${path.dirname(f)} && echo lab > ${f}`).join(' && ');
    expect((await L().managerExec(['sh', '-c', script])).code).toBe(0);
    for (const f of files) {
      expect(L().managerFile(f)).toBe('lab\n');
      expect(fs.existsSync(f)).toBe(false);
    }
    expect(L().managerFile('/etc/does-not-exist')).toBeNull();
  });

  test('date shim: records `date -s` calls and shifts only that worker\'s clock', async () => {
    const now = Math.floor(Date.now() / 1000);
    const r = await ssh(L(), '10.0.12.2', 'date -u -s @0 >/dev/null && date -u +%Y && date -u +%s');
    expect(r.stderr).toBe('');
    const [year, secs] = r.stdout.trim().split('\n');
    expect(year).toBe('1970');
    expect(Number(secs)).toBeLessThan(60);
    expect(L().dateCalls(2)).toEqual(['@0']);
    expect(Math.abs(L().skew(2) + now)).toBeLessThan(60);

    // The seed's own command, through dash, and the long option.
    const seed = await L().workerExec(2, ['/bin/sh', '-c', 'date -s "08/13/2016 6:04pm"; date --set="2020-02-02 02:02:02" +%F']);
    expect(seed.stdout).toBe('Sat Aug 13 18:04:00 UTC 2016\n2020-02-02\n');
    expect(L().dateCalls(2)).toEqual(['@0', '08/13/2016 6:04pm', '2020-02-02 02:02:02']);

    // Initial skew from the options (3 h behind), and setSkew.
    const w3 = Number((await ssh(L(), linkLocal(L(), 3), 'date +%s')).stdout);
    expect(Math.abs(w3 - (Date.now() / 1000 - 3 * 3600))).toBeLessThan(30);
    expect(L().skew(3)).toBe(-3 * 3600);
    L().setSkew(3, 0);
    const w3b = Number((await L().workerExec(3, ['date', '-u', '+%s.%N'])).stdout);
    expect(Math.abs(w3b - Date.now() / 1000)).toBeLessThan(30);
    expect(L().dateCalls(3)).toEqual([]);

    // Nobody else's clock moved: worker 1 and the manager run on real time.
    for (const out of [await L().workerExec(1, ['date', '+%s']), await L().managerExec(['date', '+%s'])]) {
      expect(Math.abs(Number(out.stdout) - Date.now() / 1000)).toBeLessThan(30);
    }
    expect(Math.abs(Date.now() / 1000 - now)).toBeLessThan(120); // the machine clock is fine
  });

  test('nothing started by the lab can set the clock or reboot: CAP_SYS_TIME/CAP_SYS_BOOT are not in the bounding set', async () => {
    const viaSsh = await ssh(L(), linkLocal(L(), 1), 'cat /proc/self/status');
    const direct = await L().workerExec(2, ['cat', '/proc/self/status']);
    const manager = await L().managerExec(['cat', '/proc/self/status']);
    for (const status of [viaSsh.stdout, direct.stdout, manager.stdout]) {
      for (const field of ['CapBnd', 'CapPrm', 'CapEff']) {
        const bits = capBits(status, field);
        expect(has(bits, CAP_SYS_TIME)).toBe(false);
        expect(has(bits, CAP_SYS_BOOT)).toBe(false);
        expect(has(bits, 12n /* CAP_NET_ADMIN, still there */)).toBe(true);
      }
    }
    // sshd itself, the parent of every session.
    const sshdPid = Number(fs.readFileSync(path.join(L().dir, 'w1', 'sshd.pid'), 'utf8'));
    expect(has(capBits(fs.readFileSync(`/proc/${sshdPid}/status`, 'utf8'), 'CapBnd'), CAP_SYS_TIME)).toBe(false);
    // /proc/sys outside net/ is read-only, so kernel-wide sysctls cannot be changed from the lab.
    // (kernel.hostname is per UTS namespace, so the probe is harmless even if the mount were writable.)
    const w = await L().managerExec(['sh', '-c', 'echo probe > /proc/sys/kernel/hostname']);
    expect(w.code).not.toBe(0);
    expect(w.stderr).toMatch(/Read-only/);
  });

  test('a worker reaches the internet only after the manager NATs and forwards', async () => {
    const a = L().addressing(2);
    expect((await L().workerExec(2, ['ip', 'route', 'add', 'default', 'via', a.hostIp, 'dev', 'usb0'])).code).toBe(0);
    expect((await L().managerExec(['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('0');
    const blocked = await L().workerExec(2, ['ping', '-c', '1', '-W', '1', L().internetAddr]);
    expect(blocked.code).not.toBe(0);

    const nat = await L().managerExec(['sh', '-c', `sysctl -qw net.ipv4.ip_forward=1 && iptables -t nat -A POSTROUTING -s ${a.subnet} -o eth0 -j MASQUERADE`]);
    expect(nat.stderr).toBe('');
    const ok = await L().workerExec(2, ['ping', '-c', '2', '-i', '0.2', '-W', '2', L().internetAddr]);
    expect(ok.stdout).toMatch(/ 0% packet loss/);
    expect((await L().managerExec(['iptables-save', '-t', 'nat'])).stdout).toContain('MASQUERADE');
  });

  test('stopSshd ends sessions, startSshd brings it back, a new host key is refused by a pinned client', async () => {
    const kh = path.join(L().dataDir, 'lab-test-known_hosts');
    const pinned = ['-o', `UserKnownHostsFile=${kh}`, '-o', 'StrictHostKeyChecking=accept-new'];
    expect((await ssh(L(), linkLocal(L(), 3), 'true', pinned)).code).toBe(0);

    // A long-running session dies with sshd.
    const session = L().spawnInManager(['ssh', '-i', path.join(L().dataDir, 'id_ed25519'), ...pinned, '-o', 'BatchMode=yes', `root@${linkLocal(L(), 3)}`, 'echo started; sleep 120']);
    await new Promise<void>((resolve) => session.stdout!.on('data', (b: Buffer) => b.toString().includes('started') && resolve()));
    const exited = new Promise<number | null>((resolve) => session.on('exit', (code) => resolve(code)));
    await L().stopSshd(3);
    expect(L().sshdRunning(3)).toBe(false);
    expect(await exited).not.toBe(0);
    const refused = await ssh(L(), linkLocal(L(), 3), 'true', pinned);
    expect(refused.stderr).toMatch(/Connection refused/);

    await L().startSshd(3);
    expect(L().sshdRunning(3)).toBe(true);
    expect((await ssh(L(), linkLocal(L(), 3), 'hostname', pinned)).stdout).toBe('worker3\n');

    const fp = L().hostKeyFingerprint(3);
    await L().regenerateHostKey(3);
    expect(L().hostKeyFingerprint(3)).not.toBe(fp);
    const changed = await ssh(L(), linkLocal(L(), 3), 'true', pinned);
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
    expect((await ssh(L(), linkLocal(L(), 3), 'echo fresh-client')).stdout).toBe('fresh-client\n');
  });

  test('exposeUnixSocket forwards 127.0.0.1:port in the manager to a Unix socket in the root namespace', async () => {
    const sock = path.join('/tmp', `pclab-test-${L().id}.sock`);
    fs.rmSync(sock, { force: true });
    const server = net.createServer((c) => c.on('data', (b) => c.end(`pong:${b.toString().trim()}\n`)));
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      await L().exposeUnixSocket(sock, 8080);
      const client = `const s=require('net').connect(8080,'127.0.0.1',()=>s.write('hello\\n'));s.on('data',d=>process.stdout.write(d));`;
      const r = await L().managerExec([process.execPath, '-e', client], { timeoutMs: 10_000 });
      expect(r.stdout).toBe('pong:hello\n');
    } finally {
      server.close();
      fs.rmSync(sock, { force: true });
    }
  });

  test('Lab.attach gives another handle on the same lab', async () => {
    const other = Lab.attach(L().id);
    expect(other.dataDir).toBe(L().dataDir);
    expect((await other.workerExec(2, ['cat', '/etc/hostname'])).stdout).toBe('changed-by-worker2\n');
    expect(other.status().sshd).toEqual({ 1: true, 2: true, 3: true });
  });

  test('destroy() leaves no namespace, process, mount, veth or directory, and the machine is as before', async () => {
    const idents = labNamespaces(L().id);
    expect(idents.size).toBe(5 + 8); // netns m, inet, w1-3 + mnt and uts of m, w1-3
    const pids = pidsInNamespaces(idents);
    expect(pids.length).toBeGreaterThanOrEqual(4); // 3 sshd + the forwarder
    await L().destroy();
    await L().destroy(); // idempotent

    expect(pidsInNamespaces(idents)).toEqual([]);
    for (const p of pids) expect(isAlive(p)).toBe(false);
    expect(fs.readdirSync('/run/netns').filter((n) => n.startsWith(`pclab-${L().id}-`))).toEqual([]);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(L().dir);
    expect(fs.existsSync(L().dir)).toBe(false);
    expect(await rootSnapshot()).toEqual(before);
  });
});

// ------------------------------------------------------------------ crash cleanup

describe('leftovers of a crashed run', () => {
  const id = `crash${process.pid % 100000}`;
  afterAll(async () => {
    await cleanupAllLabs({ ids: [id], force: true });
  });

  test('a lab whose creator was SIGKILLed is removed by cleanupAllLabs; a live one is not', async () => {
    const labJs = path.join(__dirname, 'lab', 'lab.js');
    const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(labJs)}).Lab.create({ nodes: [1, 2], id: ${JSON.stringify(id)} }).then(() => { console.log('ready'); setInterval(() => {}, 1000); }, (e) => { console.error(e); process.exit(1); })`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`creator exited ${code}`)));
    });
    expect(await cleanupAllLabs({ ids: [id] })).toEqual([]); // creator alive: not a leftover
    const idents = labNamespaces(id);
    expect(pidsInNamespaces(idents).length).toBeGreaterThanOrEqual(2);

    child.removeAllListeners('exit');
    const gone = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await gone;
    expect(pidsInNamespaces(idents).length).toBeGreaterThanOrEqual(2); // sshds outlive their creator

    expect(await cleanupAllLabs({ ids: [id] })).toEqual([id]);
    expect(pidsInNamespaces(idents)).toEqual([]);
    expect(fs.readdirSync('/run/netns').filter((n) => n.startsWith(`pclab-${id}-`))).toEqual([]);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(path.join(LAB_ROOT, id));
    expect(fs.existsSync(path.join(LAB_ROOT, id))).toBe(false);
  });
});

// ------------------------------------------------------------------ scale

describe('lab with 16 nodes', () => {
  let lab: Lab | undefined;
  afterAll(async () => {
    await lab?.destroy();
  });

  test('comes up with every sshd reachable (timing printed, not asserted)', async () => {
    const nodes = Array.from({ length: 16 }, (_, i) => i + 1);
    const t0 = Date.now();
    lab = await Lab.create({ nodes, fresh: [1, 16] });
    const createMs = Date.now() - t0;
    expect(lab.status().sshd).toEqual(Object.fromEntries(nodes.map((n) => [n, true])));
    // Node 16 uses the fe:/fd: MAC scheme; reach it over link-local like a fresh Pi.
    expect(lab.hostIfaceKernelName(16)).toBe('enx002282fffe10');
    const r = await ssh(lab, linkLocal(lab, 16), 'hostname');
    expect(r.stdout).toBe('alarm\n');
    const t1 = Date.now();
    await lab.destroy();
    console.log(`lab: 16 nodes created in ${createMs} ms, destroyed in ${Date.now() - t1} ms`);
  });
});
