/**
 * bench/alert-latency: time from `ip link set usb0 down` in a lab worker to the alert arriving at
 * the sink of a monitor running with default settings in the lab's manager, median of 10 (target
 * ≤ 10 s). Each trial waits a random part of a check interval first, so the phase of the failure
 * against the schedule is sampled rather than fixed.
 *
 *   node dist/bench/alert-latency.js [--trials 10]
 */
import { openDb } from '../src/state/db';
import { upsertNode } from '../src/state/inventory';
import { Lab } from '../test/lab/lab';
import { Harness } from '../test/monitor-harness-client';
import { prepareManager } from './prepare-manager';
import { argOf, machineLine, median, sleep } from './stats';

const TARGET_MS = 10_000;

async function main(trials: number): Promise<void> {
  process.stdout.write(`bench/alert-latency · ${machineLine()}\n`);
  const lab = await Lab.create({ nodes: [1, 2], fresh: [] });
  let h: Harness | undefined;
  try {
    await prepareManager(lab);
    const db = openDb(lab.dataDir);
    for (const n of lab.nodes) upsertNode(db, n, 'bench', { provisionedAt: Date.now() });
    db.close();
    h = await Harness.start(lab);
    await h.waitChecks(3);
    const link = async (up: boolean) => {
      const r = await lab.workerExec(1, ['ip', 'link', 'set', 'usb0', up ? 'up' : 'down']);
      if (r.code !== 0) throw new Error(r.stderr);
    };
    const lat: number[] = [];
    for (let i = 0; i < trials; i++) {
      await sleep(Math.random() * 2000);
      const t = Date.now();
      await link(false);
      const a = await h.waitFor((e) => e.event === 'delivered' && e.t >= t && e.alert!.node === 1 && e.alert!.kind === 'alert', 30_000, 'the alert');
      lat.push(a.t - t);
      process.stdout.write(`trial ${i + 1}: ${a.t - t} ms\n`);
      await link(true);
      await h.waitFor((e) => e.event === 'delivered' && e.t >= t && e.alert!.node === 1 && e.alert!.kind === 'recovery', 60_000, 'the recovery');
    }
    const s = [...lat].sort((a, b) => a - b);
    const med = median(lat);
    process.stdout.write(`\nlink down → alert delivered, ${trials} trials: median ${(med / 1000).toFixed(2)} s, min ${(s[0] / 1000).toFixed(2)} s, max ${(s[s.length - 1] / 1000).toFixed(2)} s\n`);
    process.stdout.write(`target ≤ ${TARGET_MS / 1000} s: ${med <= TARGET_MS ? 'met' : 'NOT met'}\n`);
  } finally {
    await h?.stop().catch(() => undefined);
    await lab.destroy();
  }
}

main(Number(argOf(process.argv.slice(2), 'trials') ?? 10)).catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
