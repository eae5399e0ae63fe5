/** Starts test/monitor-harness.js inside a lab's manager namespace and collects its JSON-line events. */
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { AlertMessage } from '../src/monitor/alert';
import type { Lab } from './lab/lab';

export interface HarnessEvent {
  event: string;
  t: number;
  alert?: AlertMessage;
  loss?: Record<string, number>;
  [k: string]: unknown;
}

export class Harness {
  readonly events: HarnessEvent[] = [];
  stderr = '';
  exited: number | null | undefined = undefined;
  private constructor(readonly proc: ChildProcess) {}

  static async start(lab: Lab, env: Record<string, string> = {}): Promise<Harness> {
    const script = path.join(__dirname, 'monitor-harness.js');
    // PICLUSTER_ENV: never pick up a developer's .env from the repository.
    const proc = lab.spawnInManager([process.execPath, script], { env: { PICLUSTER_ENV: '/nonexistent', ...env } });
    const h = new Harness(proc);
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          h.events.push(JSON.parse(line));
        } catch {
          h.stderr += `unparsable stdout: ${line}\n`;
        }
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (h.stderr = (h.stderr + d.toString()).slice(-20_000)));
    proc.on('exit', (code) => (h.exited = code));
    await h.waitFor((e) => e.event === 'ready' || e.event === 'start-failed', 20_000, 'the monitor to start');
    const bad = h.events.find((e) => e.event === 'start-failed');
    if (bad) throw new Error(`harness did not start: ${JSON.stringify(bad)}\n${h.stderr}`);
    return h;
  }

  get pid(): number {
    return this.proc.pid!;
  }

  delivered(since = 0): AlertMessage[] {
    return this.events.filter((e) => e.event === 'delivered' && e.t >= since).map((e) => e.alert!);
  }

  checks(since = 0): HarnessEvent[] {
    return this.events.filter((e) => e.event === 'check' && e.t >= since);
  }

  async waitFor(pred: (e: HarnessEvent) => boolean, timeoutMs: number, what: string): Promise<HarnessEvent> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      if (this.exited !== undefined) throw new Error(`harness exited (${this.exited}) while waiting for ${what}\n${this.stderr.slice(-3000)}`);
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.stderr.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until `n` more check runs have been reported after now. */
  async waitChecks(n: number, timeoutMs = n * 4000 + 5000): Promise<void> {
    const start = this.checks().length;
    const end = Date.now() + timeoutMs;
    while (this.checks().length < start + n) {
      if (this.exited !== undefined) throw new Error(`harness exited (${this.exited})\n${this.stderr.slice(-3000)}`);
      if (Date.now() > end) throw new Error(`only ${this.checks().length - start} of ${n} checks within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Graceful stop (SIGTERM to our own child, by PID); resolves when it has exited. */
  async stop(): Promise<void> {
    if (this.exited !== undefined) return;
    const done = new Promise<void>((r) => this.proc.once('exit', () => r()));
    process.kill(this.pid, 'SIGTERM');
    await done;
  }

  /** A crash: SIGKILL, nothing gets to clean up. */
  async kill(): Promise<void> {
    if (this.exited !== undefined) return;
    const done = new Promise<void>((r) => this.proc.once('exit', () => r()));
    process.kill(this.pid, 'SIGKILL');
    await done;
  }
}
