/**
 * A stand-in for jobs/check.js for bench/memory: posts a plausible result for every target without
 * sending anything, so 10,000 real Bree worker cycles fit in minutes and touch no network.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckJobInput, CheckResultMessage } from '../src/monitor/protocol';

const input = workerData as CheckJobInput & { cycleFile?: string };
const port = parentPort!;
port.on('message', (m) => {
  if (m === 'cancel') port.postMessage('cancelled');
});
const now = Date.now();
// Every node drops out for a while now and then, so alerts and recoveries flow through the outbox too.
const phase = Math.floor(now / 1000) % 60;
const result: CheckResultMessage = {
  type: 'check-result',
  startedAt: now,
  finishedAt: now + 1,
  samples: input.targets.map((t) => {
    const dead = phase < 6 && t.node % 4 === 0;
    const received = dead ? 0 : input.echoes - (Math.random() < 0.1 ? 1 : 0);
    return {
      node: t.node,
      sent: input.echoes,
      received,
      lossPct: ((input.echoes - received) / input.echoes) * 100,
      rttMinMs: received ? 0.3 : null,
      rttAvgMs: received ? 0.4 + Math.random() * 0.2 : null,
      rttMaxMs: received ? 1.2 : null,
      link: dead ? null : { name: t.iface, adminUp: true, carrier: true, operstate: 'up', rxPackets: now % 1e6, rxBytes: now % 1e8, rxErrors: 0, rxDropped: 0, txPackets: now % 1e6, txBytes: now % 1e8, txErrors: 0, txDropped: 0 },
    };
  }),
};
port.postMessage(result);
port.postMessage('done');
