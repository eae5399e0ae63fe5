/**
 * "The lab": an emulated picluster in Linux namespaces, for tests, benchmarks and hardware-less demos.
 *
 *   internet ns ──veth── manager ns ──veth── worker ns (×K)
 *   isp0 198.51.100.1    eth0 198.51.100.2    enx<hostMac> … usb0 (devMac)
 *   lo 203.0.113.1       (+ private /etc)     real sshd, private /etc, fake clock
 *
 * Every resource carries the lab id: network namespaces are named pclab-<id>-{m,inet,wN}, all state
 * (overlay upper dirs, ns files, keys, logs, lab.json) lives in <LAB_ROOT>/<id>. Teardown finds things
 * by those markers and by namespace inode, so it also works for leftovers of a crashed run.
 * See test/lab/README.md.
 */
import { ChildProcess, spawn, spawnSync, StdioOptions } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClusterSettings, maxNode, nodeAddressing, NodeAddressing, validateClusterSettings } from '../../src/cluster/model';
import {
  ExecResult,
  isAlive,
  killNamespaces,
  must,
  nsIdentity,
  plumbingEnv,
  pool,
  run,
  RunOptions,
  sleep,
  startTime,
  SYSTEM_PATH,
} from './proc';
import { dateShim, DROP_CAPS, SETUP_SH, sshdConfig } from './scripts';

export type { ExecResult } from './proc';

/** Where every lab keeps its state; shared by all checkouts on the machine so `down --all` sees them all. */
export const LAB_ROOT = process.env.PICLUSTER_LAB_ROOT || '/var/tmp/picluster-lab';
export const NETNS_PREFIX = 'pclab-';
const NETNS_DIR = '/run/netns';
const ID_RE = /^[a-z0-9]{1,12}$/;
const NETNS_RE = /^pclab-([a-z0-9]{1,12})-(m|inet|w\d{1,3})$/;
/** dist/test/lab → repository root. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export const DEFAULT_SETTINGS: ClusterSettings = { macPrefix: '00:22:82:ff', subnetPrefix: '10.0', subnetOffset: 10, uplink: 'eth0' };

/** The fake internet: documentation ranges only (RFC 5737), never the machine's 192.0.2.0/24. */
const UPLINK_MANAGER = '198.51.100.2';
const UPLINK_GATEWAY = '198.51.100.1';
const INTERNET_ADDR = '203.0.113.1';
const FORBIDDEN_SUBNETS = ['192.0.2.', '198.51.100.', '203.0.113.'];

export interface LabOptions {
  nodes: number[];
  /** Workers with only IPv6 link-local on usb0 (default: the first node). The rest have workerIp/24. */
  fresh?: number[];
  /** Initial fake clock offset per worker, seconds (negative = behind). */
  skewSeconds?: Record<number, number>;
  settings?: Partial<ClusterSettings>;
  /** Short [a-z0-9] id; default random. */
  id?: string;
  /** How many workers to set up at once (default 8). */
  concurrency?: number;
}

interface LabState {
  version: 1;
  id: string;
  dir: string;
  dataDir: string;
  nodes: number[];
  fresh: number[];
  settings: ClusterSettings;
  internetAddr: string;
  owner: { pid: number; start: string | null };
  createdAt: string;
  ready: boolean;
  createMs?: number;
  sshd: Record<string, number>;
  forwarders: { pid: number; port: number; unixPath: string }[];
}

function randomId(): string {
  return crypto.randomBytes(4).toString('hex').slice(0, 6);
}

function labDir(id: string): string {
  return path.join(LAB_ROOT, id);
}

function stateFile(id: string): string {
  return path.join(labDir(id), 'lab.json');
}

function readState(id: string): LabState | null {
  try {
    return JSON.parse(fs.readFileSync(stateFile(id), 'utf8')) as LabState;
  } catch {
    return null;
  }
}

