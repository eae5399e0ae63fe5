import ping from 'ping';
import type { CheckJobInput, CheckResultMessage, CheckTarget, LinkSnapshot, NodeSample } from './protocol';
import { readLinksByMac } from './sysfs-links';

const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : parseFloat(String(v));
  return Number.isFinite(n) ? n : null;
};

/**
 * One node's echoes through the system ping (the `ping` package). Deliberately no `-w` deadline:
 * with one, ping keeps sending past the count until enough replies arrive, which makes the sample
 * size depend on the loss and stretches a dead node's check to the whole deadline. With `-c` and
 * `-W` alone a check sends exactly `echoes` and lasts at most (echoes-1) x interval + timeout.
 */
export async function echoNode(target: CheckTarget, opts: Pick<CheckJobInput, 'echoes' | 'echoIntervalMs' | 'echoTimeoutMs'>): Promise<Omit<NodeSample, 'link'>> {
  const base = { node: target.node, sent: opts.echoes, received: 0, lossPct: 100, rttMinMs: null, rttAvgMs: null, rttMaxMs: null };
  let res: any;
  try {
    res = await ping.promise.probe(target.address, {
      numeric: true,
      timeout: false,
      deadline: false,
      min_reply: opts.echoes,
      extra: ['-i', (opts.echoIntervalMs / 1000).toFixed(3), '-W', (opts.echoTimeoutMs / 1000).toFixed(3)],
    } as any);
  } catch (e) {
    return { ...base, error: e instanceof Error ? e.message : String(e) };
  }
  const output = String(res.output ?? '');
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(output);
  if (!m) {
    // "connect: Network is unreachable" and the like: nothing was sent, which for us is total loss.
    const why = output.trim().split('\n').filter(Boolean).slice(-1)[0];
    return { ...base, error: why && !/^PING /.test(why) ? why.slice(0, 200) : undefined };
  }
  const sent = Number(m[1]);
  const received = Number(m[2]);
  return {
    node: target.node,
    sent,
    received,
    lossPct: sent > 0 ? Math.round(((sent - received) / sent) * 1000) / 10 : 100,
    rttMinMs: received ? num(res.min) : null,
    rttAvgMs: received ? num(res.avg) : null,
    rttMaxMs: received ? num(res.max) : null,
  };
}

/**
 * One check run: echoes to every target at once, then the manager-side link state and counters.
 * Links are read after the echoes so their counters include this run's traffic.
 */
export async function runCheck(input: CheckJobInput): Promise<CheckResultMessage> {
  const startedAt = Date.now();
  const echoes = await Promise.all(input.targets.map((t) => echoNode(t, input)));
  const links = readLinksByMac(new Set(input.targets.map((t) => t.hostMac.toLowerCase())));
  const samples: NodeSample[] = echoes.map((e, i) => {
    const link: LinkSnapshot | null = links.get(input.targets[i].hostMac.toLowerCase()) ?? null;
    return { ...e, link };
  });
  return { type: 'check-result', startedAt, finishedAt: Date.now(), samples };
}
