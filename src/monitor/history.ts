import type { DB } from '../state/db';
import type { NodeSample } from './protocol';
import { stmt } from './sql';

/**
 * Check history in SQLite. Raw rows (span_ms = 0) hold one check each; after HISTORY_RAW they are
 * merged into BUCKET_MS buckets (span_ms = BUCKET_MS) and after HISTORY_RETENTION deleted, so the
 * table size is bounded by nodes x (raw period / interval + retention / bucket).
 */
export const BUCKET_MS = 5 * 60_000;

export interface HistoryPoint {
  at: number;
  spanMs: number;
  checks: number;
  sent: number;
  received: number;
  lossPct: number;
  rttMinMs: number | null;
  rttAvgMs: number | null;
  rttMaxMs: number | null;
  /** Checks in this point during which the link was absent, down or without carrier. */
  linkDown: number;
  rxErrors: number | null;
  txErrors: number | null;
  rxDropped: number | null;
  txDropped: number | null;
}

const linkDown = (s: NodeSample) => (!s.link || !s.link.adminUp || !s.link.carrier ? 1 : 0);

/** All samples of one check run, in one transaction (one fsync per run, not per node). */
export function recordChecks(db: DB, at: number, samples: NodeSample[]): void {
  const ins = stmt(db, 
    `INSERT OR REPLACE INTO check_history(node, at, span_ms, checks, sent, received, rtt_min, rtt_avg, rtt_max, link_down, rx_errors, tx_errors, rx_dropped, tx_dropped)
     VALUES (?, ?, 0, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (const s of samples) {
      ins.run(s.node, at, s.sent, s.received, s.rttMinMs, s.rttAvgMs, s.rttMaxMs, linkDown(s), s.link?.rxErrors ?? null, s.link?.txErrors ?? null, s.link?.rxDropped ?? null, s.link?.txDropped ?? null);
    }
  })();
}

export interface MaintenanceResult {
  rawMerged: number;
  bucketsWritten: number;
  deleted: number;
  /** False when `chunkMs` stopped it early: call again (after yielding) to continue. */
  done: boolean;
}

/**
 * Merges raw rows older than `rawMs` into buckets and deletes everything older than `retentionMs`.
 * The cut-off is aligned to a bucket boundary so every bucket is built from all of its checks at once.
 */
export function maintainHistory(db: DB, now: number, opts: { rawMs: number; retentionMs: number; bucketMs?: number; chunkMs?: number }): MaintenanceResult {
  const bucket = opts.bucketMs ?? BUCKET_MS;
  const fullCutoff = Math.floor((now - opts.rawMs) / bucket) * bucket;
  const fullExpiry = now - opts.retentionMs;
  // After a long downtime there can be a day of raw rows to merge: do it in slices, so the caller
  // can yield to the event loop (Discord heartbeats) between them.
  let cutoff = fullCutoff;
  let expiry = fullExpiry;
  if (opts.chunkMs) {
    const oldestRaw = (stmt(db, 'SELECT MIN(at) AS at FROM check_history WHERE span_ms = 0').get() as { at: number | null }).at;
    if (oldestRaw !== null) cutoff = Math.min(fullCutoff, Math.floor((oldestRaw + opts.chunkMs) / bucket) * bucket + bucket);
    const oldest = (stmt(db, 'SELECT MIN(at) AS at FROM check_history').get() as { at: number | null }).at;
    if (oldest !== null) expiry = Math.min(fullExpiry, oldest + opts.chunkMs);
  }
  // Buckets are `at - at % bucket` (see queryHistory for why not division).
  return db.transaction(() => {
    const merged = stmt(db, 
        `INSERT INTO check_history(node, at, span_ms, checks, sent, received, rtt_min, rtt_avg, rtt_max, link_down, rx_errors, tx_errors, rx_dropped, tx_dropped)
         SELECT node, at - at % @bucket AS b, @bucket, SUM(checks), SUM(sent), SUM(received), MIN(rtt_min),
                SUM(rtt_avg * received) / NULLIF(SUM(CASE WHEN rtt_avg IS NULL THEN 0 ELSE received END), 0), MAX(rtt_max), SUM(link_down),
                MAX(rx_errors), MAX(tx_errors), MAX(rx_dropped), MAX(tx_dropped)
         FROM check_history WHERE span_ms = 0 AND at < @cutoff GROUP BY node, b
         ON CONFLICT(node, at, span_ms) DO UPDATE SET
           rtt_avg = CASE WHEN excluded.received + received > 0 THEN (COALESCE(excluded.rtt_avg * excluded.received, 0) + COALESCE(rtt_avg * received, 0)) / (excluded.received + received) END,
           checks = checks + excluded.checks, sent = sent + excluded.sent, received = received + excluded.received,
           rtt_min = MIN(COALESCE(rtt_min, excluded.rtt_min), COALESCE(excluded.rtt_min, rtt_min)),
           rtt_max = MAX(COALESCE(rtt_max, excluded.rtt_max), COALESCE(excluded.rtt_max, rtt_max)),
           link_down = link_down + excluded.link_down,
           rx_errors = MAX(COALESCE(rx_errors, excluded.rx_errors), COALESCE(excluded.rx_errors, rx_errors)),
           tx_errors = MAX(COALESCE(tx_errors, excluded.tx_errors), COALESCE(excluded.tx_errors, tx_errors)),
           rx_dropped = MAX(COALESCE(rx_dropped, excluded.rx_dropped), COALESCE(excluded.rx_dropped, rx_dropped)),
           tx_dropped = MAX(COALESCE(tx_dropped, excluded.tx_dropped), COALESCE(excluded.tx_dropped, tx_dropped))`,
      )
      .run({ bucket, cutoff }).changes;
    const rawMerged = stmt(db, 'DELETE FROM check_history WHERE span_ms = 0 AND at < ?').run(cutoff).changes;
    const deleted = stmt(db, 'DELETE FROM check_history WHERE at < ?').run(expiry).changes;
    return { rawMerged, bucketsWritten: merged, deleted, done: cutoff >= fullCutoff && expiry >= fullExpiry };
  })();
}

function toPoint(r: any): HistoryPoint {
  return {
    at: r.at,
    spanMs: r.span_ms,
    checks: r.checks,
    sent: r.sent,
    received: r.received,
    lossPct: r.sent > 0 ? Math.round(((r.sent - r.received) / r.sent) * 1000) / 10 : 100,
    rttMinMs: r.rtt_min,
    rttAvgMs: r.rtt_avg,
    rttMaxMs: r.rtt_max,
    linkDown: r.link_down,
    rxErrors: r.rx_errors,
    txErrors: r.tx_errors,
    rxDropped: r.rx_dropped,
    txDropped: r.tx_dropped,
  };
}

/**
 * A node's history in [from, to), merged in SQL into at most ~maxPoints points (a chart is a few
 * hundred pixels wide; a week of raw checks is 300,000 rows).
 */
export function queryHistory(db: DB, node: number, from: number, to: number, maxPoints = 600): HistoryPoint[] {
  const step = Math.max(1, Math.ceil((to - from) / maxPoints));
  from = Math.floor(from);
  // `x - x % n`, not `x / n * n`: bound numbers arrive as REAL, and `%` is the operator that works in integers.
  const rows = stmt(db, 
      `SELECT @from + (at - @from) - (at - @from) % @step AS at, MAX(span_ms) AS span_ms, SUM(checks) AS checks, SUM(sent) AS sent, SUM(received) AS received,
              MIN(rtt_min) AS rtt_min, SUM(rtt_avg * received) / NULLIF(SUM(CASE WHEN rtt_avg IS NULL THEN 0 ELSE received END), 0) AS rtt_avg, MAX(rtt_max) AS rtt_max,
              SUM(link_down) AS link_down, MAX(rx_errors) AS rx_errors, MAX(tx_errors) AS tx_errors, MAX(rx_dropped) AS rx_dropped, MAX(tx_dropped) AS tx_dropped
       FROM check_history WHERE node = @node AND at >= @from AND at < @to
       GROUP BY (at - @from) - (at - @from) % @step ORDER BY 1`,
    )
    .all({ node, from, to, step }) as any[];
  return rows.map((r) => ({ ...toPoint(r), spanMs: Math.max(r.span_ms, step) }));
}

/** The highest loss of any single stored row (a check, or a bucket once merged) in [from, to). */
export function worstLossPct(db: DB, node: number, from: number, to: number): number | null {
  const r = stmt(db, 'SELECT MAX((sent - received) * 100.0 / sent) AS w FROM check_history WHERE node = ? AND at >= ? AND at < ? AND sent > 0').get(node, Math.floor(from), to) as { w: number | null };
  return r.w === null ? null : Math.round(r.w * 10) / 10;
}

/** The most recent raw check of each node. */
export function latestChecks(db: DB, nodes: number[]): Map<number, HistoryPoint> {
  const q = stmt(db, 'SELECT * FROM check_history WHERE node = ? AND span_ms = 0 ORDER BY at DESC LIMIT 1');
  const out = new Map<number, HistoryPoint>();
  for (const n of nodes) {
    const r = q.get(n);
    if (r) out.set(n, toPoint(r));
  }
  return out;
}

export function historyStats(db: DB): { rows: number; rawRows: number; oldest: number | null } {
  const r = stmt(db, 'SELECT COUNT(*) AS rows, SUM(span_ms = 0) AS raw, MIN(at) AS oldest FROM check_history').get() as { rows: number; raw: number | null; oldest: number | null };
  return { rows: r.rows, rawRows: r.raw ?? 0, oldest: r.oldest };
}
