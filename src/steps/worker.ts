import { NodeAddressing } from '../cluster/model';
import { SshPool } from '../exec/ssh';
import { describeFailure, ok } from '../exec/result';
import { RemoteFiles } from '../system/files';
import { WORKER_HOSTNAME, WORKER_NETWORK } from '../system/paths';
import { lineDiff } from './diff';
import { fileStep } from './file-step';
import { Step } from './step';

export function workerNetworkContent(a: NodeAddressing, dns: string[]): string {
  return [
    `# Managed by picluster (node ${a.node}): static address on the USB gadget link,`,
    '# the manager as gateway, so address, route and DNS all survive a reboot.',
    '[Match]',
    'Name=usb0',
    '',
    '[Network]',
    `Address=${a.workerIp}/${a.prefixLen}`,
    `Gateway=${a.hostIp}`,
    ...dns.map((d) => `DNS=${d}`),
    '',
  ].join('\n');
}

async function must(pool: SshPool, a: NodeAddressing, argv: string[], input?: string) {
  const r = await pool.exec(a, argv, { input, prefer: 'link-local' });
  if (!ok(r)) throw new Error(describeFailure(r));
  return r;
}

export function workerNetworkFileStep(pool: SshPool, a: NodeAddressing, dns: string[]): Step {
  return fileStep({
    id: 'worker-network-file',
    title: `usb0.network on worker${a.node}`,
    where: 'worker',
    target: new RemoteFiles(pool, a),
    path: WORKER_NETWORK,
    desired: () => workerNetworkContent(a, dns),
    afterWrite: async () => {
      const r = await pool.exec(a, ['sh', '-c', 'command -v networkctl >/dev/null 2>&1 && [ -d /run/systemd/netif ] && networkctl reload'], { prefer: 'link-local' });
      return [ok(r) ? 'networkctl reload done on the Pi' : 'systemd-networkd not running on the Pi: file used at next boot, address and route applied live'];
    },
  });
}

async function usb0(pool: SshPool, a: NodeAddressing): Promise<{ up: boolean; ipv4: string[] }> {
  const r = await must(pool, a, ['ip', '-j', 'addr', 'show', 'dev', 'usb0']);
  const l = (JSON.parse(r.stdout || '[]') as any[])[0];
  if (!l) throw new Error(`worker${a.node} has no usb0 interface (is g_ether loaded? modules-load=dwc2,g_ether in cmdline.txt)`);
  return { up: (l.flags ?? []).includes('UP'), ipv4: (l.addr_info ?? []).filter((x: any) => x.family === 'inet').map((x: any) => `${x.local}/${x.prefixlen}`) };
}

export function workerAddressStep(pool: SshPool, a: NodeAddressing): Step {
  const want = `${a.workerIp}/${a.prefixLen}`;
  return {
    id: 'worker-address',
    title: `usb0 has ${want}`,
    where: 'worker',
    async check() {
      const u = await usb0(pool, a);
      if (u.up && u.ipv4.includes(want)) return { inSync: true, summary: `usb0 up with ${want}` };
      return { inSync: false, summary: `add ${want} to usb0`, diff: lineDiff(u.ipv4.length ? u.ipv4 : ['(no IPv4)'], [want]) };
    },
    async apply() {
      await must(pool, a, ['ip', 'addr', 'replace', want, 'dev', 'usb0']);
      await must(pool, a, ['ip', 'link', 'set', 'dev', 'usb0', 'up']);
    },
  };
}

export async function workerDefaultRoute(pool: SshPool, a: NodeAddressing): Promise<{ gateway?: string; dev?: string } | undefined> {
  const r = await must(pool, a, ['ip', '-j', 'route', 'show', 'default']);
  const route = (JSON.parse(r.stdout || '[]') as any[])[0];
  return route ? { gateway: route.gateway, dev: route.dev } : undefined;
}

