/**
 * A stand-in for jobs/check.js that misbehaves on request, so the tests can show that every kind of
 * job failure reaches the outbox. workerData.modeFile holds one of: ok, crash, hang, garbage, silent.
 */
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

const mode = fs.readFileSync(workerData.modeFile as string, 'utf8').trim();
const port = parentPort!;
port.on('message', (m) => {
  if (m === 'cancel') port.postMessage('cancelled');
});
if (mode === 'crash') throw new Error('injected crash');
if (mode === 'garbage') {
  port.postMessage({ type: 'check-result', startedAt: 'yesterday', samples: 3 });
  port.postMessage('done');
} else if (mode === 'silent') {
  port.postMessage('done');
} else if (mode === 'ok') {
  const now = Date.now();
  port.postMessage({ type: 'check-result', startedAt: now, finishedAt: now + 1, samples: [] });
  port.postMessage('done');
}
// 'hang': keep the thread alive (the message listener does) until the monitor's timeout ends it.
