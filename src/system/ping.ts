import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ping from 'ping';
import { runLocal } from '../exec/local';

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

const SUMMARY_RE = /(\d+) packets transmitted, (\d+) (?:packets )?received/;
const RTT_RE = /(?:rtt|round-trip) min\/avg\/max(?:\/\w+)? = ([\d.]+)\/([\d.]+)\/([\d.]+)/;

/** Starts one `ping` per address in the background and waits for all; each writes its own file. */
const PING_ALL_SH = 'd=$1 c=$2 i=$3 w=$4; shift 4; n=0; for a; do ping -n -q -c "$c" -i "$i" -W "$w" "$a" >"$d/$n" 2>&1 & n=$((n + 1)); done; wait';

/**
 * The same echoes as pingHost, to many hosts at once, started by one helper shell. Every process
 * this (large) Node process spawns costs several ms of blocked event loop plus the child itself,
 * so a `status` over 64 nodes spent more time starting pings than reading the Pis over SSH; `sh`
 * forks the pings for a fraction of that. Results are in the order of `addresses`.
 */
export async function pingHosts(addresses: string[], opts: PingOptions = {}): Promise<PingResult[]> {
  if (addresses.length < 2) return Promise.all(addresses.map((a) => pingHost(a, opts)));
  try {
    return await pingAll(addresses, opts);
  } catch {
    // No writable temp dir or no sh: one ping process per host, as pingHost does it.
    return Promise.all(addresses.map((a) => pingHost(a, opts)));
  }
}

async function pingAll(addresses: string[], opts: PingOptions): Promise<PingResult[]> {
  const count = opts.count ?? 3;
  const intervalS = ((opts.intervalMs ?? 200) / 1000).toFixed(3);
  const waitS = opts.waitS ?? 1;
  const started = performance.now();
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'picluster-ping-'));
  try {
    const limitMs = (count * Number(intervalS) + waitS) * 1000 + 15_000;
    const r = await runLocal(['sh', '-c', PING_ALL_SH, 'sh', dir, String(count), intervalS, String(waitS), ...addresses], { timeoutMs: limitMs });
    if (r.error) throw new Error(`ping helper: ${r.error}`);
    const durationMs = performance.now() - started;
    return await Promise.all(
      addresses.map(async (address, i) => {
        const out = await fs.promises.readFile(path.join(dir, String(i)), 'utf8').catch(() => '');
        const m = SUMMARY_RE.exec(out);
        const sent = m ? Number(m[1]) : count;
        const received = m ? Number(m[2]) : 0;
        const rtt = received ? RTT_RE.exec(out) : null;
        const lossPct = sent > 0 ? Math.round(((sent - received) / sent) * 1000) / 10 : 100;
        return { address, sent, received, lossPct, minMs: rtt ? num(rtt[1]) : null, avgMs: rtt ? num(rtt[2]) : null, maxMs: rtt ? num(rtt[3]) : null, durationMs };
      }),
    );
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}
