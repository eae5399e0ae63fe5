/** Small helpers shared by the benchmarks: medians, spawn-and-time, plain-text tables. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function ms(x: number): string {
  if (!Number.isFinite(x)) return '-';
  return x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`;
}

export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '-';
}

/** Left-aligned first column, right-aligned others. */
export function table(columns: string[], rows: string[][]): string {
  const w = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(columns), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

export interface Timed {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Spawn argv (no shell), collect output, and time it from spawn to exit with all output read. */
export function timedSpawn(argv: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Timed> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const child = spawn(argv[0], argv.slice(1), { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => err.push(Buffer.from(String(e))));
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms: performance.now() - t0 });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export function sleep(msec: number): Promise<void> {
  return new Promise((r) => setTimeout(r, msec));
}

/** Parse `--name value` / `--flag` style options. */
export function argOf(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

export function machineLine(): string {
  const os = require('node:os') as typeof import('node:os');
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  return `${new Date().toISOString()} · ${os.cpus().length} CPU (${os.cpus()[0]?.model ?? '?'}) · kernel ${os.release()} · node ${process.version} · loadavg ${load}`;
}

// ---------------------------------------------------------------- CPU time from /proc

const TICK_MS = 10; // USER_HZ is 100 on Linux

export interface ProcStat {
  ppid: number;
  self: number;
  children: number;
}

export function readStat(pid: string): ProcStat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), self: (Number(f[11]) + Number(f[12])) * TICK_MS, children: (Number(f[13]) + Number(f[14])) * TICK_MS };
  } catch {
    return undefined;
  }
}

/** CPU used so far by this process and the children it has reaped. */
export function selfCpu(): number {
  const s = readStat('self')!;
  return s.self + s.children;
}

/** CPU of the process trees under `roots` (exited descendants are in their parents' children time), and of processes whose argv mentions `marker`. */
export function treeCpu(roots: Set<number>, marker?: string): { tree: number; marked: number } {
  const stats = new Map<number, ProcStat>();
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const s = readStat(p);
    if (s) stats.set(Number(p), s);
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      if (roots.has(p)) return true;
      p = stats.get(p)?.ppid ?? 0;
    }
    return false;
  };
  let tree = 0;
  let marked = 0;
  for (const [pid, s] of stats) {
    if (inTree(pid)) tree += s.self + s.children;
    else if (marker) {
      try {
        if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) marked += s.self;
      } catch {
        /* gone */
      }
    }
  }
  return { tree, marked };
}