export function workerRouteStep(pool: SshPool, a: NodeAddressing): Step {
  return {
    id: 'worker-route',
    title: `default route via ${a.hostIp}`,
    where: 'worker',
    async check() {
      const cur = await workerDefaultRoute(pool, a);
      if (cur?.gateway === a.hostIp && cur.dev === 'usb0') return { inSync: true, summary: `default via ${a.hostIp} dev usb0` };
      const now = cur ? `default via ${cur.gateway ?? '?'} dev ${cur.dev ?? '?'}` : '(no default route)';
      return { inSync: false, summary: `set default route via ${a.hostIp}`, diff: lineDiff([now], [`default via ${a.hostIp} dev usb0`]) };
    },
    async apply() {
      await must(pool, a, ['ip', 'route', 'replace', 'default', 'via', a.hostIp, 'dev', 'usb0']);
    },
  };
}

/** Seconds the Pi is ahead (+) or behind (−) of the manager, corrected for half the round trip. */
export async function measureDrift(pool: SshPool, a: NodeAddressing): Promise<number> {
  const t0 = Date.now();
  const r = await must(pool, a, ['date', '-u', '+%s.%N']);
  const t1 = Date.now();
  const remote = parseFloat(r.stdout.trim());
  if (!Number.isFinite(remote)) throw new Error(`worker${a.node} printed an unreadable time: ${r.stdout.trim()}`);
  return remote - (t0 + t1) / 2000;
}

export function formatDrift(s: number): string {
  const abs = Math.abs(s);
  const dir = s >= 0 ? 'ahead' : 'behind';
  if (abs < 1) return `${(abs * 1000).toFixed(0)} ms ${dir}`;
  if (abs < 120) return `${abs.toFixed(1)} s ${dir}`;
  if (abs < 3600) return `${(abs / 60).toFixed(1)} min ${dir}`;
  if (abs < 172800) return `${(abs / 3600).toFixed(1)} h ${dir}`;
  return `${(abs / 86400).toFixed(0)} days ${dir}`;
}

/** A Pi Zero has no RTC and boots with a stale clock; the manager's clock is the reference. */
export function workerClockStep(pool: SshPool, a: NodeAddressing, toleranceMs: number): Step {
  return {
    id: 'worker-clock',
    title: 'clock matches the manager',
    where: 'worker',
    async check() {
      const d = await measureDrift(pool, a);
      if (Math.abs(d) * 1000 <= toleranceMs) return { inSync: true, summary: `clock ${formatDrift(d)}` };
      return { inSync: false, summary: `clock ${formatDrift(d)}: set it from the manager`, diff: lineDiff([`drift ${d.toFixed(3)} s`], ['drift 0 s']) };
    },
    async apply() {
      const before = await measureDrift(pool, a);
      // Send the manager's time plus the expected one-way delay, measured just now.
      const t0 = Date.now();
      await must(pool, a, ['true']);
      const oneWay = (Date.now() - t0) / 2;
      await must(pool, a, ['date', '-u', '-s', `@${((Date.now() + oneWay) / 1000).toFixed(3)}`]);
      const after = await measureDrift(pool, a);
      return [`drift before: ${formatDrift(before)}; after: ${formatDrift(after)}`];
    },
  };
}

export function workerHostnameStep(pool: SshPool, a: NodeAddressing): Step {
  const files = new RemoteFiles(pool, a);
  return {
    id: 'worker-hostname',
    title: `hostname ${a.hostname}`,
    where: 'worker',
    async check() {
      const [file, live] = await Promise.all([files.read(WORKER_HOSTNAME), must(pool, a, ['hostname'])]);
      const f = (file ?? '').trim();
      const l = live.stdout.trim();
      if (f === a.hostname && l === a.hostname) return { inSync: true, summary: `hostname ${a.hostname}` };
      return { inSync: false, summary: `rename ${l || '(unset)'} → ${a.hostname}`, diff: lineDiff([`/etc/hostname: ${f || '(none)'}`, `live: ${l}`], [`/etc/hostname: ${a.hostname}`, `live: ${a.hostname}`]) };
    },
    async apply() {
      await files.write(WORKER_HOSTNAME, `${a.hostname}\n`);
      await must(pool, a, ['hostname', a.hostname]);
    },
  };
}
