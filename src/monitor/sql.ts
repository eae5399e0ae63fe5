import type { Statement } from 'better-sqlite3';
import type { DB } from '../state/db';

const cache = new WeakMap<DB, Map<string, Statement>>();

/**
 * A prepared statement, prepared once per connection: the monitor runs the same dozen statements
 * every check, and re-preparing them each time only churns native memory.
 */
export function stmt(db: DB, sql: string): Statement {
  let m = cache.get(db);
  if (!m) cache.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare(sql)));
  return s;
}
