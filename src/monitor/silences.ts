import type { DB } from '../state/db';
import { stmt } from './sql';
import { pidAlive } from '../state/locks';

/**
 * Silences live in SQLite so `mute` from the CLI, the shell or Discord reaches the monitor running
 * in the bot process; the monitor re-reads them on every check. node = null means every node.
 */
export interface Silence {
  id: number;
  node: number | null;
  createdAt: number;
  endsAt: number;
  reason: string;
  createdBy: string;
}

const toSilence = (r: any): Silence => ({ id: r.id, node: r.node, createdAt: r.created_at, endsAt: r.ends_at, reason: r.reason, createdBy: r.created_by });

export function addSilence(db: DB, s: { node: number | null; endsAt: number; reason: string; by: string; now?: number }): Silence {
  const now = s.now ?? Date.now();
  const info = stmt(db, 'INSERT INTO silences(node, created_at, ends_at, reason, created_by) VALUES (?, ?, ?, ?, ?)').run(s.node, now, s.endsAt, s.reason, s.by);
  return { id: Number(info.lastInsertRowid), node: s.node, createdAt: now, endsAt: s.endsAt, reason: s.reason, createdBy: s.by };
}

export function activeSilences(db: DB, now = Date.now()): Silence[] {
  return (stmt(db, 'SELECT * FROM silences WHERE cleared_at IS NULL AND ends_at > ? ORDER BY node IS NOT NULL, node, ends_at').all(now) as any[]).map(toSilence);
}

/** Ends active silences: of one node (its own, not an `all` silence), or every one for `all`. */
export function clearSilences(db: DB, node: number | 'all', by: string, now = Date.now()): Silence[] {
  return db.transaction(() => {
    const active = activeSilences(db, now).filter((s) => node === 'all' || s.node === node);
    const upd = stmt(db, 'UPDATE silences SET cleared_at = ?, cleared_by = ? WHERE id = ?');
    for (const s of active) upd.run(now, by, s.id);
    return active;
  })();
}

/** The silence covering a node, the one that lasts longest when several do. */
export function silenceFor(silences: Silence[], node: number): Silence | undefined {
  return silences.filter((s) => s.node === null || s.node === node).sort((a, b) => b.endsAt - a.endsAt)[0];
}

/** Silences that ended (expired or cleared) in (from, to]: the monitor re-checks those nodes. */
export function recentlyEndedSilences(db: DB, from: number, to: number): Silence[] {
  return (stmt(db, 'SELECT * FROM silences WHERE (cleared_at IS NULL AND ends_at > ? AND ends_at <= ?) OR (cleared_at > ? AND cleared_at <= ?)').all(from, to, from, to) as any[]).map(toSilence);
}

export function purgeSilences(db: DB, before: number): number {
  return stmt(db, 'DELETE FROM silences WHERE ends_at < ? OR cleared_at < ?').run(before, before).changes;
}


/**
 * Nodes being provisioned right now by any process: add-node/remove-node hold the `node:N` lock
 * (src/state/locks.ts) for their whole run, including runs from the CLI, which the bot's
 * in-process 'busy' events never see.
 */
export function provisioningNodes(db: DB): Map<number, { owner: string; since: number }> {
  const out = new Map<number, { owner: string; since: number }>();
  for (const r of stmt(db, "SELECT name, owner, pid, at FROM locks WHERE name LIKE 'node:%'").all() as Array<{ name: string; owner: string; pid: number; at: number }>) {
    const m = /^node:(\d+)$/.exec(r.name);
    if (m && pidAlive(r.pid)) out.set(Number(m[1]), { owner: r.owner, since: r.at });
  }
  return out;
}