function netnsNames(id: string): string[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(NETNS_DIR);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(`${NETNS_PREFIX}${id}-`) && NETNS_RE.test(n));
}

/** Mount points at or below `dir` in our mount namespace, deepest first (mountinfo escapes spaces as \040). */
function mountsUnder(dir: string): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const mp = unescape(f[4]);
    if (mp === dir || mp.startsWith(dir + '/')) out.push(mp);
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Namespace identities a lab owns: its network namespaces and its persistent mount/UTS ns files. */
export function labNamespaces(id: string): Set<string> {
  const idents = new Set<string>();
  for (const n of netnsNames(id)) {
    const i = nsIdentity('net', path.join(NETNS_DIR, n));
    if (i) idents.add(i);
  }
  const nsDir = path.join(labDir(id), 'ns');
  const mounted = new Set(mountsUnder(nsDir));
  let files: string[] = [];
  try {
    files = fs.readdirSync(nsDir);
  } catch {
    /* none */
  }
  for (const f of files) {
    const full = path.join(nsDir, f);
    if (!mounted.has(full)) continue; // an unmounted placeholder would stat as a tmpfs file
    const kind = f.endsWith('.mnt') ? 'mnt' : f.endsWith('.uts') ? 'uts' : null;
    if (!kind) continue;
    const i = nsIdentity(kind, full);
    if (i) idents.add(i);
  }
  return idents;
}

/**
 * Remove everything lab `id` created: processes in its namespaces, its mounts, its network
 * namespaces (which takes the veths with them), its state dir. Safe to run repeatedly.
 */
async function teardown(id: string): Promise<void> {
  if (!ID_RE.test(id)) throw new Error(`lab: bad id "${id}"`);
  const dir = labDir(id);
  await killNamespaces(labNamespaces(id));
  const mounts = mountsUnder(dir);
  if (mounts.length) {
    const r = await run('umount', mounts);
    if (r.code !== 0) {
      for (const mp of mountsUnder(dir)) await run('umount', ['-l', mp]);
    }
  }
  const names = netnsNames(id);
  if (names.length) {
    await run('ip', ['-force', '-batch', '-'], { input: names.map((n) => `netns delete ${n}\n`).join('') });
    for (const n of netnsNames(id)) await run('ip', ['netns', 'delete', n]);
  }
  const leftMounts = mountsUnder(dir);
  if (leftMounts.length) throw new Error(`lab ${id}: could not unmount ${leftMounts.join(', ')}`);
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    fs.rmdirSync(LAB_ROOT); // only succeeds when no other lab exists
  } catch {
    /* not empty or gone */
  }
  const leftNs = netnsNames(id);
  if (leftNs.length) throw new Error(`lab ${id}: could not delete netns ${leftNs.join(', ')}`);
}

function ownerAlive(st: LabState): boolean {
  return isAlive(st.owner.pid) && startTime(st.owner.pid) === st.owner.start;
}

/**
 * Remove labs left behind by crashed runs (and labs whose creating process has exited, such as the
 * `npm run lab -- up` demo). Labs whose creating process is still running are kept unless `force`.
 * Only things carrying the lab markers are touched. Returns the ids removed.
 */
export async function cleanupAllLabs(opts: { force?: boolean; ids?: string[] } = {}): Promise<string[]> {
  const ids = new Set<string>();
  try {
    for (const d of fs.readdirSync(LAB_ROOT)) if (ID_RE.test(d)) ids.add(d);
  } catch {
    /* no root */
  }
  try {
    for (const n of fs.readdirSync(NETNS_DIR)) {
      const m = NETNS_RE.exec(n);
      if (m) ids.add(m[1]);
    }
  } catch {
    /* no netns dir */
  }
  const removed: string[] = [];
  for (const id of [...ids].sort()) {
    if (opts.ids && !opts.ids.includes(id)) continue;
    if (!opts.force) {
      const st = readState(id);
      if (st && ownerAlive(st)) continue;
      if (!st) {
        // A lab whose creator has not written lab.json yet: give it a moment.
        try {
          if (Date.now() - fs.statSync(labDir(id)).mtimeMs < 30_000) continue;
        } catch {
          /* no dir: netns-only leftovers */
        }
      }
    }
    await teardown(id);
    removed.push(id);
  }
  return removed;
}

