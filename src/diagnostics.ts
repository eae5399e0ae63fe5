import * as fs from 'node:fs';
import type { CommandResult, Table } from './commands/types';
import type { Engine } from './engine';
import { ipInSubnet } from './cluster/model';
import { haveTool, runLocal } from './exec/local';
import { ok } from './exec/result';
import { ifaceNameForMac, LinkInfo, listLinks } from './system/links';
import { IPTABLES_RULES, SYSCTL_FILE, UDEV_RULES } from './system/paths';
import { pingHosts, PingResult } from './system/ping';
import { desiredNatRules, liveRulesDump, normalizeRules, readNatLive } from './steps/nat';
import { udevNameClashes } from './steps/host';

export async function natStatus(engine: Engine): Promise<CommandResult> {
  const subnets = engine.natSubnets();
  const [live, fwd, dump, saved] = await Promise.all([readNatLive(), runLocal(['sysctl', '-n', 'net.ipv4.ip_forward']), liveRulesDump(), engine.files.read(IPTABLES_RULES)]);
  const want = desiredNatRules(subnets, engine.config.cluster.uplink);
  const covered = subnets.filter((s) => (live.nat ?? []).some((r) => r.includes(`-s ${s} `)));
  const missing = subnets.filter((s) => !covered.includes(s));
  const forwarding = fwd.stdout.trim() === '1';
  const savedMatches = saved !== null && normalizeRules(saved) === dump;
  const enabled = engine.natEnabled();
  const healthy = enabled ? forwarding && missing.length === 0 && live.jumpNat && savedMatches : (live.nat ?? []).length === 0;
  const rows = [
    ['setting', enabled ? 'enabled' : 'disabled'],
    ['ip_forward', forwarding ? 'on' : 'off'],
    ['MASQUERADE', `${covered.length}/${subnets.length} node subnets out of ${engine.config.cluster.uplink}${missing.length ? ` (missing ${missing.join(', ')})` : ''}`],
    ['chains hooked', `POSTROUTING ${live.jumpNat ? 'yes' : 'no'}, FORWARD ${live.jumpFwd ? 'yes' : 'no'}`],
    ['saved rules', savedMatches ? `${IPTABLES_RULES} matches live` : `${IPTABLES_RULES} ${saved === null ? 'missing' : 'differs from live'}`],
  ];
  return {
    ok: healthy,
    outcome: 'info',
    title: `NAT is ${enabled ? 'enabled' : 'disabled'}`,
    summary: healthy ? (enabled ? `${subnets.length} node subnet(s) masqueraded out of ${engine.config.cluster.uplink}.` : 'No picluster NAT rules are active.') : `NAT needs attention: run nat ${enabled ? 'enable' : 'disable'} to repair.`,
    tables: [{ columns: ['item', 'state'], rows }],
    sections: [{ title: 'picluster rules', body: [...(live.nat ?? []), ...(live.filter ?? [])].join('\n') || '(none)' }],
    data: { enabled, forwarding, subnets, covered, missing, live, savedMatches, desired: want },
  };
}

export interface NodeStatus {
  node: number;
  iface: string;
  present: boolean;
  name?: string;
  up: boolean;
  carrier: boolean;
  addresses: string[];
  stats?: LinkInfo['stats'];
  ping?: PingResult;
  remote?: { rxPackets: number; txPackets: number; rxErrors: number; txErrors: number; via?: string } | { error: string };
}

export function fmtBytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) (v /= 1024), i++;
  return `${i ? v.toFixed(1) : v} ${u[i]}`;
}

/** The Pi-side usb0 counters `status --remote` reads (exported so bench/fanout runs the very same command). */
export const REMOTE_COUNTERS_ARGV = ['cat', ...['rx_packets', 'tx_packets', 'rx_errors', 'tx_errors'].map((f) => `/sys/class/net/usb0/statistics/${f}`)];

async function remoteCounters(engine: Engine, n: number): Promise<NodeStatus['remote']> {
  const r = await engine.pool.exec(engine.node(n), REMOTE_COUNTERS_ARGV, { timeoutMs: 10_000 });
  if (!ok(r)) return { error: r.error ?? r.stderr.trim() ?? `exit ${r.code}` };
  const [rxPackets, txPackets, rxErrors, txErrors] = r.stdout.trim().split('\n').map(Number);
  return { rxPackets, txPackets, rxErrors, txErrors, via: r.via };
}

/**
 * The seed's `ifconfig`, per node, read on the manager; plus reachability and optional Pi-side counters.
 * The echoes (one fping for all nodes where it is installed) and the SSH reads start at once, alongside
 * `ip -s addr`, for every node whose USB link is present (the same MAC check, from sysfs).
 */
