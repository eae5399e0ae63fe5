/**
 * Process helpers for the lab: run a command and collect its output, and find / end the processes
 * that live inside the lab's namespaces (identified by namespace inode, never by name).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Minimal environment for the lab's own plumbing commands (never the caller's secrets). */
export function plumbingEnv(): Record<string, string> {
  return { PATH: SYSTEM_PATH, LANG: 'C', LC_ALL: 'C' };
}

/**
 * Run a command, capture stdout/stderr. Never rejects: a spawn error becomes code null + stderr.
 * The child gets its own process group so a timeout can end it and everything it started.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let exitGrace: NodeJS.Timeout | undefined;
    const child = spawn(cmd, args, { env: opts.env ?? plumbingEnv(), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const finish = (code: number | null, signal: string | null, extraErr = '') => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (exitGrace) clearTimeout(exitGrace);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + extraErr,
        durationMs: Date.now() - t0,
      });
    };
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => finish(null, null, String(e)));
    child.on('close', (code, signal) => finish(code, signal));
    // A command that leaves a background process holding stdout open must not hang us forever.
    child.on('exit', (code, signal) => {
      exitGrace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, signal);
      }, 1000);
    });
    if (opts.timeoutMs && opts.timeoutMs > 0) {
      timer = setTimeout(() => {
        if (child.pid) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      }, opts.timeoutMs);
    }
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Like run() but throws with the command's stderr when it fails. */
export async function must(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const what = [cmd, ...args].join(' ');
    throw new Error(`lab: \`${what.length > 300 ? what.slice(0, 300) + '…' : what}\` failed (${r.code ?? r.signal}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

/** State letter from /proc/PID/stat, or null if there is no such process. */
function procState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** Alive = exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const s = procState(pid);
  return s !== null && s !== 'Z' && s !== 'X';
}

/** Kernel start time (clock ticks since boot) of a process: with the PID it identifies a process uniquely. */
export function startTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall; fields here start at field 3
  } catch {
    return null;
  }
}

/** "net:[4026532176]"-style identity of a namespace file (a /run/netns entry or a bind-mounted ns file). */
export function nsIdentity(kind: 'net' | 'mnt' | 'uts', file: string): string | null {
  try {
    return `${kind}:[${fs.statSync(file).ino}]`;
  } catch {
    return null;
  }
}

/** PIDs (other than ours) whose net, mnt or uts namespace is one of `idents`. */
export function pidsInNamespaces(idents: Set<string>): number[] {
  if (idents.size === 0) return [];
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    for (const kind of ['net', 'mnt', 'uts']) {
      let link: string;
      try {
        link = fs.readlinkSync(`/proc/${pid}/ns/${kind}`);
      } catch {
        continue;
      }
      if (idents.has(link)) {
        if (isAlive(pid)) found.push(pid);
        break;
      }
    }
  }
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/**
 * End every process inside the given namespaces: SIGTERM, a grace period, then SIGKILL.
 * Rescans because a dying sshd or a shell may fork while we work. Returns the PIDs it signalled.
 */
export async function killNamespaces(idents: Set<string>, graceMs = 1500): Promise<number[]> {
  const signalled = new Set<number>();
  let pids = pidsInNamespaces(idents);
  if (pids.length === 0) return [];
  for (const p of pids) {
    signal(p, 'SIGTERM');
    signalled.add(p);
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(25);
    pids = pidsInNamespaces(idents);
    if (pids.length === 0) return [...signalled];
  }
  for (let round = 0; round < 40; round++) {
    pids = pidsInNamespaces(idents);
    if (pids.length === 0) return [...signalled];
    for (const p of pids) {
      signal(p, 'SIGKILL');
      signalled.add(p);
    }
    await sleep(50);
  }
  const left = pidsInNamespaces(idents);
  if (left.length) throw new Error(`lab: processes would not die: ${left.join(', ')}`);
  return [...signalled];
}

/** Run async jobs with at most `limit` in flight; rejects with the first error after all settle. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let firstError: unknown;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        if (firstError === undefined) firstError = e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (firstError !== undefined) throw firstError;
}

export { sleep };