export class Lab {
  readonly id: string;
  readonly dir: string;
  readonly dataDir: string;
  readonly nodes: number[];
  readonly fresh: number[];
  readonly internetAddr: string;
  readonly settings: ClusterSettings;
  private state: LabState;
  private destroyed = false;

  private constructor(state: LabState) {
    this.state = state;
    this.id = state.id;
    this.dir = state.dir;
    this.dataDir = state.dataDir;
    this.nodes = state.nodes;
    this.fresh = state.fresh;
    this.internetAddr = state.internetAddr;
    this.settings = state.settings;
  }

  // ---------------------------------------------------------------- creation

  static async create(opts: LabOptions): Promise<Lab> {
    const id = opts.id ?? randomId();
    if (!ID_RE.test(id)) throw new Error(`lab: id must be 1-12 of [a-z0-9], got "${id}"`);
    const settings: ClusterSettings = { ...DEFAULT_SETTINGS, ...opts.settings };
    const problems = validateClusterSettings(settings);
    if (problems.length) throw new Error(`lab: bad settings: ${problems.join(' ')}`);
    const nodes = [...new Set(opts.nodes)].sort((a, b) => a - b);
    if (nodes.length === 0) throw new Error('lab: at least one node is required');
    for (const n of nodes) {
      if (!Number.isInteger(n) || n < 1 || n > maxNode(settings)) throw new Error(`lab: node ${n} out of range 1-${maxNode(settings)}`);
      const subnet = nodeAddressing(n, settings).subnet;
      if (FORBIDDEN_SUBNETS.some((p) => subnet.startsWith(p))) throw new Error(`lab: node ${n} would use ${subnet}, which the lab reserves`);
    }
    const fresh = [...new Set(opts.fresh ?? [nodes[0]])].sort((a, b) => a - b);
    for (const f of fresh) if (!nodes.includes(f)) throw new Error(`lab: fresh node ${f} is not in nodes`);

    const dir = labDir(id);
    if (fs.existsSync(dir) || netnsNames(id).length) {
      throw new Error(`lab "${id}" already exists (destroy it, or \`npm run lab -- down --all\` if it is a leftover)`);
    }
    fs.mkdirSync(LAB_ROOT, { recursive: true, mode: 0o755 });
    fs.mkdirSync(dir, { mode: 0o755 });
    const state: LabState = {
      version: 1,
      id,
      dir,
      dataDir: path.join(dir, 'data'),
      nodes,
      fresh,
      settings,
      internetAddr: INTERNET_ADDR,
      owner: { pid: process.pid, start: startTime(process.pid) },
      createdAt: new Date().toISOString(),
      ready: false,
      sshd: {},
      forwarders: [],
    };
    const lab = new Lab(state);
    lab.save(); // first thing: from here on, cleanup can recognise (and skip, while we live) this lab
    const t0 = Date.now();
    try {
      await lab.build(opts.skewSeconds ?? {}, opts.concurrency ?? 8);
    } catch (e) {
      await lab.destroy().catch(() => undefined);
      throw e;
    }
    lab.state.ready = true;
    lab.state.createMs = Date.now() - t0;
    lab.save();
    return lab;
  }

  /** Attach to a lab created by another process (e.g. the `npm run lab -- up` demo). */
  static attach(id: string): Lab {
    const st = readState(id);
    if (!st) throw new Error(`lab "${id}" does not exist (no ${stateFile(id)})`);
    return new Lab(st);
  }

  /** The state of lab `id` if it exists (for status displays). */
  static exists(id: string): boolean {
    return readState(id) !== null;
  }

