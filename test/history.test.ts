import * as fs from 'node:fs';
import { BUCKET_MS, historyStats, latestChecks, maintainHistory, queryHistory, recordChecks } from '../src/monitor/history';
import { DB, openDb } from '../src/state/db';
import { link, sample, tempDir } from './monitor-support';

const DAY = 86_400_000;
const HOUR = 3_600_000;

describe('check history', () => {
  let dir: string;
  let db: DB;
  beforeEach(() => {
    dir = tempDir('picluster-history-');
    db = openDb(dir);
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Checks of nodes 1 and 2 every `step` ms over [from, to); node 2 loses 5 of 20 echoes, node 1 none. */
  function fill(from: number, to: number, step: number) {
    db.transaction(() => {
      for (let t = from; t < to; t += step) recordChecks(db, t, [sample(1, 20), { ...sample(2, 15), rttMinMs: 0.2, rttAvgMs: 1, rttMaxMs: 3 }]);
    })();
  }

  test('raw rows older than HISTORY_RAW become 5-minute buckets that keep the totals; older than the retention are deleted', () => {
    const now = Date.UTC(2026, 0, 10, 12, 0, 0);
    fill(now - 3 * DAY, now, 10_000);
    const before = db.prepare('SELECT node, SUM(checks) c, SUM(sent) s, SUM(received) r, MIN(rtt_min) mn, MAX(rtt_max) mx FROM check_history WHERE at >= ? GROUP BY node ORDER BY node').all(now - 2 * DAY);
    const r = maintainHistory(db, now, { rawMs: DAY, retentionMs: 2 * DAY });
    expect(r.deleted).toBeGreaterThan(0);
    const after = db.prepare('SELECT node, SUM(checks) c, SUM(sent) s, SUM(received) r, MIN(rtt_min) mn, MAX(rtt_max) mx FROM check_history GROUP BY node ORDER BY node').all();
    expect(after).toEqual(before);
    // Raw rows only within the last day (up to the bucket boundary), buckets only before it.
    const cutoff = Math.floor((now - DAY) / BUCKET_MS) * BUCKET_MS;
    const raw = db.prepare('SELECT MIN(at) a FROM check_history WHERE span_ms = 0').get() as { a: number };
    expect(raw.a).toBeGreaterThanOrEqual(cutoff);
    const buckets = db.prepare('SELECT COUNT(*) n, MAX(at) last, MIN(checks) mn, MAX(checks) mx FROM check_history WHERE span_ms = ?').get(BUCKET_MS) as any;
    expect(buckets.n).toBe(2 * ((cutoff - (now - 2 * DAY)) / BUCKET_MS));
    expect(buckets.last).toBeLessThan(cutoff);
    expect(buckets.mn).toBe(30);
    expect(buckets.mx).toBe(30);
    // Weighted average rtt survives the merge.
    const b = db.prepare('SELECT rtt_avg FROM check_history WHERE node = 2 AND span_ms > 0 LIMIT 1').get() as { rtt_avg: number };
    expect(b.rtt_avg).toBeCloseTo(1, 9);
    // Running it again changes nothing.
    const again = maintainHistory(db, now, { rawMs: DAY, retentionMs: 2 * DAY });
    expect(again).toEqual({ rawMerged: 0, bucketsWritten: 0, deleted: 0, done: true });
  });

  test('in hour-long slices it reaches the same result', () => {
    const now = Date.UTC(2026, 0, 10, 12, 0, 0);
    fill(now - 3 * DAY, now, 10_000);
    const whole = (() => {
      const otherDir = tempDir('picluster-history-b-');
      const other = openDb(otherDir);
      try {
        other.transaction(() => {
          for (let t = now - 3 * DAY; t < now; t += 10_000) recordChecks(other, t, [sample(1, 20), { ...sample(2, 15), rttMinMs: 0.2, rttAvgMs: 1, rttMaxMs: 3 }]);
        })();
        maintainHistory(other, now, { rawMs: DAY, retentionMs: 2 * DAY });
        return other.prepare('SELECT * FROM check_history ORDER BY node, at, span_ms').all();
      } finally {
        other.close();
        fs.rmSync(otherDir, { recursive: true, force: true });
      }
    })();
    let slices = 0;
    for (;;) {
      slices++;
      const r = maintainHistory(db, now, { rawMs: DAY, retentionMs: 2 * DAY, chunkMs: HOUR });
      if (r.done) break;
      expect(slices).toBeLessThan(200);
    }
    expect(slices).toBeGreaterThan(20);
    expect(db.prepare('SELECT * FROM check_history ORDER BY node, at, span_ms').all()).toEqual(whole);
  });

  test('size stays bounded over time with the default periods', () => {
    const step = 60_000; // one check a minute keeps the test fast; the bound scales the same way
    let now = Date.UTC(2026, 0, 1);
    const sizes: number[] = [];
    for (let day = 0; day < 6; day++) {
      fill(now, now + DAY, step);
      now += DAY;
      maintainHistory(db, now, { rawMs: DAY, retentionMs: 3 * DAY });
      sizes.push(historyStats(db).rows);
    }
    const bound = 2 * (DAY / step + (3 * DAY) / BUCKET_MS) + 4;
    expect(Math.max(...sizes)).toBeLessThanOrEqual(bound);
    expect(sizes[5]).toBe(sizes[4]);
  });

  test('queries merge into at most ~maxPoints points across raw rows and buckets', () => {
    const now = Date.UTC(2026, 0, 10);
    fill(now - 2 * DAY, now, 2_000);
    maintainHistory(db, now, { rawMs: DAY, retentionMs: 30 * DAY });
    const points = queryHistory(db, 2, now - 2 * DAY, now, 500);
    expect(points.length).toBeLessThanOrEqual(501);
    expect(points.length).toBeGreaterThan(400);
    expect(points.every((p) => p.lossPct === 25)).toBe(true);
    expect(points.reduce((a, p) => a + p.checks, 0)).toBe((2 * DAY) / 2000);
    const hour = queryHistory(db, 1, now - HOUR, now);
    expect(hour.length).toBe(600);
    expect(hour[0]).toMatchObject({ lossPct: 0, rttMinMs: 0.3, rttMaxMs: 0.9, linkDown: 0 });
  });

  test('link state and counters are recorded; latest check per node', () => {
    recordChecks(db, 1000, [sample(3, 0, 20, null), sample(4, 20, 20, link({ name: 'ethpi4', rxErrors: 7 }))]);
    recordChecks(db, 3000, [sample(3, 0, 20, link({ name: 'ethpi3', carrier: false })), sample(4, 19)]);
    const latest = latestChecks(db, [3, 4, 5]);
    expect([...latest.keys()]).toEqual([3, 4]);
    expect(latest.get(3)).toMatchObject({ at: 3000, lossPct: 100, linkDown: 1, rttAvgMs: null });
    expect(latest.get(4)).toMatchObject({ at: 3000, lossPct: 5, linkDown: 0 });
    expect(queryHistory(db, 4, 0, 2000)[0].rxErrors).toBe(7);
  });
});
