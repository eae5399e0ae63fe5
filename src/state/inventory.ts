import { DB } from './db';

export interface NodeRecord {
  node: number;
  addedAt: number;
  addedBy: string;
  hostname: string | null;
  provisionedAt: number | null;
}

export function listNodes(db: DB): NodeRecord[] {
  return (db.prepare('SELECT node, added_at, added_by, hostname, provisioned_at FROM nodes ORDER BY node').all() as any[]).map((r) => ({
    node: r.node,
    addedAt: r.added_at,
    addedBy: r.added_by,
    hostname: r.hostname,
    provisionedAt: r.provisioned_at,
  }));
}

export function getNode(db: DB, node: number): NodeRecord | undefined {
  return listNodes(db).find((r) => r.node === node);
}

export function upsertNode(db: DB, node: number, by: string, fields: { hostname?: string | null; provisionedAt?: number | null }): void {
  db.prepare(
    `INSERT INTO nodes(node, added_at, added_by, hostname, provisioned_at) VALUES (@node, @now, @by, @hostname, @provisionedAt)
     ON CONFLICT(node) DO UPDATE SET hostname = COALESCE(@hostname, hostname), provisioned_at = COALESCE(@provisionedAt, provisioned_at)`,
  ).run({ node, now: Date.now(), by, hostname: fields.hostname ?? null, provisionedAt: fields.provisionedAt ?? null });
}

export function deleteNode(db: DB, node: number): void {
  db.prepare('DELETE FROM nodes WHERE node = ?').run(node);
}
