/**
 * bench/add-node: `picluster add-node N` (the CLI, as a user runs it) on fresh lab workers against
 * bench/add-node.sh, a hand-written POSIX sh + OpenSSH script doing the same steps, on other fresh
 * workers of the same lab in the same run. Prints per-node times, medians and the ratio.
 *
 *   npm run bench:add-node [-- --per-side 4] [--verbose]
 *
 * Nodes 1..K are provisioned by the bot, K+1..2K by the script, interleaved A B B A … so that
 * neither side always runs first. Every worker starts fresh (IPv6 link-local only) with its clock
 * an hour behind, so both sides really change every step. Needs root (it builds a lab).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Lab, REPO_ROOT } from '../test/lab/lab';
import { argOf, machineLine, median, ms, ratio, selfCpu, table, treeCpu } from './stats';

const TARGET = 1.5;

interface Run {
  node: number;
  side: 'bot' | 'script';
  ms: number;
  /** CPU of the run on the manager (the CLI or the script, and every process they started) and on the Pi (its sshd and sessions). */
  mgrCpu: number;
  piCpu: number;
  output: string;
}

/** What both sides must have achieved, checked independently of either. */
async function verify(lab: Lab, n: number): Promise<void> {
  const a = lab.addressing(n);
  const problems: string[] = [];
  const host = await lab.managerExec(['ip', '-4', '-o', 'addr', 'show', 'dev', a.hostIface]);
  if (!host.stdout.includes(`${a.hostIp}/24`)) problems.push(`manager: ${a.hostIface} lacks ${a.hostIp}/24`);
  const route = await lab.workerExec(n, ['ip', 'route', 'show', 'default']);
  if (!route.stdout.includes(`via ${a.hostIp} dev usb0`)) problems.push(`worker: no default via ${a.hostIp}`);
  if (!/Gateway=/.test(lab.workerFile(n, '/etc/systemd/network/usb0.network') ?? '')) problems.push('worker: no usb0.network');
  if (Math.abs(lab.skew(n)) > 2) problems.push(`worker clock still ${lab.skew(n)} s off`);
  if (!/MASQUERADE/.test(lab.managerFile('/etc/iptables/iptables.rules') ?? '')) problems.push('manager: rules not saved');
  if (problems.length) throw new Error(`node ${n}: ${problems.join('; ')}`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/add-node builds a lab in network namespaces: run it as root');
  const argv = process.argv.slice(2);
  const k = Number(argOf(argv, 'per-side') ?? 4);
  const verbose = argv.includes('--verbose');
  const nodes = Array.from({ length: 2 * k }, (_, i) => i + 1);
  const skew = Object.fromEntries(nodes.map((n) => [n, -3600]));
  process.stdout.write(`bench/add-node · ${machineLine()}\n`);
  const t0 = Date.now();
  const lab = await Lab.create({ nodes, fresh: nodes, skewSeconds: skew });
  const stop = () => void lab.destroy().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  const runs: Run[] = [];
  try {
    process.stderr.write(`lab ${lab.id}: ${nodes.length} fresh workers up in ${Date.now() - t0} ms\n`);
    const script = path.join(REPO_ROOT, 'bench', 'add-node.sh');
    const env = { KNOWN_HOSTS: path.join(lab.dir, 'bench-known_hosts') };
    const bot = (n: number) => lab.runCli(['add-node', String(n)], { timeoutMs: 120_000 });
    const sh = (n: number) => lab.managerExec(['/bin/sh', script, String(n)], { timeoutMs: 120_000, env });
    // A B B A … : pairs (bot i, script i) alternate which side goes first.
    const order: Array<['bot' | 'script', number]> = [];
    for (let i = 0; i < k; i++) {
      const pair: Array<['bot' | 'script', number]> = [['bot', i + 1], ['script', k + i + 1]];
      order.push(...(i % 2 ? pair.reverse() : pair));
    }
    const sshd = new Set(Object.values(JSON.parse(fs.readFileSync(path.join(lab.dir, 'lab.json'), 'utf8')).sshd as Record<string, number>));
    for (const [side, n] of order) {
      const c0 = selfCpu();
      const p0 = treeCpu(sshd).tree;
      const r = await (side === 'bot' ? bot(n) : sh(n));
      const mgrCpu = selfCpu() - c0;
      const piCpu = treeCpu(sshd).tree - p0;
      if (r.code !== 0) throw new Error(`${side} add-node ${n} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
      await verify(lab, n);
      runs.push({ node: n, side, ms: r.durationMs, mgrCpu, piCpu, output: r.stdout });
      process.stderr.write(`  ${side.padEnd(6)} node ${n}: ${r.durationMs} ms\n`);
    }
  } finally {
    process.removeListener('SIGINT', stop);
    await lab.destroy();
  }
  const b = runs.filter((r) => r.side === 'bot');
  const s = runs.filter((r) => r.side === 'script');
  const mb = median(b.map((r) => r.ms));
  const msc = median(s.map((r) => r.ms));
  process.stdout.write(`${nodes.length} fresh workers; bot = node dist/src/cli.js add-node N, script = sh bench/add-node.sh N (both through nsenter into the manager)\n`);
  process.stdout.write(table(['run', 'side', 'node', 'time', 'mgr CPU', 'Pi CPU'], runs.map((r, i) => [String(i + 1), r.side, String(r.node), ms(r.ms), ms(r.mgrCpu), ms(r.piCpu)])) + '\n\n');
  const summary = (side: string, xs: Run[]) => [side, ms(median(xs.map((r) => r.ms))), ms(Math.min(...xs.map((r) => r.ms))), ms(Math.max(...xs.map((r) => r.ms))), ms(median(xs.map((r) => r.mgrCpu))), ms(median(xs.map((r) => r.piCpu)))];
  process.stdout.write(table(['side', 'median', 'min', 'max', 'mgr CPU', 'Pi CPU'], [summary('bot', b), summary('script', s)]) + '\n');
  const rr = mb / msc;
  const cpu = (xs: Run[]) => median(xs.map((r) => r.mgrCpu + r.piCpu));
  process.stdout.write(`\nbot / script = ${ratio(mb, msc)} wall (target ≤ ${TARGET}×: ${rr <= TARGET ? 'met' : 'MISSED'}); ${ratio(cpu(b), cpu(s))} CPU (manager + Pi)\n`);
  if (verbose) process.stdout.write(`\nbot output for node ${b[b.length - 1].node}:\n${b[b.length - 1].output}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench/add-node: ${e?.stack ?? e}\n`);
  process.exit(1);
});