  private save(): void {
    const tmp = stateFile(this.id) + '.tmp';
    fs.writeFileSync(tmp, JSON.stringify(this.state, null, 2) + '\n');
    fs.renameSync(tmp, stateFile(this.id));
  }

  private get nsDir(): string {
    return path.join(this.dir, 'ns');
  }
  private get binDir(): string {
    return path.join(this.dir, 'bin');
  }
  private get managerDir(): string {
    return path.join(this.dir, 'manager');
  }
  workerDir(node: number): string {
    return path.join(this.dir, `w${node}`);
  }
  private netns(role: string): string {
    return `${NETNS_PREFIX}${this.id}-${role}`;
  }
  private netnsPath(role: string): string {
    return path.join(NETNS_DIR, this.netns(role));
  }
  private nsFiles(role: string): { net: string; mnt: string; uts: string } {
    return { net: this.netnsPath(role), mnt: path.join(this.nsDir, `${role}.mnt`), uts: path.join(this.nsDir, `${role}.uts`) };
  }

  addressing(node: number): NodeAddressing {
    return nodeAddressing(node, this.settings);
  }

  hostIfaceKernelName(node: number): string {
    return 'enx' + this.addressing(node).hostMac.replace(/:/g, '').toLowerCase();
  }

  private async build(skew: Record<number, number>, concurrency: number): Promise<void> {
    const { id } = this;
    const t0 = Date.now();
    const phase = (what: string) => {
      if (process.env.PICLUSTER_LAB_DEBUG) process.stderr.write(`lab ${id}: ${what} +${Date.now() - t0}ms\n`);
    };
    for (const d of [this.binDir, this.nsDir, this.managerDir]) fs.mkdirSync(d, { recursive: true });
    fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    // Persistent mount/UTS namespaces are bind-mounted onto files; that needs a private parent mount.
    await must('mount', ['-t', 'tmpfs', '-o', 'mode=0700,size=1m', `pclab-${id}`, this.nsDir]);
    await must('mount', ['--make-private', this.nsDir]);
    fs.copyFileSync('/usr/bin/date', path.join(this.binDir, 'date.real'));
    fs.chmodSync(path.join(this.binDir, 'date.real'), 0o755);
    fs.writeFileSync(path.join(this.binDir, 'setup.sh'), SETUP_SH, { mode: 0o755 });

    // The bot's key (the bot reuses an existing key, so the lab's key becomes the bot's key).
    const key = path.join(this.dataDir, 'id_ed25519');
    await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `picluster-bot@lab-${id}`, '-f', key]);
    fs.chmodSync(key, 0o600);
    const pub = fs.readFileSync(key + '.pub', 'utf8');

    phase('keys');
    const roles = ['m', 'inet', ...this.nodes.map((n) => `w${n}`)];
    await must('ip', ['-batch', '-'], { input: roles.map((r) => `netns add ${this.netns(r)}\n`).join('') });
    for (const r of ['m', ...this.nodes.map((n) => `w${n}`)]) {
      const f = this.nsFiles(r);
      fs.writeFileSync(f.mnt, '');
      fs.writeFileSync(f.uts, '');
    }

    phase('netns');
    // Manager: private /etc etc. DAD off by default there before any veth arrives.
    this.makeOverlayDirs(this.managerDir);
    const m = this.nsFiles('m');
    await must('nsenter', [`--net=${m.net}`, 'unshare', `--mount=${m.mnt}`, `--uts=${m.uts}`, '--propagation', 'private', '--',
      '/bin/sh', path.join(this.binDir, 'setup.sh'), 'manager', id, this.managerDir, 'manager']);

    phase('manager');
    // All links, created directly inside their namespaces (nothing ever appears in the root namespace).
    const uplink = this.settings.uplink;
    const links = [`link add name ${uplink} netns ${this.netns('m')} type veth peer name isp0 netns ${this.netns('inet')}`];
    for (const n of this.nodes) {
      const a = this.addressing(n);
      links.push(`link add name ${this.hostIfaceKernelName(n)} address ${a.hostMac} netns ${this.netns('m')} type veth peer name usb0 address ${a.devMac} netns ${this.netns(`w${n}`)}`);
    }
    await must('ip', ['-batch', '-'], { input: links.join('\n') + '\n' });
    await must('ip', ['-n', this.netns('inet'), '-batch', '-'], {
      input: ['link set lo up', `address add ${INTERNET_ADDR}/32 dev lo`, 'link set isp0 up', `address add ${UPLINK_GATEWAY}/24 dev isp0`].join('\n') + '\n',
    });
    await must('ip', ['-n', this.netns('m'), '-batch', '-'], {
      input: [
        `link set ${uplink} up`,
        `address add ${UPLINK_MANAGER}/24 dev ${uplink}`,
        `route add default via ${UPLINK_GATEWAY} dev ${uplink}`,
        ...this.nodes.map((n) => `link set ${this.hostIfaceKernelName(n)} up`),
      ].join('\n') + '\n',
    });

    phase('links');
    for (const n of this.nodes) this.writeWorkerFiles(n, pub, skew[n] ?? 0);
    phase('worker files');
    await pool(this.nodes, concurrency, (n) => this.setupWorker(n));
    phase('workers');
    this.save();
  }

  private makeOverlayDirs(nodeDir: string): void {
    for (const o of ['etc', 'root', 'varlog']) {
      fs.mkdirSync(path.join(nodeDir, 'ov', o, 'upper'), { recursive: true });
      fs.mkdirSync(path.join(nodeDir, 'ov', o, 'work'), { recursive: true });
    }
  }

  private writeWorkerFiles(n: number, pub: string, skew: number): void {
    const w = this.workerDir(n);
    fs.mkdirSync(w, { recursive: true });
    this.makeOverlayDirs(w);
    const home = path.join(w, 'home');
    fs.mkdirSync(home, { mode: 0o700 });
    for (const f of ['.bashrc', '.profile', '.bash_logout']) {
      try {
        fs.copyFileSync(path.join('/etc/skel', f), path.join(home, f));
      } catch {
        /* no skel file */
      }
    }
    fs.writeFileSync(path.join(w, 'authorized_keys'), pub, { mode: 0o600 });
    fs.writeFileSync(
      path.join(w, 'sshd_config'),
      sshdConfig({ node: n, hostKey: path.join(w, 'ssh_host_ed25519_key'), pidFile: path.join(w, 'sshd.pid'), authorizedKeys: path.join(w, 'authorized_keys') }),
    );
    fs.writeFileSync(path.join(w, 'date'), dateShim(path.join(this.binDir, 'date.real'), path.join(w, 'date-offset'), path.join(w, 'date-calls')), { mode: 0o755 });
    fs.writeFileSync(path.join(w, 'date-offset'), `${Math.round(skew)}\n`);
    fs.writeFileSync(path.join(w, 'date-calls'), '');
  }

  private async newHostKey(n: number): Promise<void> {
    const key = path.join(this.workerDir(n), 'ssh_host_ed25519_key');
    fs.rmSync(key, { force: true });
    fs.rmSync(key + '.pub', { force: true });
    await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@worker${n}`, '-f', key]);
  }

  private async setupWorker(n: number): Promise<void> {
    const a = this.addressing(n);
    const isFresh = this.fresh.includes(n);
    const w = this.workerDir(n);
    const f = this.nsFiles(`w${n}`);
    await this.newHostKey(n);
    const argv = [`--net=${f.net}`, 'unshare', `--mount=${f.mnt}`, `--uts=${f.uts}`, '--propagation', 'private', '--',
      '/bin/sh', path.join(this.binDir, 'setup.sh'), 'worker', this.id, w, isFresh ? 'alarm' : a.hostname,
      isFresh ? '' : `${a.workerIp}/${a.prefixLen}`, path.join(w, 'sshd_config')];
    await this.launchSshd(n, 'nsenter', argv);
  }

  /** Spawn a long-lived sshd (detached, logging to wN/sshd.log) and wait until its pid file says it listens. */
  private async launchSshd(n: number, cmd: string, args: string[]): Promise<void> {
    const w = this.workerDir(n);
    const pidFile = path.join(w, 'sshd.pid');
    fs.rmSync(pidFile, { force: true });
    const log = fs.openSync(path.join(w, 'sshd.log'), 'a');
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { env: plumbingEnv(), stdio: ['ignore', log, log], detached: true });
    } finally {
      fs.closeSync(log);
    }
    let exited: string | null = null;
    child.on('exit', (code, sig) => (exited = `exit ${code ?? sig}`));
    child.on('error', (e) => (exited = String(e)));
    child.unref();
    const pid = child.pid ?? -1;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) {
        const tail = fs.readFileSync(path.join(w, 'sshd.log'), 'utf8').split('\n').slice(-15).join('\n');
        throw new Error(`lab: worker ${n} sshd/setup failed (${exited}):\n${tail}`);
      }
      try {
        if (Number(fs.readFileSync(pidFile, 'utf8').trim()) === pid) break;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) throw new Error(`lab: worker ${n} sshd did not start within 30s`);
      await sleep(10);
    }
    this.state.sshd[String(n)] = pid;
  }

  // ---------------------------------------------------------------- running things

  /** Environment for the bot inside the manager: its configuration comes from here. */
  managerEnv(): Record<string, string> {
    const nodeDir = path.dirname(process.execPath);
    const env: Record<string, string> = {
      PATH: SYSTEM_PATH.split(':').includes(nodeDir) ? SYSTEM_PATH : `${SYSTEM_PATH}:${nodeDir}`,
      HOME: '/root',
      USER: 'root',
      LOGNAME: 'root',
      LANG: 'C.UTF-8',
      DATA_DIR: this.dataDir,
      UPLINK_IFACE: this.settings.uplink,
      MAC_PREFIX: this.settings.macPrefix,
      SUBNET_PREFIX: this.settings.subnetPrefix,
      SUBNET_OFFSET: String(this.settings.subnetOffset),
      PICLUSTER_LAB: this.id,
    };
    if (process.env.TERM) env.TERM = process.env.TERM;
    return env;
  }

  private enterArgv(role: string, cwd: string, argv: string[]): string[] {
    const f = this.nsFiles(role);
    return ['nsenter', `--net=${f.net}`, `--mount=${f.mnt}`, `--uts=${f.uts}`, `--wdns=${cwd}`, '--', 'setpriv', '--bounding-set', DROP_CAPS, '--', ...argv];
  }

  /** argv prefix + argv that runs `argv` inside the manager (net + mount + UTS namespaces), in `cwd` (default: the repo). */
  managerArgv(argv: string[], cwd: string = REPO_ROOT): string[] {
    return this.enterArgv('m', cwd, argv);
  }

  /** Same for a worker (cwd /root, like an ssh login). */
  workerArgv(node: number, argv: string[], cwd = '/root'): string[] {
    this.checkNode(node);
    return this.enterArgv(`w${node}`, cwd, argv);
  }

  private checkNode(node: number): void {
    if (!this.nodes.includes(node)) throw new Error(`lab ${this.id}: no worker ${node} (nodes: ${this.nodes.join(', ')})`);
  }

  managerExec(argv: string[], opts: RunOptions & { cwd?: string } = {}): Promise<ExecResult> {
    const [cmd, ...args] = this.managerArgv(argv, opts.cwd);
    return run(cmd, args, { ...opts, env: { ...this.managerEnv(), ...opts.env } });
  }

  spawnInManager(argv: string[], opts: { env?: Record<string, string>; cwd?: string; stdio?: StdioOptions } = {}): ChildProcess {
    const [cmd, ...args] = this.managerArgv(argv, opts.cwd);
    return spawn(cmd, args, { env: { ...this.managerEnv(), ...opts.env }, stdio: opts.stdio ?? 'pipe' });
  }

  /** `node <repo>/dist/src/cli.js ...args` inside the manager with managerEnv(). */
  runCli(args: string[], opts: RunOptions = {}): Promise<ExecResult> {
    return this.managerExec([process.execPath, path.join(REPO_ROOT, 'dist', 'src', 'cli.js'), ...args], opts);
  }

  workerEnv(): Record<string, string> {
    return { PATH: SYSTEM_PATH, HOME: '/root', USER: 'root', LOGNAME: 'root', LANG: 'C.UTF-8', SHELL: '/bin/bash' };
  }

  workerExec(node: number, argv: string[], opts: RunOptions = {}): Promise<ExecResult> {
    const [cmd, ...args] = this.workerArgv(node, argv);
    return run(cmd, args, { ...opts, env: { ...this.workerEnv(), ...opts.env } });
  }

  private readAs(role: string, file: string): string | null {
    const [cmd, ...args] = this.enterArgv(role, '/', ['/bin/sh', '-c', '[ -e "$1" ] || exit 3; exec cat -- "$1"', 'lab-read', file]);
    const r = spawnSync(cmd, args, { env: plumbingEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status === 3) return null;
    if (r.status !== 0) throw new Error(`lab: cannot read ${file} in ${role}: ${r.stderr || r.error}`);
    return r.stdout;
  }

  /** A file as the manager sees it (its private /etc included), null if absent. */
  managerFile(file: string): string | null {
    return this.readAs('m', file);
  }

  workerFile(node: number, file: string): string | null {
    this.checkNode(node);
    return this.readAs(`w${node}`, file);
  }

  // ---------------------------------------------------------------- sshd and clocks

  private sshdPid(node: number): number | null {
    try {
      const pid = Number(fs.readFileSync(path.join(this.workerDir(node), 'sshd.pid'), 'utf8').trim());
      return pid > 0 && isAlive(pid) && this.isInWorker(node, pid) ? pid : null;
    } catch {
      return null;
    }
  }

  private isInWorker(node: number, pid: number): boolean {
    try {
      return fs.readlinkSync(`/proc/${pid}/ns/net`) === nsIdentity('net', this.netnsPath(`w${node}`));
    } catch {
      return false;
    }
  }

  sshdRunning(node: number): boolean {
    this.checkNode(node);
    return this.sshdPid(node) !== null;
  }

  /**
   * Ends the worker's sshd and every process in that worker's network namespace (its sessions and
   * anything they left running) — like the Pi's OS going away while its USB link stays.
   */
  async stopSshd(node: number): Promise<void> {
    this.checkNode(node);
    const id = nsIdentity('net', this.netnsPath(`w${node}`));
    if (id) await killNamespaces(new Set([id]));
    fs.rmSync(path.join(this.workerDir(node), 'sshd.pid'), { force: true });
    delete this.state.sshd[String(node)];
    this.save();
  }

  async startSshd(node: number): Promise<void> {
    this.checkNode(node);
    if (this.sshdPid(node)) return;
    const [cmd, ...args] = this.workerArgv(node, ['/usr/sbin/sshd', '-D', '-e', '-f', path.join(this.workerDir(node), 'sshd_config')], '/');
    await this.launchSshd(node, cmd, args);
    this.save();
  }

  /** New host key; a running sshd is restarted in place (SIGHUP re-exec), open sessions survive. */
  async regenerateHostKey(node: number): Promise<void> {
    this.checkNode(node);
    await this.newHostKey(node);
    const pid = this.sshdPid(node);
    if (!pid) return;
    const pidFile = path.join(this.workerDir(node), 'sshd.pid');
    fs.rmSync(pidFile, { force: true });
    process.kill(pid, 'SIGHUP');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (fs.existsSync(pidFile)) return;
      await sleep(10);
    }
    throw new Error(`lab: worker ${node} sshd did not come back after SIGHUP`);
  }

  hostKeyFingerprint(node: number): string {
    this.checkNode(node);
    const r = spawnSync('ssh-keygen', ['-l', '-f', path.join(this.workerDir(node), 'ssh_host_ed25519_key.pub')], { encoding: 'utf8' });
    return r.stdout.trim().split(/\s+/)[1] ?? '';
  }

  /** Every value passed to `date -s` / `--set` on that worker, in order. */
  dateCalls(node: number): string[] {
    this.checkNode(node);
    const text = fs.readFileSync(path.join(this.workerDir(node), 'date-calls'), 'utf8');
    return text.split('\n').filter((l) => l !== '');
  }

  setSkew(node: number, seconds: number): void {
    this.checkNode(node);
    const f = path.join(this.workerDir(node), 'date-offset');
    fs.writeFileSync(f + '.tmp', `${Math.round(seconds)}\n`);
    fs.renameSync(f + '.tmp', f);
  }

  skew(node: number): number {
    this.checkNode(node);
    const n = Number(fs.readFileSync(path.join(this.workerDir(node), 'date-offset'), 'utf8').trim());
    return Number.isFinite(n) ? n : 0;
  }

  // ---------------------------------------------------------------- plumbing for the bot

  /**
   * Listen on 127.0.0.1:port inside the manager's network namespace and forward each connection to
   * `unixPath` (a filesystem Unix socket in the root mount namespace, e.g. a Discord emulator run by jest).
   */
  async exposeUnixSocket(unixPath: string, port: number): Promise<void> {
    const script = path.join(__dirname, 'forwarder.js');
    const m = this.nsFiles('m');
    const log = fs.openSync(path.join(this.managerDir, `forwarder-${port}.log`), 'a');
    let child: ChildProcess;
    try {
      child = spawn('nsenter', [`--net=${m.net}`, '--', 'setpriv', '--bounding-set', DROP_CAPS, '--', process.execPath, script, path.resolve(unixPath), String(port)], {
        env: plumbingEnv(),
        stdio: ['ignore', 'pipe', log],
        detached: true,
      });
    } finally {
      fs.closeSync(log);
    }
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`lab: forwarder on port ${port} did not start`)), 10_000);
      child.stdout!.on('data', (b: Buffer) => {
        buf += b.toString();
        if (buf.includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        const tail = fs.readFileSync(path.join(this.managerDir, `forwarder-${port}.log`), 'utf8').trim().split('\n').slice(-5).join('\n');
        reject(new Error(`lab: forwarder on port ${port} exited (${code}): ${tail}`));
      });
    });
    child.stdout!.destroy();
    child.removeAllListeners('exit');
    child.unref();
    this.state.forwarders.push({ pid: child.pid!, port, unixPath: path.resolve(unixPath) });
    this.save();
  }

  // ---------------------------------------------------------------- status and teardown

  status(): { id: string; dir: string; ready: boolean; createMs?: number; owner: number; ownerAlive: boolean; sshd: Record<number, boolean>; forwarders: { port: number; unixPath: string; alive: boolean }[] } {
    const sshd: Record<number, boolean> = {};
    for (const n of this.nodes) sshd[n] = this.sshdPid(n) !== null;
    return {
      id: this.id,
      dir: this.dir,
      ready: this.state.ready,
      createMs: this.state.createMs,
      owner: this.state.owner.pid,
      ownerAlive: ownerAlive(this.state),
      sshd,
      forwarders: this.state.forwarders.map((f) => ({ port: f.port, unixPath: f.unixPath, alive: isAlive(f.pid) })),
    };
  }

  /** Remove everything (processes, mounts, namespaces, veths, state dir). Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await teardown(this.id);
    this.destroyed = true;
  }
}
