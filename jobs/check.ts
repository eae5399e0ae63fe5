/**
 * Bree job: one reachability check of every node, run in a worker thread every CHECK_INTERVAL.
 * It only measures and reports (one typed message per run); alert state, SQLite and Discord stay in
 * the main thread (src/monitor/monitor.ts), which passes the targets in workerData.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runCheck } from '../src/monitor/probe';
import type { CheckErrorMessage, CheckJobInput } from '../src/monitor/protocol';

const port = parentPort;
if (!port) throw new Error('jobs/check.js is a Bree job: run it through the monitor, not directly');

// Bree's stop() asks politely; the pings end on their own within ECHO_DEADLINE.
port.on('message', (m) => {
  if (m === 'cancel') port.postMessage('cancelled');
});

const input = workerData as CheckJobInput;

runCheck(input).then(
  (result) => {
    port.postMessage(result);
    port.postMessage('done');
  },
  (e: unknown) => {
    const err: CheckErrorMessage = { type: 'check-error', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };
    port.postMessage(err);
    port.postMessage('done');
  },
);
