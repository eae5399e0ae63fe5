/**
 * The part of bench/fanout that runs as the lab's manager (launched by bench/fanout.ts through
 * lab.spawnInManager). Measures, interleaved round-robin over the repetitions:
 *
 *   warm  status          the `status --remote` command (executeCommand: links, ping, Pi counters, audit row), pool connected
 *   warm  status-noping   nodeStatuses(remote, ping off): the same without the per-node ping
 *   warm  ssh2-bare       SshPool.exec of the same remote command to every node in parallel, pool connected
 *   warm  openssh-cm      `ssh` with ControlMaster=auto/ControlPersist, masters already up, same command, all nodes in parallel
 *   cold  status-pool     a fresh Engine/SshPool in this process, then the status command (one handshake per node + the above)
 *   cold  ssh2-bare       a fresh SshPool, then the parallel exec
 *   cold  cli             `node dist/src/cli.js status --remote --json`: a fresh process, as a user runs it
 *   cold  openssh-cm      the same ssh command with a new ControlPath dir: every client has to become a master
 *
 * Besides wall time, each case records CPU time (from /proc, clock ticks): the manager side (this
 * process and every child it reaped: ssh clients, ping, ip, the CLI; plus the ControlMaster
 * processes, which detach) and the Pi side (every worker sshd and its sessions). In the lab both
 * share the same cores; on hardware the Pi side is spread over the Pis.
 *
 * Prints one JSON line on stdout: { nodes, reps, samples: { name: {ms, botCpu, piCpu}[] } }.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { command as statusCommand } from '../commands/status';
import { loadEnvConfig } from '../src/bootstrap';
import { executeCommand } from '../src/commands/run';
import { Actor } from '../src/commands/types';
import { nodeStatuses, REMOTE_COUNTERS_ARGV } from '../src/diagnostics';
import { Engine } from '../src/engine';
import { ok } from '../src/exec/result';
import { shJoin } from '../src/exec/quote';
import { upsertNode } from '../src/state/inventory';
import { argOf, selfCpu, sleep, timedSpawn, treeCpu } from './stats';

const REPO = path.resolve(__dirname, '..', '..');
const actor: Actor = { id: 'bench', name: 'bench', transport: 'cli' };

export interface Sample {
  ms: number;
  botCpu: number;
  piCpu: number;
}

function log(s: string): void {
  process.stderr.write(`  ${s}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const count = Number(argOf(argv, 'nodes') ?? 16);
  const reps = Number(argOf(argv, 'reps') ?? 7);
  const labJson = argOf(argv, 'lab-json');
  const sshdRoots = new Set<number>(labJson ? Object.values(JSON.parse(fs.readFileSync(labJson, 'utf8')).sshd as Record<string, number>) : []);
  const nodes = Array.from({ length: count }, (_, i) => i + 1);
  const config = loadEnvConfig();
  const engine = Engine.open(config);
  for (const n of nodes) upsertNode(engine.db, n, 'bench', { provisionedAt: Date.now() });

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pcbench-'));
  // Ctrl-C reaches this process too; the lab teardown ends the ControlMasters, the temp dir is ours.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      fs.rmSync(tmp, { recursive: true, force: true });
      process.exit(130);
    });
  }
  const key = path.join(config.dataDir, 'id_ed25519');
  const knownHosts = path.join(tmp, 'known_hosts');
  const remoteCmd = shJoin(REMOTE_COUNTERS_ARGV);
  const sshArgv = (ip: string, controlDir: string) => [
    'ssh', '-F', '/dev/null', '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR',
    '-o', 'StrictHostKeyChecking=accept-new', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'ControlMaster=auto', '-o', 'ControlPersist=600', '-o', `ControlPath=${controlDir}/%C`,
    `${config.ssh.user}@${ip}`, remoteCmd,
  ];
  const controlDirs: string[] = [];
  const newControlDir = () => {
    const d = fs.mkdtempSync(path.join(tmp, 'cm-'));
    controlDirs.push(d);
    return d;
  };
  const checkCounters = (out: string, what: string) => {
    const nums = out.trim().split('\n').map(Number);
    if (nums.length !== 4 || nums.some((x) => !Number.isFinite(x))) throw new Error(`${what}: unexpected output ${JSON.stringify(out)}`);
  };

  /** Runs f, returning wall time and CPU split; `marker` names extra (detached) processes whose CPU counts for the manager side. */
  const measure = async (f: () => Promise<number | void>, marker?: string, markerAtEnd = false): Promise<Sample> => {
    const bot0 = selfCpu();
    const t0 = treeCpu(sshdRoots, markerAtEnd ? undefined : marker);
    const start = performance.now();
    const inner = await f();
    const ms = typeof inner === 'number' ? inner : performance.now() - start;
    const bot1 = selfCpu();
    const t1 = treeCpu(sshdRoots, marker);
    return { ms, botCpu: bot1 - bot0 + (t1.marked - t0.marked), piCpu: t1.tree - t0.tree };
  };

  const openssh = async (controlDir: string) => {
    const rs = await Promise.all(nodes.map((n) => timedSpawn(sshArgv(engine.node(n).workerIp, controlDir), { timeoutMs: 30_000 })));
    rs.forEach((r, i) => {
      if (r.code !== 0) throw new Error(`openssh node ${nodes[i]}: exit ${r.code}: ${r.stderr.trim()}`);
      checkCounters(r.stdout, `openssh node ${nodes[i]}`);
    });
  };
  const closeMasters = async (controlDir: string) => {
    await Promise.all(
      nodes.map((n) => {
        const a = sshArgv(engine.node(n).workerIp, controlDir);
        return timedSpawn([...a.slice(0, -2), '-O', 'exit', a[a.length - 2]], { timeoutMs: 10_000 });
      }),
    );
  };
  const bare = async (e: Engine) => {
    const rs = await Promise.all(nodes.map((n) => e.pool.exec(e.node(n), REMOTE_COUNTERS_ARGV, { timeoutMs: 10_000 })));
    rs.forEach((r, i) => {
      if (!ok(r)) throw new Error(`ssh2 node ${nodes[i]}: ${r.error ?? r.stderr}`);
      checkCounters(r.stdout, `ssh2 node ${nodes[i]}`);
    });
  };
  const status = async (e: Engine) => {
    const r = await executeCommand(e, statusCommand, { remote: true }, actor);
    const st = r.data as Awaited<ReturnType<typeof nodeStatuses>>;
    if (!r.ok || st.length !== count || st.some((s) => !s.remote || 'error' in s.remote || !s.ping?.received)) throw new Error(`status: ${r.summary} ${JSON.stringify(st.find((s) => !s.remote || 'error' in s.remote))}`);
  };
  const statusNoPing = async (e: Engine) => {
    const st = await nodeStatuses(e, nodes, { remote: true, ping: false });
    if (st.some((s) => !s.remote || 'error' in s.remote)) throw new Error('status-noping: a node failed');
  };
  /** A fresh pool on the same database (pinned host keys stay pinned, as after a bot restart); timed up to the result. */
  const cold = async (f: (e: Engine) => Promise<void>) => {
    const e = new Engine(config, engine.db);
    const t0 = performance.now();
    try {
      await f(e);
      return performance.now() - t0;
    } finally {
      await e.pool.closeAll();
      await sleep(150); // the workers' sshd processes for those connections exit (their CPU is counted)
    }
  };
  const cli = async () => {
    const r = await timedSpawn([process.execPath, path.join(REPO, 'dist', 'src', 'cli.js'), 'status', '--remote', '--json'], { timeoutMs: 60_000 });
    let j: any = {};
    try {
      j = JSON.parse(r.stdout);
    } catch {
      /* reported below */
    }
    if (r.code !== 0 || !j.ok) throw new Error(`cli status: exit ${r.code}: ${j.summary ?? r.stderr}`);
    await sleep(150);
    return r.ms;
  };

  const warmDir = newControlDir();
  const cases: Array<[string, () => Promise<Sample>]> = [
    ['warm status', () => measure(() => status(engine))],
    ['warm status-noping', () => measure(() => statusNoPing(engine))],
    ['warm ssh2-bare', () => measure(() => bare(engine))],
    ['warm openssh-cm', () => measure(() => openssh(warmDir), `ControlPath=${warmDir}/`)],
    ['cold status-pool', () => measure(() => cold(status))],
    ['cold ssh2-bare', () => measure(() => cold(bare))],
    ['cold cli', () => measure(cli)],
    [
      'cold openssh-cm',
      async () => {
        const d = newControlDir();
        const s = await measure(() => openssh(d), `ControlPath=${d}/`, true);
        await closeMasters(d);
        await sleep(150);
        return s;
      },
    ],
  ];
  const samples: Record<string, Sample[]> = Object.fromEntries(cases.map(([k]) => [k, []]));
  try {
    // Setup, untimed: pin host keys in both clients, connect the pool, bring the OpenSSH masters up.
    log(`warming up ${count} nodes (pin host keys, connect pool, start ControlMasters)`);
    await bare(engine);
    await openssh(warmDir);
    await status(engine);
    for (let rep = 0; rep < reps; rep++) {
      // Rotate the order each repetition so no case always runs right after the same other one.
      for (let i = 0; i < cases.length; i++) {
        const [name, f] = cases[(i + rep) % cases.length];
        samples[name].push(await f());
        await sleep(50);
      }
      log(`rep ${rep + 1}/${reps}: ${cases.map(([k]) => `${k} ${samples[k][rep].ms.toFixed(0)}`).join(', ')} · loadavg ${os.loadavg()[0].toFixed(2)}`);
    }
  } finally {
    for (const d of controlDirs) await closeMasters(d).catch(() => undefined);
    await engine.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify({ nodes: count, reps, samples }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`fanout-inner: ${e?.stack ?? e}\n`);
  process.exit(1);
});