export async function nodeStatuses(engine: Engine, nodes: number[], opts: { ping?: boolean; remote?: boolean } = {}): Promise<NodeStatus[]> {
  const linked = new Set(nodes.filter((n) => ifaceNameForMac(engine.node(n).hostMac) !== undefined));
  const remotes = new Map(nodes.map((n) => [n, opts.remote && linked.has(n) ? remoteCounters(engine, n) : undefined]));
  const pingTargets = opts.ping !== false ? nodes.filter((n) => linked.has(n)) : [];
  const pings = pingHosts(pingTargets.map((n) => engine.node(n).workerIp), { count: 1, waitS: 1 }).then((rs) => new Map(pingTargets.map((n, i) => [n, rs[i]])));
  const allLinks = listLinks();
  // Each is awaited below; if `ip` fails first the others must not become unhandled rejections.
  for (const p of [pings, allLinks, ...remotes.values()]) p?.catch(() => undefined);
  const links = await allLinks;
  return Promise.all(
    nodes.map(async (n) => {
      const a = engine.node(n);
      const link = links.find((l) => l.mac === a.hostMac);
      const st: NodeStatus = {
        node: n,
        iface: a.hostIface,
        present: Boolean(link),
        name: link?.name,
        up: Boolean(link?.up),
        carrier: Boolean(link?.carrier),
        addresses: link?.ipv4 ?? [],
        stats: link?.stats,
      };
      const [p, remote] = await Promise.all([pings.then((m) => m.get(n)), remotes.get(n)]);
      st.ping = p;
      st.remote = remote;
      return st;
    }),
  );
}

export function statusTable(rows: NodeStatus[]): Table {
  return {
    columns: ['node', 'iface', 'link', 'address', 'RX pkts', 'RX bytes', 'RX err/drop', 'TX pkts', 'TX bytes', 'TX err/drop', 'reach'],
    rows: rows.map((s) => [
      String(s.node),
      s.name ?? s.iface,
      !s.present ? 'absent' : s.carrier ? 'up' : s.up ? 'no-carrier' : 'down',
      s.addresses.join(' ') || '-',
      String(s.stats?.rxPackets ?? '-'),
      s.stats ? fmtBytes(s.stats.rxBytes) : '-',
      s.stats ? `${s.stats.rxErrors}/${s.stats.rxDropped}` : '-',
      String(s.stats?.txPackets ?? '-'),
      s.stats ? fmtBytes(s.stats.txBytes) : '-',
      s.stats ? `${s.stats.txErrors}/${s.stats.txDropped}` : '-',
      !s.ping ? '-' : s.ping.received ? `${s.ping.avgMs?.toFixed(1)} ms` : 'no reply',
    ]),
  };
}

type Level = 'ok' | 'warn' | 'fail';
interface Finding {
  check: string;
  level: Level;
  detail: string;
  fix?: string;
}

