import { DB } from './db';

export interface AuditEntry {
  id?: number;
  at: number;
  actor: string;
  transport: string;
  command: string;
  args: Record<string, unknown>;
  /** ok | changed | failed | refused | error */
  outcome: string;
  summary: string;
  durationMs: number;
  incident?: string | null;
}

export function recordAudit(db: DB, e: AuditEntry): void {
  db.prepare(
    'INSERT INTO audit(at, actor, transport, command, args, outcome, summary, duration_ms, incident) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(e.at, e.actor, e.transport, e.command, JSON.stringify(e.args), e.outcome, e.summary.slice(0, 2000), Math.round(e.durationMs), e.incident ?? null);
}

export function recentAudit(db: DB, limit = 20, filter: { actor?: string; command?: string } = {}): AuditEntry[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.actor) (where.push('actor = ?'), params.push(filter.actor));
  if (filter.command) (where.push('command = ?'), params.push(filter.command));
  const sql = `SELECT * FROM audit ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
  return (db.prepare(sql).all(...params, limit) as any[]).map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    transport: r.transport,
    command: r.command,
    args: JSON.parse(r.args),
    outcome: r.outcome,
    summary: r.summary,
    durationMs: r.duration_ms,
    incident: r.incident,
  }));
}
