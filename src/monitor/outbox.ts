import * as crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { DB } from '../state/db';
import type { AlertDraft, AlertMessage, AlertSink } from './alert';
import { stmt } from './sql';

/**
 * The persistent outbox: every alert and recovery is written to SQLite first (in the same
 * transaction as the state change that caused it), then a single dispatcher delivers rows strictly
 * in id order, retrying the head with backoff while the sink is unreachable. A row is marked
 * delivered only after the sink accepted it, so a crash can at worst re-send the one message that
 * was in flight, and with the same nonce, which Discord uses to drop the duplicate.
 */

export interface OutboxRow {
  id: number;
  createdAt: number;
  node: number | null;
  kind: string;
  nonce: string;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  deliveredAt: number | null;
  message: AlertMessage;
}

/** Discord accepts nonces of up to 25 characters. */
export function newNonce(): string {
  return `pc${crypto.randomBytes(8).toString('hex')}`;
}

function toRow(r: any): OutboxRow {
  const draft = JSON.parse(r.payload) as AlertDraft;
  return {
    id: r.id,
    createdAt: r.created_at,
    node: r.node,
    kind: r.kind,
    nonce: r.nonce,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    deliveredAt: r.delivered_at,
    message: { ...draft, id: r.id, nonce: r.nonce },
  };
}

/** Adds an alert to the outbox; call inside the transaction that records the state change. */
export function enqueueAlert(db: DB, draft: AlertDraft): AlertMessage {
  const nonce = newNonce();
  const info = stmt(db, 'INSERT INTO alert_outbox(created_at, node, kind, payload, nonce, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(draft.createdAt, draft.node, draft.kind, JSON.stringify(draft), nonce, draft.createdAt);
  return { ...draft, id: Number(info.lastInsertRowid), nonce };
}

export function outboxHead(db: DB): OutboxRow | undefined {
  const r = stmt(db, 'SELECT * FROM alert_outbox WHERE delivered_at IS NULL ORDER BY id LIMIT 1').get();
  return r ? toRow(r) : undefined;
}

export function listOutbox(db: DB, opts: { pendingOnly?: boolean; limit?: number } = {}): OutboxRow[] {
  const where = opts.pendingOnly ? 'WHERE delivered_at IS NULL' : '';
  return (stmt(db, `SELECT * FROM alert_outbox ${where} ORDER BY id LIMIT ?`).all(opts.limit ?? 1000) as any[]).map(toRow);
}

/** The last n alerts, oldest first. */
export function recentOutbox(db: DB, n: number): OutboxRow[] {
  return (stmt(db, 'SELECT * FROM alert_outbox ORDER BY id DESC LIMIT ?').all(n) as any[]).map(toRow).reverse();
}

export interface OutboxBacklog {
  pending: number;
  oldestPendingAt: number | null;
  headAttempts: number;
  lastError: string | null;
  lastDeliveredAt: number | null;
}

export function outboxBacklog(db: DB): OutboxBacklog {
  const p = stmt(db, 'SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM alert_outbox WHERE delivered_at IS NULL').get() as { n: number; oldest: number | null };
  const head = outboxHead(db);
  const d = stmt(db, 'SELECT MAX(delivered_at) AS at FROM alert_outbox').get() as { at: number | null };
  return { pending: p.n, oldestPendingAt: p.oldest, headAttempts: head?.attempts ?? 0, lastError: head?.lastError ?? null, lastDeliveredAt: d.at };
}

/** Delivered rows are kept for the record (alerts command, audits) until the history retention. */
export function purgeDelivered(db: DB, before: number): number {
  return stmt(db, 'DELETE FROM alert_outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?').run(before).changes;
}

export interface DispatcherOptions {
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A sink that neither resolves nor throws for this long counts as failed (the retry reuses the nonce). */
  deliverTimeoutMs?: number;
}

export interface DispatcherEvents {
  delivered: [alert: AlertMessage, attempts: number];
  failed: [alert: AlertMessage, error: string, retryInMs: number];
}

export function backoffMs(attempts: number, min: number, max: number): number {
  return Math.min(max, min * 2 ** Math.max(0, attempts - 1));
}

export class OutboxDispatcher {
  readonly events = new EventEmitter<DispatcherEvents>();
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly deliverTimeoutMs: number;
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;

  constructor(private readonly db: DB, private readonly sink: AlertSink, opts: DispatcherOptions = {}) {
    this.minBackoffMs = opts.minBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.deliverTimeoutMs = opts.deliverTimeoutMs ?? 30_000;
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop();
  }

  /** Something was enqueued: look now (a head that is backing off still waits its turn). */
  kick(): void {
    this.wake?.();
  }

  /** Finishes the delivery in flight (or its timeout), then stops. Undelivered rows stay for next time. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = null;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        if (timer) clearTimeout(timer);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      this.wake = done;
    });
  }

  private async deliverWithTimeout(alert: AlertMessage): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.sink.deliver(alert),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.deliverTimeoutMs} ms`)), this.deliverTimeoutMs);
        }),
      ]);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const head = outboxHead(this.db);
      if (!head) {
        await this.sleep(Infinity);
        continue;
      }
      const wait = head.nextAttemptAt - Date.now();
      if (wait > 0) {
        await this.sleep(wait);
        continue;
      }
      const attempts = head.attempts + 1;
      try {
        await this.deliverWithTimeout(head.message);
        stmt(this.db, 'UPDATE alert_outbox SET delivered_at = ?, attempts = ?, last_error = NULL WHERE id = ?').run(Date.now(), attempts, head.id);
        this.events.emit('delivered', head.message, attempts);
      } catch (e) {
        const error = (e instanceof Error ? e.message : String(e)).slice(0, 500);
        const retryIn = backoffMs(attempts, this.minBackoffMs, this.maxBackoffMs);
        stmt(this.db, 'UPDATE alert_outbox SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?').run(attempts, error, Date.now() + retryIn, head.id);
        this.events.emit('failed', head.message, error, retryIn);
      }
    }
  }
}