/** Preflight: everything the guide's steps depend on, each with the command that fixes it. */
export async function doctor(engine: Engine): Promise<CommandResult> {
  const f: Finding[] = [];
  const add = (check: string, level: Level, detail: string, fix?: string) => f.push({ check, level, detail, fix });
  const c = engine.config.cluster;

  for (const t of ['ip', 'iptables', 'iptables-save', 'iptables-restore', 'sysctl', 'ping']) {
    if (!haveTool(t)) add(`tool ${t}`, 'fail', `${t} is not installed`, t.startsWith('iptables') ? 'pacman -S iptables' : t === 'ping' ? 'pacman -S iputils' : 'pacman -S iproute2 procps-ng');
  }
  for (const t of ['udevadm', 'networkctl']) {
    if (!haveTool(t)) add(`tool ${t}`, 'warn', `${t} not found: renames and addresses are applied live but are not reloaded by systemd`);
  }
  if (!haveTool('fping')) add('tool fping', 'warn', 'fping not found: status pings each node with a process of its own, slow over many nodes', 'pacman -S fping');
  if (!f.some((x) => x.check.startsWith('tool'))) add('tools', 'ok', 'ip, iptables, sysctl, ping, fping, udevadm, networkctl present');

  const links = await listLinks();
  const uplink = links.find((l) => l.name === c.uplink);
  if (!uplink) add('uplink', 'fail', `UPLINK_IFACE ${c.uplink} does not exist here (interfaces: ${links.map((l) => l.name).join(', ')})`, 'set UPLINK_IFACE in .env');
  else add('uplink', 'ok', `${c.uplink} ${uplink.carrier ? 'up' : 'down'} ${uplink.ipv4.join(' ')}`);

  const nodes = engine.inventory();
  const subnets = nodes.map((n) => engine.node(n).subnet);
  for (const l of links) {
    for (const addr of l.ipv4) {
      const ip = addr.split('/')[0];
      for (const n of nodes) {
        const a = engine.node(n);
        if (ipInSubnet(ip, a.subnet) && l.mac !== a.hostMac) add(`subnet overlap`, 'fail', `${l.name} has ${addr}, inside node ${n}'s subnet ${a.subnet}`, 'change SUBNET_PREFIX/SUBNET_OFFSET or that interface address');
      }
    }
    const m = /^ethpi(\d+)$/.exec(l.name);
    if (m) {
      const a = engine.node(Number(m[1]));
      if (l.mac !== a.hostMac) add(`name clash ${l.name}`, 'fail', `${l.name} has MAC ${l.mac}, but node ${m[1]} should be ${a.hostMac}`, `check MAC_PREFIX and the Pi's cmdline.txt (picluster sdcard ${m[1]})`);
    }
  }

  const rules = await engine.files.read(UDEV_RULES);
  for (const n of nodes) {
    const clashes = udevNameClashes(rules, engine.node(n));
    if (clashes.length) add(`udev clash ethpi${n}`, 'fail', `${UDEV_RULES} names another device ethpi${n}: ${clashes.join(' | ')}`, 'delete that line');
  }
  for (const n of nodes) {
    const a = engine.node(n);
    const l = links.find((x) => x.mac === a.hostMac);
    if (!l) add(`node ${n}`, 'warn', `no interface with MAC ${a.hostMac} (Pi unplugged or not booted)`);
    else if (l.name !== a.hostIface || !l.ipv4.includes(`${a.hostIp}/24`)) add(`node ${n}`, 'fail', `${l.name} should be ${a.hostIface} with ${a.hostIp}/24 (has ${l.ipv4.join(' ') || 'no IPv4'})`, `add-node ${n}`);
    else add(`node ${n}`, 'ok', `${a.hostIface} ${l.carrier ? 'up' : 'no carrier'} with ${a.hostIp}/24`);
  }

  const fwd = await runLocal(['sysctl', '-n', 'net.ipv4.ip_forward']);
  const fwdOn = fwd.stdout.trim() === '1';
  const persisted = ((await engine.files.read(SYSCTL_FILE)) ?? '').includes('net.ipv4.ip_forward = 1');
  if (engine.natEnabled()) {
    add('ip_forward', fwdOn ? 'ok' : 'fail', fwdOn ? 'on' : 'off: nodes cannot reach the uplink', 'nat enable');
    add('ip_forward at boot', persisted ? 'ok' : 'fail', persisted ? `${SYSCTL_FILE}` : `not persisted in ${SYSCTL_FILE}: lost on reboot`, 'nat enable');
    const live = await readNatLive();
    const missing = subnets.filter((s) => !(live.nat ?? []).some((r) => r.includes(`-s ${s} `) && r.includes(`-o ${c.uplink} `)));
    add('MASQUERADE', missing.length || !live.jumpNat ? 'fail' : 'ok', missing.length ? `no MASQUERADE out of ${c.uplink} for ${missing.join(', ')}` : !live.jumpNat ? 'picluster chain not hooked into POSTROUTING' : `covers all ${subnets.length} node subnets`, 'nat enable');
    const fwdRules = await runLocal(['iptables', '-w', '-S', 'FORWARD']);
    const policyDrop = /^-P FORWARD (DROP|REJECT)/m.test(fwdRules.stdout);
    if (policyDrop && !live.jumpFwd) add('FORWARD policy', 'fail', 'FORWARD policy is DROP and the picluster FORWARD chain is not hooked: node traffic is dropped', 'nat enable');
    else add('FORWARD policy', 'ok', policyDrop ? 'DROP, with picluster ACCEPT rules hooked' : 'ACCEPT');
  } else {
    add('NAT', 'warn', 'NAT is disabled: nodes cannot reach the internet', 'nat enable');
  }
  const [dump, saved] = await Promise.all([liveRulesDump(), engine.files.read(IPTABLES_RULES)]);
  const same = saved !== null && normalizeRules(saved) === dump;
  add('saved rules', same ? 'ok' : 'fail', same ? `${IPTABLES_RULES} equals the live rules` : `${IPTABLES_RULES} ${saved === null ? 'is missing' : 'differs from the live rules'}: a reboot would ${saved === null ? 'lose' : 'change'} them`, 'nat enable (or iptables-save > /etc/iptables/iptables.rules)');
  if (!fs.existsSync('/etc/arch-release')) add('platform', 'warn', 'not Arch Linux ARM: paths follow Arch (iptables.service, systemd-networkd)');

  const fails = f.filter((x) => x.level === 'fail').length;
  const warns = f.filter((x) => x.level === 'warn').length;
  const icon = { ok: '✓', warn: '!', fail: '✗' };
  return {
    ok: fails === 0,
    outcome: 'info',
    title: fails ? `doctor: ${fails} problem(s)` : 'doctor: all good',
    summary: `${f.length - fails - warns} ok, ${warns} warning(s), ${fails} problem(s).`,
    tables: [{ columns: ['', 'check', 'detail', 'fix'], rows: f.map((x) => [icon[x.level], x.check, x.detail, x.fix && x.level !== 'ok' ? x.fix : '']) }],
    data: { findings: f },
  };
}
