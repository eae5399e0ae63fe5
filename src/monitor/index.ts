import type { Engine } from '../engine';
import { log } from '../log';
import type { AlertSink } from './alert';
import { Monitor, MonitorOptions } from './monitor';

export type { AlertMessage, AlertSink, AlertKind, AlertField, Severity } from './alert';
export { ShellAlertSink, formatAlertText } from './alert';
export { Monitor } from './monitor';
export type { MonitorOptions, MonitorEvents, MonitorStats } from './monitor';

/**
 * Starts reachability monitoring in this process and returns at once; `monitor.ready` settles when
 * the schedule runs (it rejects if, e.g., another process already monitors this data directory).
 * Call `await monitor.stop()` on shutdown: it finishes the running check and the delivery in flight.
 */
export function startMonitoring(engine: Engine, sink: AlertSink, opts: MonitorOptions = {}): Monitor & { ready: Promise<void> } {
  const monitor = new Monitor(engine, sink, opts) as Monitor & { ready: Promise<void> };
  monitor.ready = monitor.start();
  monitor.ready.catch((e) => log.error(`monitoring did not start: ${e instanceof Error ? e.message : String(e)}`));
  return monitor;
}
