import type { Table } from '../commands/types';
import type { DB } from '../state/db';
import { fmtClock, fmtPct, fmtSpan } from './diagnosis';
import { latestChecks } from './history';
import { activeSilences, provisioningNodes, silenceFor } from './silences';
import { loadNodeStates } from './state-store';
import { stmt } from './sql';
import { pidAlive } from '../state/locks';

/**
 * What the monitor knows, read from SQLite: the `status`, `alerts` and `history` commands may run
 * in a CLI process while the monitor runs in the bot, so nothing here asks the monitor itself.
 */
export interface NodeMonitorView {
  node: number;
  level: string;
  since: number | null;
  lastCheckAt: number | null;
  lossPct: number | null;
  rttAvgMs: number | null;
  rttMaxMs: number | null;
  linkDown: boolean | null;
  muted: string | null;
}

export function nodeMonitorViews(db: DB, nodes: number[], now = Date.now()): NodeMonitorView[] {
  const states = loadNodeStates(db);
  const checks = latestChecks(db, nodes);
  const silences = activeSilences(db, now);
  const busy = provisioningNodes(db);
  return nodes.map((n) => {
    const st = states.get(n);
    const c = checks.get(n);
    const s = silenceFor(silences, n);
    return {
      node: n,
      level: st?.level ?? (c ? 'healthy' : 'unknown'),
      since: st?.since ?? null,
      lastCheckAt: c?.at ?? null,
      lossPct: c?.lossPct ?? null,
      rttAvgMs: c?.rttAvgMs ?? null,
      rttMaxMs: c?.rttMaxMs ?? null,
      linkDown: c ? c.linkDown > 0 : null,
      muted: busy.has(n) ? `provisioning (${busy.get(n)!.owner})` : s ? `until ${fmtClock(s.endsAt)}${s.reason ? `: ${s.reason}` : ''}` : null,
    };
  });
}

const ms = (v: number | null) => (v === null ? '-' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`);

/** Latest check per node for `status`; undefined when monitoring never ran here. */
export function lastCheckTable(db: DB, nodes: number[], now = Date.now()): Table | undefined {
  const views = nodeMonitorViews(db, nodes, now);
  if (!views.some((v) => v.lastCheckAt !== null)) return undefined;
  return {
    title: 'Monitoring (latest check)',
    columns: ['node', 'state', 'checked', 'loss', 'rtt avg', 'rtt max', 'muted'],
    rows: views.map((v) => [
      String(v.node),
      v.level + (v.since && v.level !== 'healthy' ? ` since ${fmtClock(v.since)}` : ''),
      v.lastCheckAt === null ? 'never' : `${fmtSpan(now - v.lastCheckAt)} ago`,
      v.lossPct === null ? '-' : fmtPct(v.lossPct) + (v.linkDown ? ' (link down)' : ''),
      ms(v.rttAvgMs),
      ms(v.rttMaxMs),
      v.muted ?? '',
    ]),
  };
}


/** Whether a monitor holds this data directory, and how recent its last check is. */
export function monitorRunning(db: DB): { running: boolean; owner?: string; lastCheckAt: number | null } {
  const lock = stmt(db, "SELECT owner, pid FROM locks WHERE name = 'monitor'").get() as { owner: string; pid: number } | undefined;
  const last = stmt(db, 'SELECT MAX(at) AS at FROM check_history WHERE span_ms = 0').get() as { at: number | null };
  return { running: Boolean(lock && pidAlive(lock.pid)), owner: lock?.owner, lastCheckAt: last.at };
}
