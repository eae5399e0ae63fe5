/**
 * bench/fanout: `status --remote` over 16 and 64 lab workers, warm and cold, against OpenSSH with
 * ControlMaster and against a bare pooled ssh2 exec of the same remote command, all measured in the
 * same run on the same lab. Prints medians and ratios; asserts nothing (see bench/README.md).
 *
 *   npm run bench:fanout [-- --sizes 16,64 --reps 7]
 *
 * Needs root (it builds a lab: test/lab/lab.ts). Each size gets its own lab, destroyed at the end.
 */
import * as path from 'node:path';
import { Lab, REPO_ROOT } from '../test/lab/lab';
import { argOf, machineLine, median, ms, ratio, table } from './stats';
import { prepareManager } from './prepare-manager';

interface Sample {
  ms: number;
  botCpu: number;
  piCpu: number;
}

interface InnerResult {
  nodes: number;
  reps: number;
  samples: Record<string, Sample[]>;
}

const TARGET_WARM = 1.2;
const TARGET_COLD_MS = 1200;

function runInner(lab: Lab, nodes: number, reps: number): Promise<InnerResult> {
  return new Promise((resolve, reject) => {
    const child = lab.spawnInManager([process.execPath, path.join(REPO_ROOT, 'dist', 'bench', 'fanout-inner.js'), '--nodes', String(nodes), '--reps', String(reps), '--lab-json', path.join(lab.dir, 'lab.json')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`fanout-inner exited ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? ''));
      } catch (e) {
        reject(new Error(`fanout-inner printed no result: ${out}`));
      }
    });
  });
}

function report(r: InnerResult): { text: string; warmRatio: number; warmNoPingRatio: number; coldCli: number; coldPool: number } {
  const m = (k: string, f: keyof Sample = 'ms') => median(r.samples[k].map((x) => x[f]));
  const walls = (k: string) => r.samples[k].map((x) => x.ms);
  const row = (k: string, peer?: string) => [
    k,
    ms(m(k)),
    ms(Math.min(...walls(k))),
    ms(Math.max(...walls(k))),
    peer ? ratio(m(k), m(peer)) : '',
    peer ?? '',
    ms(m(k, 'botCpu')),
    ms(m(k, 'piCpu')),
  ];
  const rows = [
    row('warm ssh2-bare'),
    row('warm status', 'warm ssh2-bare'),
    row('warm status-noping', 'warm ssh2-bare'),
    row('warm openssh-cm', 'warm ssh2-bare'),
    row('cold ssh2-bare'),
    row('cold status-pool', 'cold ssh2-bare'),
    row('cold cli', 'cold openssh-cm'),
    row('cold openssh-cm', 'cold ssh2-bare'),
  ];
  const warmRatio = m('warm status') / m('warm ssh2-bare');
  const warmNoPingRatio = m('warm status-noping') / m('warm ssh2-bare');
  const text = [
    `${r.nodes} workers, ${r.reps} repetitions; wall time median/min/max; CPU medians: manager side (bot or ssh clients + masters, with their children) and Pi side (all workers' sshd + sessions)`,
    table(['case', 'median', 'min', 'max', 'ratio', 'vs', 'mgr CPU', 'Pi CPU'], rows),
    `warm status vs warm openssh-cm: ${ratio(m('warm status'), m('warm openssh-cm'))}; the per-node ping adds ${ms(m('warm status') - m('warm status-noping'))} wall, ${ms(m('warm status', 'botCpu') - m('warm status-noping', 'botCpu'))} manager CPU`,
  ].join('\n');
  return { text, warmRatio, warmNoPingRatio, coldCli: m('cold cli'), coldPool: m('cold status-pool') };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/fanout builds a lab in network namespaces: run it as root');
  const argv = process.argv.slice(2);
  const sizes = (argOf(argv, 'sizes') ?? '16,64').split(',').map(Number);
  const reps = Number(argOf(argv, 'reps') ?? 7);
  process.stdout.write(`bench/fanout · ${machineLine()}\n`);
  process.stdout.write('Setup: lab workers with IPv4 already on usb0; manager side (ethpiN rename + address) by one ip -batch; inventory rows via upsertNode.\n\n');
  const summary: string[] = [];
  for (const size of sizes) {
    const t0 = Date.now();
    const lab = await Lab.create({ nodes: Array.from({ length: size }, (_, i) => i + 1), fresh: [], concurrency: 8 });
    const stop = () => void lab.destroy().finally(() => process.exit(130));
    process.once('SIGINT', stop);
    try {
      process.stderr.write(`lab ${lab.id}: ${size} workers up in ${Date.now() - t0} ms\n`);
      await prepareManager(lab);
      const r = await runInner(lab, size, reps);
      const rep = report(r);
      process.stdout.write(rep.text + '\n\n');
      summary.push(
        `${size} workers: warm status / bare ssh2 = ${rep.warmRatio.toFixed(2)}× (target ≤ ${TARGET_WARM}×: ${rep.warmRatio <= TARGET_WARM ? 'met' : 'MISSED'}), without its ping ${rep.warmNoPingRatio.toFixed(2)}×; ` +
          `cold cli ${ms(rep.coldCli)}, cold pool ${ms(rep.coldPool)}` +
          (size >= 64 ? ` (target ≤ ${TARGET_COLD_MS} ms for 64: ${rep.coldCli <= TARGET_COLD_MS ? 'met' : 'MISSED'})` : ''),
      );
    } finally {
      process.removeListener('SIGINT', stop);
      await lab.destroy();
    }
  }
  process.stdout.write(summary.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench/fanout: ${e?.stack ?? e}\n`);
  process.exit(1);
});
