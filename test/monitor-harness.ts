/**
 * The monitor as the bot runs it, for tests and benchmarks that need it inside the lab's manager
 * namespace: opens the engine from the environment (like `npm start`), starts monitoring, and
 * prints one JSON line per event on stdout. The sink fails while the file named by
 * HARNESS_SINK_DOWN exists, standing in for an unreachable Discord.
 *
 * Events: ready | check {at, loss: {node: pct}} | delivered {alert} | delivery-failed {id, error} | job-failure {reason} | stopped
 */
import * as fs from 'node:fs';
import { openEngineOrExit } from '../src/bootstrap';
import { AlertMessage, AlertSink, startMonitoring } from '../src/monitor';

const emit = (event: string, data: Record<string, unknown> = {}) => process.stdout.write(JSON.stringify({ event, t: Date.now(), ...data }) + '\n');

const downFile = process.env.HARNESS_SINK_DOWN;
const sink: AlertSink = {
  async deliver(alert: AlertMessage) {
    if (downFile && fs.existsSync(downFile)) throw new Error('alert channel unreachable (harness)');
    emit('delivered', { alert });
  },
};

const engine = openEngineOrExit();
const maxBackoff = Number(process.env.HARNESS_MAX_BACKOFF_MS || 0);
const monitor = startMonitoring(engine, sink, maxBackoff ? { dispatcher: { minBackoffMs: Math.min(500, maxBackoff), maxBackoffMs: maxBackoff } } : {});
monitor.events.on('check', (r) => emit('check', { at: r.startedAt, ms: r.finishedAt - r.startedAt, loss: Object.fromEntries(r.samples.map((s) => [s.node, s.lossPct])) }));
monitor.events.on('delivery-failed', (a, error) => emit('delivery-failed', { id: a.id, node: a.node, error }));
monitor.events.on('job-failure', (reason) => emit('job-failure', { reason }));
monitor.ready.then(
  () => emit('ready', { pid: process.pid, settings: monitor.settings }),
  (e) => {
    emit('start-failed', { error: String(e) });
    process.exit(1);
  },
);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void monitor
    .stop()
    .then(() => engine.close())
    .finally(() => {
      emit('stopped');
      process.exit(0);
    });
});
