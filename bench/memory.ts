/**
 * bench/memory: resident and heap memory of the monitor before and after 10,000 check cycles
 * (target: growth < 5 MiB). Two runs:
 *  - pipeline: the main-thread half alone (history rows, alert state, outbox, deliveries), fed
 *    synthetic results as fast as it takes them (see pipeline() for when RSS settles);
 *  - bree: the whole monitor on its real Bree schedule (a worker thread per cycle, back to back)
 *    with bench/memory-job.js standing in for the pings.
 * Memory is read after a forced GC; the baseline after a warm-up of 500 cycles.
 *
 *   node --expose-gc dist/bench/memory.js [--cycles 10000] [--nodes 16] [--mode pipeline,bree]
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { AlertSink } from '../src/monitor/alert';
import { Monitor } from '../src/monitor/monitor';
import { OutboxDispatcher } from '../src/monitor/outbox';
import type { NodeSample } from '../src/monitor/protocol';
import { tempEngine } from '../test/monitor-support';
import { setLogLevel } from '../src/log';
import { argOf, machineLine } from './stats';

const TARGET_MIB = 5;
const WARMUP = 500;
const MiB = 1024 * 1024;

function snapshot(): { rss: number; heap: number; heapTotal: number } {
  (global as any).gc();
  (global as any).gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, heapTotal: m.heapTotal };
}

const fmt = (x: number) => `${(x / MiB).toFixed(1)}`;
function line(cycle: number, s: { rss: number; heap: number; heapTotal: number }): string {
  return `  ${String(cycle).padStart(6)} cycles: rss ${fmt(s.rss)} MiB, V8 heap committed ${fmt(s.heapTotal)} MiB, used ${fmt(s.heap)} MiB\n`;
}

const nullSink: AlertSink = { deliver: async () => undefined };

function sampleFor(node: number, cycle: number): NodeSample {
  const dead = cycle % 600 < 30 && node % 4 === 0;
  const received = dead ? 0 : 20 - (Math.random() < 0.1 ? 1 : 0);
  return {
    node,
    sent: 20,
    received,
    lossPct: ((20 - received) / 20) * 100,
    rttMinMs: received ? 0.3 : null,
    rttAvgMs: received ? 0.5 : null,
    rttMaxMs: received ? 1 : null,
    link: dead ? null : { name: `ethpi${node}`, adminUp: true, carrier: true, operstate: 'up', rxPackets: cycle, rxBytes: cycle * 84, rxErrors: 0, rxDropped: 0, txPackets: cycle, txBytes: cycle * 84, txErrors: 0, txDropped: 0 },
  };
}

/**
 * RSS of a process writing SQLite rows settles only after ~20,000 cycles of 16 nodes: the page
 * cache (better-sqlite3 sets 16 MiB) fills with history pages, and V8 grows its young generation to
 * match the allocation rate. Both are bounded. So this run goes on to 3x the cycles and reports the
 * JS heap growth over the requested cycles and the RSS growth over the last stretch of as many.
 */
async function pipeline(cycles: number, nodes: number[]): Promise<[number, number, string]> {
  const env = tempEngine({}, nodes);
  try {
    const m = new Monitor(env.engine, nullSink);
    const d = new OutboxDispatcher(env.engine.db, nullSink);
    d.start();
    const marks = new Map<number, ReturnType<typeof snapshot>>();
    const total = Math.max(cycles * 3, 30_000);
    const step = Math.max(1000, Math.round(cycles / 2));
    const t0 = Date.now() - total * 2000;
    for (let c = 0; c <= total; c++) {
      const at = t0 + c * 2000;
      m.handleResult({ type: 'check-result', startedAt: at, finishedAt: at + 400, samples: nodes.map((n) => sampleFor(n, c)) });
      if (c % 50 === 0) {
        d.kick();
        await new Promise((r) => setImmediate(r));
      }
      if (c === WARMUP || c === WARMUP + cycles || c === total - cycles || c === total || c % step === 0) {
        const snap = snapshot();
        marks.set(c, snap);
        process.stdout.write(line(c, snap));
      }
    }
    await d.stop();
    const alerts = (env.engine.db.prepare('SELECT COUNT(*) n FROM alert_outbox').get() as { n: number }).n;
    const a = marks.get(WARMUP)!, b = marks.get(WARMUP + cycles)!, c1 = marks.get(total - cycles)!, c2 = marks.get(total)!;
    return [c2.rss - c1.rss, b.heap - a.heap, `${alerts} alerts enqueued and delivered; rss over cycles ${WARMUP}-${WARMUP + cycles}: ${fmt(b.rss - a.rss)} MiB while caches fill; reported: rss over cycles ${total - cycles}-${total}, heap over ${WARMUP}-${WARMUP + cycles}`];
  } finally {
    await env.cleanup();
  }
}

async function bree(cycles: number, nodes: number[]): Promise<[number, number, string]> {
  const env = tempEngine({}, nodes);
  try {
    // Runs back to back: the interval is shorter than a worker's start-up, so every run catches up at once.
    setLogLevel('error');
    const m = new Monitor(env.engine, nullSink, { jobPath: path.join(__dirname, 'memory-job.js'), settings: { intervalMs: 50, timeoutMs: 5000 } });
    await m.start();
    const t0 = Date.now();
    let base = snapshot();
    let baseAt = -1;
    await new Promise<void>((resolve) => {
      m.events.on('check', () => {
        if (m.stats.runs === WARMUP && baseAt < 0) {
          baseAt = m.stats.runs;
          base = snapshot();
        }
        if (m.stats.runs % 2000 === 0) process.stdout.write(line(m.stats.runs, snapshot()));
        if (m.stats.runs >= cycles) resolve();
      });
    });
    await m.stop();
    const end = snapshot();
    process.stdout.write(line(m.stats.runs, end));
    return [end.rss - base.rss, end.heap - base.heap, `rss and heap from cycle ${WARMUP}; ${m.stats.runs} runs in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${m.stats.skipped} skipped ticks, ${m.stats.failures} failures`];
  } finally {
    await env.cleanup();
  }
}

async function main(argv: string[]): Promise<void> {
  if (typeof (global as any).gc !== 'function') {
    // Re-run with the GC exposed, so readings are not at the mercy of when V8 last collected.
    const r = spawnSync(process.execPath, ['--expose-gc', __filename, ...argv], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  const cycles = Number(argOf(argv, 'cycles') ?? 10_000);
  const nodes = Array.from({ length: Number(argOf(argv, 'nodes') ?? 16) }, (_, i) => i + 1);
  const modes = (argOf(argv, 'mode') ?? 'pipeline,bree').split(',');
  process.stdout.write(`bench/memory · ${machineLine()}\n`);
  for (const mode of modes) {
    const t = Date.now();
    const [rss, heap, note] = mode === 'bree' ? await bree(cycles, nodes) : await pipeline(cycles, nodes);
    process.stdout.write(
      `${mode}: ${cycles} cycles × ${nodes.length} nodes in ${((Date.now() - t) / 1000).toFixed(0)} s (${note}); growth: rss ${(rss / MiB).toFixed(2)} MiB, heap ${(heap / MiB).toFixed(2)} MiB → ${rss < TARGET_MIB * MiB && heap < TARGET_MIB * MiB ? 'met' : 'NOT met'} (< ${TARGET_MIB} MiB)\n`,
    );
  }
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
