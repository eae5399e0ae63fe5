import type { LinkStats } from '../system/links';
/**
 * What the main thread hands the check job (Bree workerData) and what the job posts back.
 * The job never touches SQLite or Discord: everything with state stays in the main thread.
 */

export interface CheckTarget {
  node: number;
  /** IPv4 of the Pi's usb0. */
  address: string;
  /** MAC the manager sees for this node's link: how the interface is found even before its rename. */
  hostMac: string;
  /** Expected interface name (ethpiN), for messages. */
  iface: string;
}

export interface CheckJobInput {
  targets: CheckTarget[];
  /** Replies wanted per node (ping -c). */
  echoes: number;
  echoIntervalMs: number;
  /** Hard end of one node's echoes (ping -w, whole seconds). */
  echoDeadlineMs: number;
}

/** The manager-side view of one node link, read from sysfs. */
export interface LinkSnapshot extends LinkStats {
  name: string;
  /** Administratively up on the manager (IFF_UP). */
  adminUp: boolean;
  /** Carrier: the Pi is attached and its gadget driver runs. */
  carrier: boolean;
  operstate: string;
}

export interface NodeSample {
  node: number;
  sent: number;
  received: number;
  lossPct: number;
  rttMinMs: number | null;
  rttAvgMs: number | null;
  rttMaxMs: number | null;
  /** null: no interface carries this node's MAC (unplugged, not enumerated). */
  link: LinkSnapshot | null;
  /** Set when the echo could not be attempted at all (ping missing, no permission). */
  error?: string;
}

export interface CheckResultMessage {
  type: 'check-result';
  startedAt: number;
  finishedAt: number;
  samples: NodeSample[];
}

export interface CheckErrorMessage {
  type: 'check-error';
  message: string;
  stack?: string;
}

export type JobMessage = CheckResultMessage | CheckErrorMessage;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown) => v === null || isNum(v);

function isSample(s: any): s is NodeSample {
  return (
    s &&
    Number.isInteger(s.node) &&
    isNum(s.sent) &&
    isNum(s.received) &&
    isNum(s.lossPct) &&
    isNumOrNull(s.rttMinMs) &&
    isNumOrNull(s.rttAvgMs) &&
    isNumOrNull(s.rttMaxMs) &&
    (s.link === null || (typeof s.link === 'object' && typeof s.link.name === 'string' && typeof s.link.carrier === 'boolean'))
  );
}

/**
 * Messages cross a thread boundary, so they are checked rather than trusted: a malformed one is
 * reported as a job failure instead of corrupting alert state.
 */
export function parseJobMessage(m: unknown): JobMessage | { type: 'invalid'; reason: string } {
  const x = m as any;
  if (x && x.type === 'check-result') {
    if (!isNum(x.startedAt) || !isNum(x.finishedAt) || !Array.isArray(x.samples)) return { type: 'invalid', reason: 'check-result without times or samples' };
    const bad = x.samples.findIndex((s: unknown) => !isSample(s));
    if (bad >= 0) return { type: 'invalid', reason: `check-result sample ${bad} is malformed` };
    return x as CheckResultMessage;
  }
  if (x && x.type === 'check-error' && typeof x.message === 'string') return x as CheckErrorMessage;
  return { type: 'invalid', reason: `unexpected message ${JSON.stringify(m)?.slice(0, 200)}` };
}
