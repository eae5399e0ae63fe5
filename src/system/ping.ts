import ping from 'ping';

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
