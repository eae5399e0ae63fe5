import * as fs from 'node:fs';
import type { AlertDraft, AlertMessage, AlertSink } from '../src/monitor/alert';
import { backoffMs, enqueueAlert, listOutbox, OutboxDispatcher, outboxBacklog } from '../src/monitor/outbox';
import { openDb } from '../src/state/db';
import { CollectingSink, tempDir, waitFor } from './monitor-support';

const draft = (n: number): AlertDraft => ({ kind: 'alert', severity: 'critical', node: n, state: 'down', title: `Node ${n} is down`, text: 'test', fields: [], createdAt: Date.now() });
const FAST = { minBackoffMs: 10, maxBackoffMs: 40, deliverTimeoutMs: 500 };

describe('alert outbox', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('picluster-outbox-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('delivers in enqueue order, retrying the head while the sink fails, each exactly once', async () => {
    const db = openDb(dir);
    const sink = new CollectingSink();
    sink.failing = true;
    for (const n of [1, 2, 3]) enqueueAlert(db, draft(n));
    const d = new OutboxDispatcher(db, sink, FAST);
    d.start();
    await waitFor(() => sink.attempts.length >= 3, 2000, 'three failed attempts');
    // Nothing behind the failing head was tried: order is kept.
    expect(new Set(sink.attempts.map((a) => a.node))).toEqual(new Set([1]));
    expect(outboxBacklog(db)).toMatchObject({ pending: 3, lastError: 'sink unreachable (test)' });
    sink.failing = false;
    await waitFor(() => sink.delivered.length === 3, 2000, 'delivery of all three');
    await d.stop();
    expect(sink.delivered.map((a) => a.node)).toEqual([1, 2, 3]);
    expect(new Set(sink.delivered.map((a) => a.nonce)).size).toBe(3);
    const rows = listOutbox(db);
    expect(rows.every((r) => r.deliveredAt !== null)).toBe(true);
    expect(rows[0].attempts).toBeGreaterThanOrEqual(4);
    expect(outboxBacklog(db).pending).toBe(0);
    db.close();
  });

  test('survives a restart: pending alerts go out after it, delivered ones are not re-sent, nonces are stable', async () => {
    let db = openDb(dir);
    const first = new CollectingSink();
    for (const n of [1, 2]) enqueueAlert(db, draft(n));
    let d = new OutboxDispatcher(db, first, FAST);
    d.start();
    await waitFor(() => first.delivered.length === 2, 2000, 'first two');
    first.failing = true;
    const pending = [3, 4].map((n) => enqueueAlert(db, draft(n)));
    d.kick();
    await waitFor(() => first.attempts.length >= 3, 2000, 'a failed attempt at #3');
    await d.stop();
    db.close();

    // "Restart": a new process opens the same file.
    db = openDb(dir);
    const second = new CollectingSink();
    d = new OutboxDispatcher(db, second, FAST);
    d.start();
    await waitFor(() => second.delivered.length === 2, 2000, 'the two pending');
    await new Promise((r) => setTimeout(r, 200));
    await d.stop();
    expect(second.delivered.map((a) => a.node)).toEqual([3, 4]);
    expect(second.delivered.map((a) => a.nonce)).toEqual(pending.map((p) => p.nonce));
    expect(second.attempts.map((a) => a.node)).toEqual([3, 4]);
    db.close();
  });

  test('an accepted message whose acknowledgement was lost is retried with the same nonce, so the receiver shows it once', async () => {
    const db = openDb(dir);
    // A receiver that dedupes by nonce like Discord with enforce_nonce, and loses the first reply.
    const shown = new Map<string, AlertMessage>();
    let calls = 0;
    const sink: AlertSink = {
      async deliver(a) {
        calls++;
        shown.set(a.nonce, a);
        if (calls === 1) throw new Error('connection reset before the response');
      },
    };
    enqueueAlert(db, draft(7));
    const d = new OutboxDispatcher(db, sink, FAST);
    d.start();
    await waitFor(() => outboxBacklog(db).pending === 0, 2000, 'delivery');
    await d.stop();
    expect(calls).toBe(2);
    expect(shown.size).toBe(1);
    db.close();
  });

  test('a sink that hangs counts as failed after the delivery timeout', async () => {
    const db = openDb(dir);
    let calls = 0;
    const sink: AlertSink = {
      deliver: () => {
        calls++;
        return calls === 1 ? new Promise<void>(() => undefined) : Promise.resolve();
      },
    };
    enqueueAlert(db, draft(1));
    const d = new OutboxDispatcher(db, sink, { ...FAST, deliverTimeoutMs: 100 });
    const failures: string[] = [];
    d.events.on('failed', (_a, e) => failures.push(e));
    d.start();
    await waitFor(() => outboxBacklog(db).pending === 0, 2000, 'delivery after the timeout');
    await d.stop();
    expect(failures).toEqual(['no answer within 100 ms']);
    db.close();
  });

  test('backoff doubles up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => backoffMs(n, 1000, 30_000))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});
