import { spawn } from 'node:child_process';
import { ExecResult } from './result';

export interface LocalOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs argv directly (no shell), so nothing a user typed is ever interpreted by one. */
export function runLocal(argv: string[], opts: LocalOptions = {}): Promise<ExecResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let error: string | undefined;
    let settled = false;
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? { ...process.env, LC_ALL: 'C' },
    });
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          error = `timed out after ${opts.timeoutMs} ms`;
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    const finish = (code: number | null, signal: string | null) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve({ argv, code, signal, stdout, stderr, durationMs: performance.now() - started, error });
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code === 'ENOENT' ? `${argv[0]} is not installed` : e.message;
      finish(null, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

const whichCache = new Map<string, boolean>();

/** Whether a tool is on PATH, without a shell. */
export function haveTool(name: string): boolean {
  const hit = whichCache.get(name);
  if (hit !== undefined) return hit;
  const fs = require('node:fs') as typeof import('node:fs');
  const dirs = (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':');
  const found = dirs.some((d) => {
    try {
      fs.accessSync(`${d}/${name}`, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  whichCache.set(name, found);
  return found;
}
