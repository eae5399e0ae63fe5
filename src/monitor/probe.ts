import ping from 'ping';
import type { CheckJobInput, CheckResultMessage, CheckTarget, LinkSnapshot, NodeSample } from './protocol';
import { readLinksByMac } from './sysfs-links';

const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : parseFloat(String(v));
  return Number.isFinite(n) ? n : null;
};

/**
 * One node's echoes through the system ping (the `ping` package): `-c echoes -w deadline`. With a
 * deadline ping sends until it has `echoes` replies or the deadline passes, so a healthy link takes
 * (echoes-1) x interval and a dead one exactly the deadline. Without it a node whose ARP entry
 * fails keeps ping busy for seconds (sendmsg: No buffer space available), longer than the interval.
 */
export async function echoNode(target: CheckTarget, opts: Pick<CheckJobInput, 'echoes' | 'echoIntervalMs' | 'echoDeadlineMs'>): Promise<Omit<NodeSample, 'link'>> {
  const base = { node: target.node, sent: opts.echoes, received: 0, lossPct: 100, rttMinMs: null, rttAvgMs: null, rttMaxMs: null };
  const deadlineS = Math.max(1, Math.round(opts.echoDeadlineMs / 1000));
  let res: any;
  try {
    res = await ping.promise.probe(target.address, {
      numeric: true,
      timeout: false,
      deadline: deadlineS,
      min_reply: opts.echoes,
      extra: ['-i', (opts.echoIntervalMs / 1000).toFixed(3), '-W', String(deadlineS)],
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
 * The link as it was during the echoes: counters from the end of the run, but down or gone if it
 * was so at either end (a link that came back mid-run must not make a failed check look healthy).
 */
export function linkDuringRun(before: LinkSnapshot | undefined, after: LinkSnapshot | undefined): LinkSnapshot | null {
  if (!before || !after) return null;
  return { ...after, adminUp: before.adminUp && after.adminUp, carrier: before.carrier && after.carrier, operstate: before.carrier ? after.operstate : before.operstate };
}

/** One check run: echoes to every target at once, with the manager-side links read around them. */
export async function runCheck(input: CheckJobInput): Promise<CheckResultMessage> {
  const startedAt = Date.now();
  const macs = new Set(input.targets.map((t) => t.hostMac.toLowerCase()));
  const before = readLinksByMac(macs);
  // A node whose USB link is gone is not pinged: its 10.x address would leave through the
  // manager's default route to whatever network the uplink is on. It counts as total loss.
  // (A loopback subnet, as some tests configure, never leaves the machine.)
  const echoes = await Promise.all(
    input.targets.map((t) =>
      before.has(t.hostMac.toLowerCase()) || t.address.startsWith('127.')
        ? echoNode(t, input)
        : Promise.resolve({ node: t.node, sent: input.echoes, received: 0, lossPct: 100, rttMinMs: null, rttAvgMs: null, rttMaxMs: null, error: 'no interface with its MAC: not pinged' }),
    ),
  );
  const after = readLinksByMac(macs);
  const samples: NodeSample[] = echoes.map((e, i) => {
    const mac = input.targets[i].hostMac.toLowerCase();
    return { ...e, link: linkDuringRun(before.get(mac), after.get(mac)) };
  });
  return { type: 'check-result', startedAt, finishedAt: Date.now(), samples };
}
