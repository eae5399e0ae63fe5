/**
 * bench/sweep: one monitoring check run over 16 and 64 lab nodes against `fping -c3 -p20 -i1` on
 * the same nodes, in the same run, alternating. Wall time and CPU (this process, its worker thread
 * and every child it reaped: the ping processes, or fping). Prints medians and ratios; asserts
 * nothing.
 *
 *   node dist/bench/sweep.js [--sizes 16,64] [--reps 15]
 *
 * Needs root: it builds a lab per size (test/lab/lab.ts) and runs the measuring half inside the
 * lab's manager namespace (`--inner`), where the node addresses are.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { nodeAddressing } from '../src/cluster/model';
import { DEFAULT_JOB_PATH } from '../src/monitor/monitor';
import type { CheckJobInput, CheckResultMessage, CheckTarget } from '../src/monitor/protocol';
import { DEFAULT_SETTINGS, Lab, REPO_ROOT } from '../test/lab/lab';
import { argOf, machineLine, median, ms, ratio, table, timedSpawn } from './stats';
import { prepareManager } from './prepare-manager';

const TARGET_WALL = 1.2;

interface Sample {
  wallMs: number;
  cpuMs: number;
}

const CLK_TCK = 100;
/** CPU of every child this process has reaped (ping, fping): cutime + cstime of /proc/self/stat. */
function childrenCpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK;
}
function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function measure(fn: () => Promise<void>): Promise<Sample> {
  const c0 = ownCpuMs() + childrenCpuMs();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 30)); // let the last children be reaped before reading their CPU
  return { wallMs, cpuMs: ownCpuMs() + childrenCpuMs() - c0 };
}

/** One check exactly as Bree runs it: jobs/check.js in a fresh worker thread, until its result. */
function checkRun(input: CheckJobInput): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = new Worker(DEFAULT_JOB_PATH, { workerData: { job: { name: 'check' }, ...input } });
    w.on('message', (m: CheckResultMessage | string) => {
      if (typeof m === 'object' && m.type === 'check-result') {
        const lost = m.samples.filter((s) => s.received < Math.min(input.echoes, s.sent));
        if (lost.length) reject(new Error(`nodes not answering fully: ${lost.map((s) => s.node).join(',')}`));
        else resolve();
        void w.terminate();
      }
    });
    w.on('error', reject);
  });
}

async function fping(ips: string[]): Promise<void> {
  const r = await timedSpawn(['fping', '-c3', '-p20', '-i1', '-q', ...ips], { timeoutMs: 30_000 });
  const ok = (r.stderr.match(/xmt\/rcv\/%loss = 3\/3\/0%/g) ?? []).length;
  if (r.code !== 0 || ok !== ips.length) throw new Error(`fping: exit ${r.code}, ${ok}/${ips.length} answered fully: ${r.stderr.slice(0, 500)}`);
}

async function inner(nodes: number[], reps: number): Promise<void> {
  const targets: CheckTarget[] = nodes.map((n) => {
    const a = nodeAddressing(n, DEFAULT_SETTINGS);
    return { node: n, address: a.workerIp, hostMac: a.hostMac, iface: a.hostIface };
  });
  const ips = targets.map((t) => t.address);
  const variants: Record<string, () => Promise<void>> = {
    'fping -c3 -p20 -i1': () => fping(ips),
    'check, 3 echoes 20 ms apart': () => checkRun({ targets, echoes: 3, echoIntervalMs: 20, echoDeadlineMs: 1000 }),
    'check, defaults (20 replies)': () => checkRun({ targets, echoes: 20, echoIntervalMs: 20, echoDeadlineMs: 1000 }),
  };
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const fn of Object.values(variants)) await fn(); // warm-up: ARP entries, page cache
  const names = Object.keys(variants);
  for (let i = 0; i < reps; i++) {
    for (let j = 0; j < names.length; j++) {
      const k = names[(i + j) % names.length]; // rotate the order so no variant always runs first
      samples[k].push(await measure(variants[k]));
    }
  }
  process.stdout.write(JSON.stringify({ nodes: nodes.length, reps, samples }) + '\n');
}

async function outer(sizes: number[], reps: number): Promise<void> {
  process.stdout.write(`bench/sweep · ${machineLine()}\n`);
  for (const size of sizes) {
    const lab = await Lab.create({ nodes: Array.from({ length: size }, (_, i) => i + 1), fresh: [] });
    try {
      await prepareManager(lab);
      const r = await lab.managerExec([process.execPath, path.join(REPO_ROOT, 'dist', 'bench', 'sweep.js'), '--inner', '--nodes', lab.nodes.join(','), '--reps', String(reps)], { timeoutMs: 600_000 });
      if (r.code !== 0) throw new Error(`inner run failed (${r.code}): ${r.stderr}`);
      const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { samples: Record<string, Sample[]> };
      const m = (k: string, f: keyof Sample) => median(res.samples[k].map((s) => s[f]));
      const base = 'fping -c3 -p20 -i1';
      const rows = Object.keys(res.samples).map((k) => [k, ms(m(k, 'wallMs')), ms(Math.min(...res.samples[k].map((s) => s.wallMs))), k === base ? '' : ratio(m(k, 'wallMs'), m(base, 'wallMs')), ms(m(k, 'cpuMs')), k === base ? '' : ratio(m(k, 'cpuMs'), m(base, 'cpuMs')), ms(m(k, 'cpuMs') / size)]);
      process.stdout.write(`\n${size} nodes, ${reps} runs each (medians):\n${table(['variant', 'wall', 'best', 'wall/fping', 'CPU', 'CPU/fping', 'CPU/node'], rows)}\n`);
      const wall = m('check, 3 echoes 20 ms apart', 'wallMs') / m(base, 'wallMs');
      process.stdout.write(`target wall ≤ ${TARGET_WALL}× fping for the same echoes: ${wall <= TARGET_WALL ? 'met' : 'NOT met'} (${wall.toFixed(2)}×)\n`);
    } finally {
      await lab.destroy();
    }
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const reps = Number(argOf(argv, 'reps') ?? 15);
  const run = argv.includes('--inner')
    ? inner(argOf(argv, 'nodes')!.split(',').map(Number), reps)
    : outer((argOf(argv, 'sizes') ?? '16,64').split(',').map(Number), reps);
  run.catch((e) => {
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.exit(1);
  });
}
