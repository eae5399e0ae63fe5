import { Lab } from '../lab/lab';

const MANAGER_FILES = ['/etc/udev/rules.d/90-pi-network.rules', '/etc/sysctl.d/90-picluster.conf', '/etc/iptables/iptables.rules'];

function stripVolatile(ipJson: string): unknown {
  return (JSON.parse(ipJson || '[]') as any[]).map((l) => ({
    ifname: l.ifname,
    address: l.address,
    flags: l.flags,
    addr: (l.addr_info ?? []).map((a: any) => `${a.local}/${a.prefixlen}`).sort(),
  }));
}

/** Everything add-node could touch on the manager, minus counters and timestamps. */
export async function managerSnapshot(lab: Lab): Promise<Record<string, unknown>> {
  const [addr, route, rules, fwd, nd] = await Promise.all([
    lab.managerExec(['ip', '-j', 'addr', 'show']),
    lab.managerExec(['ip', 'route', 'show']),
    lab.managerExec(['iptables-save']),
    lab.managerExec(['sysctl', '-n', 'net.ipv4.ip_forward']),
    lab.managerExec(['sh', '-c', 'ls -1 /etc/systemd/network 2>/dev/null; cat /etc/systemd/network/* 2>/dev/null; true']),
  ]);
  const files: Record<string, string | null> = {};
  for (const f of MANAGER_FILES) files[f] = lab.managerFile(f);
  return {
    links: stripVolatile(addr.stdout),
    routes: route.stdout,
    iptables: rules.stdout.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '')).join('\n'),
    ipForward: fwd.stdout.trim(),
    networkd: nd.stdout,
    files,
  };
}

export async function workerSnapshot(lab: Lab, n: number): Promise<Record<string, unknown>> {
  const [addr, route] = await Promise.all([lab.workerExec(n, ['ip', '-j', 'addr', 'show']), lab.workerExec(n, ['ip', 'route', 'show'])]);
  return {
    links: stripVolatile(addr.stdout),
    routes: route.stdout,
    network: lab.workerFile(n, '/etc/systemd/network/usb0.network'),
    hostname: lab.workerFile(n, '/etc/hostname'),
    dateCalls: lab.dateCalls(n),
  };
}

export function parseJson(stdout: string): any {
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`not JSON:\n${stdout}`);
  }
}
