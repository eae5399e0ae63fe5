import type { AlertDraft, AlertField, AlertKind, Severity } from './alert';
import type { Level, NodeAlertState } from './alert-state';
import { counterDeltas, diagnose, fmtClock, fmtLink, fmtPct, fmtRtt, fmtSpan, NodeIdentity } from './diagnosis';

export interface NodeAlertContext {
  kind: AlertKind;
  id: NodeIdentity;
  state: NodeAlertState;
  /** What users had been told before this message (recoveries say how long the trouble lasted). */
  previous: { level: Level; since: number };
  now: number;
  /** E.g. "Silence ended at 12:30; this began while muted." */
  note?: string;
}

function title(kind: AlertKind, level: Level, node: number): string {
  switch (kind) {
    case 'recovery':
      return `Node ${node} recovered`;
    case 'escalation':
      return `Node ${node} is now down`;
    case 'improvement':
      return `Node ${node} answers again but still loses packets`;
    case 'reminder':
      return level === 'down' ? `Node ${node} is still down` : `Node ${node} still loses packets`;
    default:
      return level === 'down' ? `Node ${node} is down` : `Node ${node} is losing packets`;
  }
}

function severity(kind: AlertKind, level: Level): Severity {
  if (kind === 'recovery') return 'ok';
  return level === 'down' ? 'critical' : 'warning';
}

/** Title, one-paragraph text and embed fields for a node transition or reminder. */
export function nodeAlertDraft(c: NodeAlertContext): AlertDraft {
  const { state, id, now } = c;
  const last = state.last;
  const node = id.node;
  const fields: AlertField[] = [];
  let text: string;
  if (!last) {
    text = `No check result yet for node ${node}.`;
  } else if (c.kind === 'recovery') {
    const lasted = fmtSpan(state.since - c.previous.since);
    text = `Answering again since ${fmtClock(state.since)}: ${fmtPct(last.sample.lossPct)} loss. It was ${c.previous.level} for ${lasted} (from ${fmtClock(c.previous.since)}).`;
    fields.push({ name: 'Loss', value: `${fmtPct(last.sample.lossPct)} (${last.sample.received}/${last.sample.sent} answered)` });
    fields.push({ name: 'RTT', value: fmtRtt(last.sample) });
    fields.push({ name: 'Link', value: fmtLink(last.sample.link, id) });
  } else {
    const dx = diagnose(last.sample, id);
    text = dx.summary;
    fields.push({ name: 'Loss', value: `${fmtPct(last.sample.lossPct)} (${last.sample.received}/${last.sample.sent} answered)` });
    fields.push({ name: 'RTT', value: fmtRtt(last.sample) });
    fields.push({ name: 'Since', value: `${fmtClock(state.since)} (${fmtSpan(now - state.since)} ago)` });
    fields.push({ name: 'Link', value: fmtLink(last.sample.link, id) });
    fields.push({ name: `Counters since last good check${state.baselineAt ? ` (${fmtClock(state.baselineAt)})` : ''}`, value: counterDeltas(state.baseline, last.sample.link) });
  }
  if (c.note) text += ` ${c.note}`;
  return { kind: c.kind, severity: severity(c.kind, state.level), node, state: state.level, title: title(c.kind, state.level, node), text, fields, createdAt: now };
}

export function monitorFailureDraft(reason: string, now: number): AlertDraft {
  return {
    kind: 'monitor-failure',
    severity: 'critical',
    node: null,
    state: null,
    title: 'Monitoring job failed',
    text: `The reachability check did not complete: ${reason}. Until it works again no node alerts can be raised; further failures are counted, not repeated.`,
    fields: [],
    createdAt: now,
  };
}

export function monitorRecoveryDraft(failedRuns: number, since: number, now: number): AlertDraft {
  return {
    kind: 'monitor-recovery',
    severity: 'ok',
    node: null,
    state: null,
    title: 'Monitoring job works again',
    text: `Checks complete again after ${failedRuns} failed run(s) since ${fmtClock(since)} (${fmtSpan(now - since)}).`,
    fields: [],
    createdAt: now,
  };
}
