import ping from 'ping';
import { haveTool, runLocal } from '../exec/local';

export interface PingResult {
  address: string;
  sent: number;
  received: number;
  lossPct: number;
  minMs: number | null;
  avgMs: number | null;
  maxMs: number | null;
  durationMs: number;
}

export interface PingOptions {
  count?: number;
  intervalMs?: number;
  /** Seconds to wait for the last reply. */
  waitS?: number;
}

const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : parseFloat(String(v));
  return Number.isFinite(n) ? n : null;
};

/** A result for a node whose USB link is absent: nothing is sent (its address would leave via the default route). */
export function notConnected(address: string, count: number): PingResult {
  return { address, sent: 0, received: 0, lossPct: 100, minMs: null, avgMs: null, maxMs: null, durationMs: 0 };
}

/** Echoes through the system ping (via the `ping` package) with loss and rtt as numbers. */
export async function pingHost(address: string, opts: PingOptions = {}): Promise<PingResult> {
  const count = opts.count ?? 3;
  const intervalS = (opts.intervalMs ?? 200) / 1000;
  const waitS = opts.waitS ?? 1;
  const started = performance.now();
  const res = await ping.promise.probe(address, {
    min_reply: count,
    timeout: waitS,
    // No -w deadline: exactly `count` echoes are sent, and -W bounds the wait for the last reply.
    deadline: false,
    extra: ['-i', intervalS.toFixed(3), '-n'],
  } as any);
  const output = String((res as any).output ?? '');
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(output);
  const sent = m ? Number(m[1]) : count;
  const received = m ? Number(m[2]) : res.alive ? count : 0;
  const lossPct = sent > 0 ? Math.round(((sent - received) / sent) * 1000) / 10 : 100;
  return {
    address,
    sent,
    received,
    lossPct,
    minMs: received ? num(res.min) : null,
    avgMs: received ? num(res.avg) : null,
    maxMs: received ? num(res.max) : null,
    durationMs: performance.now() - started,
  };
}

/** fping -q summary per host (on stderr): `10.0.11.2 : xmt/rcv/%loss = 3/3/0%, min/avg/max = 0.04/0.05/0.07`. */
const FPING_RE = /^(\S+)\s+: xmt\/rcv\/%loss = (\d+)\/(\d+)\/[\d.]+%(?:, min\/avg\/max = ([\d.]+)\/([\d.]+)\/([\d.]+))?/;

/**
 * The same echoes as pingHost, to many hosts. Where fping is installed, one fping process sends
 * them all; otherwise (or if its output is not understood) one ping per host, as pingHost does.
 * Each process costs the manager ~10 ms of CPU on a small machine: a `status` over 64 nodes spent
 * more on starting pings than on reading all 64 Pis over SSH. Results are in `addresses` order.
 */
export async function pingHosts(addresses: string[], opts: PingOptions = {}): Promise<PingResult[]> {
  const viaFping = addresses.length > 1 && haveTool('fping') ? await fpingHosts(addresses, opts) : undefined;
  return viaFping ?? Promise.all(addresses.map((a) => pingHost(a, opts)));
}

async function fpingHosts(addresses: string[], opts: PingOptions): Promise<PingResult[] | undefined> {
  const count = opts.count ?? 3;
  const intervalMs = opts.intervalMs ?? 200;
  const waitMs = (opts.waitS ?? 1) * 1000;
  const started = performance.now();
  // -c echoes per host, -p ms between them (ping -i), -t ms to wait for each reply (ping -W),
  // -i 1 ms between hosts, -q only the per-host summary.
  const argv = ['fping', '-q', '-c', String(count), '-p', String(intervalMs), '-t', String(waitMs), '-i', '1', ...addresses];
  const r = await runLocal(argv, { timeoutMs: count * intervalMs + waitMs + addresses.length + 15_000 });
  if (r.error) return undefined;
  const found = new Map<string, RegExpExecArray>();
  for (const line of r.stderr.split('\n')) {
    const m = FPING_RE.exec(line.trim());
    if (m) found.set(m[1], m);
  }
  if (!addresses.every((a) => found.has(a))) return undefined;
  const durationMs = performance.now() - started;
  return addresses.map((address) => {
    const m = found.get(address)!;
    const sent = Number(m[2]);
    const received = Number(m[3]);
    const lossPct = sent > 0 ? Math.round(((sent - received) / sent) * 1000) / 10 : 100;
    const rtt = received > 0 && m[4] !== undefined;
    return { address, sent, received, lossPct, minMs: rtt ? num(m[4]) : null, avgMs: rtt ? num(m[5]) : null, maxMs: rtt ? num(m[6]) : null, durationMs };
  });
}
