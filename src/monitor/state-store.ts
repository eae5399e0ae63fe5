import type { DB } from '../state/db';
import type { Level } from './alert-state';
import type { LinkSnapshot } from './protocol';
import { stmt } from './sql';

/**
 * The alert state that must survive a restart: what users were last told per node (`announced`),
 * so a bot restart neither repeats an alert nor forgets to send the recovery. `level` is the
 * current debounced state, kept here for the `alerts` command, which runs in other processes.
 */
export interface StoredNodeState {
  node: number;
  level: Level;
  announced: Level;
  since: number;
  announcedAt: number | null;
  baseline: LinkSnapshot | null;
}

export function loadNodeStates(db: DB): Map<number, StoredNodeState> {
  const out = new Map<number, StoredNodeState>();
  for (const r of stmt(db, 'SELECT * FROM monitor_nodes').all() as any[]) {
    let baseline: LinkSnapshot | null = null;
    try {
      baseline = r.baseline ? JSON.parse(r.baseline) : null;
    } catch {
      /* an unreadable baseline only costs the counter deltas of one alert */
    }
    out.set(r.node, { node: r.node, level: r.level, announced: r.announced, since: r.since, announcedAt: r.announced_at, baseline });
  }
  return out;
}

export function saveNodeState(db: DB, s: StoredNodeState): void {
  stmt(db, 
    `INSERT INTO monitor_nodes(node, level, announced, since, announced_at, baseline) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(node) DO UPDATE SET level = excluded.level, announced = excluded.announced, since = excluded.since, announced_at = excluded.announced_at, baseline = excluded.baseline`,
  ).run(s.node, s.level, s.announced, s.since, s.announcedAt, s.baseline ? JSON.stringify(s.baseline) : null);
}

export function deleteNodeState(db: DB, node: number): void {
  stmt(db, 'DELETE FROM monitor_nodes WHERE node = ?').run(node);
}
