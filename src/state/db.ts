import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type DB = Database.Database;

/**
 * Schema history. Append only: each entry runs once, in order, tracked by PRAGMA user_version,
 * so an existing data directory upgrades in place.
 */
export const MIGRATIONS: string[] = [
  `CREATE TABLE nodes (
     node INTEGER PRIMARY KEY,
     added_at INTEGER NOT NULL,
     added_by TEXT NOT NULL,
     hostname TEXT,
     provisioned_at INTEGER
   );
   CREATE TABLE host_keys (
     node INTEGER PRIMARY KEY,
     key_type TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     pinned_at INTEGER NOT NULL
   );
   CREATE TABLE audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     transport TEXT NOT NULL,
     command TEXT NOT NULL,
     args TEXT NOT NULL,
     outcome TEXT NOT NULL,
     summary TEXT NOT NULL,
     duration_ms INTEGER NOT NULL,
     incident TEXT
   );
   CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE locks (name TEXT PRIMARY KEY, owner TEXT NOT NULL, pid INTEGER NOT NULL, at INTEGER NOT NULL);`,
  // Monitoring (src/monitor): check history (raw rows span_ms = 0, buckets span_ms > 0), the alert
  // outbox (delivered in id order; nonce lets Discord drop a re-send), silences, per-node alert state.
  `CREATE TABLE check_history (
     node INTEGER NOT NULL,
     at INTEGER NOT NULL,
     span_ms INTEGER NOT NULL DEFAULT 0,
     checks INTEGER NOT NULL DEFAULT 1,
     sent INTEGER NOT NULL,
     received INTEGER NOT NULL,
     rtt_min REAL,
     rtt_avg REAL,
     rtt_max REAL,
     link_down INTEGER NOT NULL DEFAULT 0,
     rx_errors INTEGER,
     tx_errors INTEGER,
     rx_dropped INTEGER,
     tx_dropped INTEGER,
     PRIMARY KEY (node, at, span_ms)
   ) WITHOUT ROWID;
   CREATE INDEX check_history_raw_age ON check_history(span_ms, at);
   CREATE TABLE alert_outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     created_at INTEGER NOT NULL,
     node INTEGER,
     kind TEXT NOT NULL,
     payload TEXT NOT NULL,
     nonce TEXT NOT NULL UNIQUE,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     last_error TEXT,
     delivered_at INTEGER
   );
   CREATE INDEX alert_outbox_pending ON alert_outbox(delivered_at, id);
   CREATE TABLE silences (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     node INTEGER,
     created_at INTEGER NOT NULL,
     ends_at INTEGER NOT NULL,
     reason TEXT NOT NULL DEFAULT '',
     created_by TEXT NOT NULL,
     cleared_at INTEGER,
     cleared_by TEXT
   );
   CREATE TABLE monitor_nodes (
     node INTEGER PRIMARY KEY,
     level TEXT NOT NULL,
     announced TEXT NOT NULL,
     since INTEGER NOT NULL,
     announced_at INTEGER,
     baseline TEXT
   );`,
];

export function openDb(dataDir: string, migrations: string[] = MIGRATIONS): DB {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(path.join(dataDir, 'picluster.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}

export function getSetting(db: DB, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function setSetting(db: DB, key: string, value: string): void {
  db.prepare('INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}
