import type { LinkSnapshot, NodeSample } from './protocol';

/**
 * The per-node alert state machine, free of I/O so it can be tested check by check.
 *
 *   healthy ──ALERT_AFTER bad checks──▶ degraded | down   (the latest check decides which)
 *   degraded ──ALERT_AFTER dead checks──▶ down
 *   down ──ALERT_AFTER lossy (answering) checks──▶ degraded
 *   degraded | down ──RECOVER_AFTER good checks──▶ healthy
 *
 * A check is "good" below LOSS_WARN/2, "lossy" at or above LOSS_WARN, "dead" with no reply at all;
 * in between ("marginal") it breaks both streaks. That gap is the hysteresis that keeps a link
 * hovering around the threshold from alerting and recovering over and over.
 */

export type Level = 'healthy' | 'degraded' | 'down';
export type CheckClass = 'good' | 'marginal' | 'lossy' | 'dead';

export interface Thresholds {
  lossWarnPct: number;
  alertAfter: number;
  recoverAfter: number;
}

export interface NodeAlertState {
  node: number;
  level: Level;
  /** When the current level began (first check of the streak that led to it). */
  since: number;
  /** Newest last: the classes and start times of the last max(alertAfter, recoverAfter) checks. */
  recent: Array<{ cls: CheckClass; at: number }>;
  /** Link counters at the last good check while healthy: the base for "counter deltas" in alerts. */
  baseline: LinkSnapshot | null;
  baselineAt: number | null;
  last: { sample: NodeSample; at: number; cls: CheckClass } | null;
}

export interface Transition {
  from: Level;
  to: Level;
}

export function classifyCheck(s: NodeSample, lossWarnPct: number): CheckClass {
  if (s.received === 0) return 'dead';
  if (s.lossPct >= lossWarnPct) return 'lossy';
  if (s.lossPct >= lossWarnPct / 2) return 'marginal';
  return 'good';
}

const isBad = (c: CheckClass) => c === 'lossy' || c === 'dead';

export function initialState(node: number, at: number, level: Level = 'healthy'): NodeAlertState {
  return { node, level, since: at, recent: [], baseline: null, baselineAt: null, last: null };
}

/** The last n entries if there are n, else undefined (a streak needs n actual checks). */
function lastN<T>(xs: T[], n: number): T[] | undefined {
  return xs.length >= n ? xs.slice(xs.length - n) : undefined;
}

/** Feeds one check into the state; returns the new state and the level change it caused, if any. */
export function advance(prev: NodeAlertState, sample: NodeSample, at: number, th: Thresholds): { state: NodeAlertState; transition?: Transition } {
  const cls = classifyCheck(sample, th.lossWarnPct);
  const keep = Math.max(th.alertAfter, th.recoverAfter);
  const recent = [...prev.recent, { cls, at }].slice(-keep);
  const st: NodeAlertState = { ...prev, recent, last: { sample, at, cls } };

  const a = lastN(recent, th.alertAfter);
  const r = lastN(recent, th.recoverAfter);
  let to: Level = prev.level;
  let from = a;
  if (prev.level === 'healthy') {
    if (a && a.every((x) => isBad(x.cls))) to = cls === 'dead' ? 'down' : 'degraded';
  } else if (r && r.every((x) => x.cls === 'good')) {
    to = 'healthy';
    from = r;
  } else if (prev.level === 'degraded' && a && a.every((x) => x.cls === 'dead')) {
    to = 'down';
  } else if (prev.level === 'down' && a && a.every((x) => x.cls === 'lossy')) {
    to = 'degraded';
  }

  if (to === 'healthy' && cls === 'good') {
    st.baseline = sample.link;
    st.baselineAt = at;
  }
  if (to === prev.level) return { state: st };
  st.level = to;
  st.since = from ? from[0].at : at;
  return { state: st, transition: { from: prev.level, to } };
}

export type AnnouncementKind = 'alert' | 'escalation' | 'improvement' | 'recovery';

/** What users must be told to bring what they last heard (`announced`) up to the current level. */
export function announcementFor(announced: Level, level: Level): AnnouncementKind | null {
  if (announced === level) return null;
  if (level === 'healthy') return 'recovery';
  if (announced === 'healthy') return 'alert';
  return level === 'down' ? 'escalation' : 'improvement';
}
