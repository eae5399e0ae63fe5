import { runLocal } from '../exec/local';
import { describeFailure, ok } from '../exec/result';

export interface LinkStats {
  rxPackets: number;
  rxBytes: number;
  rxErrors: number;
  rxDropped: number;
  txPackets: number;
  txBytes: number;
  txErrors: number;
  txDropped: number;
}

export interface LinkInfo {
  name: string;
  mac: string;
  up: boolean;
  /** Carrier present (LOWER_UP): the Pi is plugged in and its gadget driver is running. */
  carrier: boolean;
  operstate: string;
  ipv4: string[];
  ipv6: Array<{ addr: string; tentative: boolean }>;
  stats: LinkStats;
}

const ZERO: LinkStats = { rxPackets: 0, rxBytes: 0, rxErrors: 0, rxDropped: 0, txPackets: 0, txBytes: 0, txErrors: 0, txDropped: 0 };

/** Every interface of this host with addresses and counters, from one `ip -j -s addr` call. */
export async function listLinks(): Promise<LinkInfo[]> {
  const r = await runLocal(['ip', '-j', '-s', 'addr', 'show'], { timeoutMs: 10_000 });
  if (!ok(r)) throw new Error(describeFailure(r));
  const raw = JSON.parse(r.stdout || '[]') as any[];
  return raw.map((l) => {
    const s = l.stats64 ?? l.stats;
    const flags: string[] = l.flags ?? [];
    return {
      name: l.ifname,
      mac: String(l.address ?? '').toLowerCase(),
      up: flags.includes('UP'),
      carrier: flags.includes('LOWER_UP'),
      operstate: l.operstate ?? 'UNKNOWN',
      ipv4: (l.addr_info ?? []).filter((a: any) => a.family === 'inet').map((a: any) => `${a.local}/${a.prefixlen}`),
      ipv6: (l.addr_info ?? [])
        .filter((a: any) => a.family === 'inet6')
        .map((a: any) => ({ addr: `${a.local}/${a.prefixlen}`, tentative: Boolean(a.tentative) })),
      stats: s
        ? {
            rxPackets: s.rx.packets,
            rxBytes: s.rx.bytes,
            rxErrors: s.rx.errors,
            rxDropped: s.rx.dropped,
            txPackets: s.tx.packets,
            txBytes: s.tx.bytes,
            txErrors: s.tx.errors,
            txDropped: s.tx.dropped,
          }
        : ZERO,
    };
  });
}

export async function findLinkByMac(mac: string): Promise<LinkInfo | undefined> {
  return (await listLinks()).find((l) => l.mac === mac.toLowerCase());
}

export async function findLinkByName(name: string): Promise<LinkInfo | undefined> {
  return (await listLinks()).find((l) => l.name === name);
}

let macNames: Map<string, string> | undefined;

/**
 * MAC → interface name, straight from sysfs. One scan serves every lookup made in the same
 * synchronous run (a cold `status` over 64 nodes used to scan /sys/class/net 64 times, ~80 ms of
 * blocked event loop with 66 interfaces); it is forgotten at the next microtask, so nothing ever
 * sees a name older than the code that asked for it.
 */
function interfacesByMac(): Map<string, string> {
  if (macNames) return macNames;
  const fs = require('node:fs') as typeof import('node:fs');
  const names = new Map<string, string>();
  try {
    for (const name of fs.readdirSync('/sys/class/net')) {
      try {
        const mac = fs.readFileSync(`/sys/class/net/${name}/address`, 'utf8').trim().toLowerCase();
        if (!names.has(mac)) names.set(mac, name);
      } catch {
        /* interface vanished while listing */
      }
    }
  } catch {
    /* no sysfs: not Linux */
  }
  macNames = names;
  queueMicrotask(() => (macNames = undefined));
  return names;
}

/** Cheap lookup of an interface's current name by MAC straight from sysfs (used to scope link-local addresses). */
export function ifaceNameForMac(mac: string): string | undefined {
  return interfacesByMac().get(mac.toLowerCase());
}
