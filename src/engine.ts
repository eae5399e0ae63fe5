import { EventEmitter } from 'node:events';
import { Config } from './config';
import { NodeAddressing, nodeAddressing } from './cluster/model';
import { HostKeyStore, PinnedKey, SshPool } from './exec/ssh';
import { ensureBotKey, BotKey } from './ssh-key';
import { DB, getSetting, openDb, setSetting } from './state/db';
import { listNodes } from './state/inventory';
import { LocalFiles } from './system/files';

export class SqliteHostKeys implements HostKeyStore {
  constructor(private readonly db: DB) {}
  get(node: number): PinnedKey | undefined {
    const r = this.db.prepare('SELECT key_type, fingerprint FROM host_keys WHERE node = ?').get(node) as { key_type: string; fingerprint: string } | undefined;
    return r ? { keyType: r.key_type, fingerprint: r.fingerprint } : undefined;
  }
  pin(node: number, key: PinnedKey): void {
    this.db
      .prepare('INSERT INTO host_keys(node, key_type, fingerprint, pinned_at) VALUES (?, ?, ?, ?) ON CONFLICT(node) DO UPDATE SET key_type = excluded.key_type, fingerprint = excluded.fingerprint, pinned_at = excluded.pinned_at')
      .run(node, key.keyType, key.fingerprint, Date.now());
  }
  forget(node: number): boolean {
    return this.db.prepare('DELETE FROM host_keys WHERE node = ?').run(node).changes > 0;
  }
}

export interface EngineEvents {
  /** A node entered or left provisioning (monitoring silences it meanwhile). */
  busy: [node: number, busy: boolean];
}

/** Everything a command needs: settings, state, the SSH pool and the manager's files. */
export class Engine {
  readonly files = new LocalFiles();
  readonly events = new EventEmitter<EngineEvents>();
  readonly busyNodes = new Set<number>();
  readonly hostKeys: SqliteHostKeys;
  readonly pool: SshPool;
  readonly key: BotKey;

  constructor(readonly config: Config, readonly db: DB) {
    this.key = ensureBotKey(config.dataDir);
    this.hostKeys = new SqliteHostKeys(db);
    this.pool = new SshPool({ ...config.ssh, privateKey: this.key.privateKey }, this.hostKeys);
  }

  static open(config: Config): Engine {
    return new Engine(config, openDb(config.dataDir));
  }

  node(n: number): NodeAddressing {
    return nodeAddressing(n, this.config.cluster);
  }

  inventory(): number[] {
    return listNodes(this.db).map((r) => r.node);
  }

  /** Subnets NAT must cover: every node in the inventory, plus/minus the one being changed. */
  natSubnets(include: number[] = [], exclude: number[] = []): string[] {
    const nodes = new Set([...this.inventory(), ...include]);
    for (const n of exclude) nodes.delete(n);
    return [...nodes].sort((a, b) => a - b).map((n) => this.node(n).subnet);
  }

  natEnabled(): boolean {
    return getSetting(this.db, 'nat_enabled') !== 'false';
  }

  setNatEnabled(on: boolean): void {
    setSetting(this.db, 'nat_enabled', on ? 'true' : 'false');
  }

  markBusy(node: number, busy: boolean): void {
    if (busy) this.busyNodes.add(node);
    else this.busyNodes.delete(node);
    this.events.emit('busy', node, busy);
  }

  async close(): Promise<void> {
    await this.pool.closeAll();
    this.db.close();
  }
}
