/** Shared helpers for the monitoring tests: temporary engines, synthetic samples, collecting sinks. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../src/config';
import { Engine } from '../src/engine';
import type { AlertMessage, AlertSink } from '../src/monitor/alert';
import type { CheckResultMessage, LinkSnapshot, NodeSample } from '../src/monitor/protocol';
import { upsertNode } from '../src/state/inventory';

export function tempDir(prefix = 'picluster-mon-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** An engine on a fresh data directory; `nodes` are put in the inventory. */
export function tempEngine(env: Record<string, string> = {}, nodes: number[] = []): { engine: Engine; dir: string; cleanup: () => Promise<void> } {
  const dir = tempDir();
  const engine = Engine.open(loadConfig({ DATA_DIR: dir, ...env }));
  for (const n of nodes) upsertNode(engine.db, n, 'test', { provisionedAt: Date.now() });
  return {
    engine,
    dir,
    cleanup: async () => {
      await engine.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function link(over: Partial<LinkSnapshot> = {}): LinkSnapshot {
  return { name: 'ethpi3', adminUp: true, carrier: true, operstate: 'UP', rxPackets: 100, rxBytes: 10_000, rxErrors: 0, rxDropped: 0, txPackets: 100, txBytes: 10_000, txErrors: 0, txDropped: 0, ...over };
}

/** A node's check with `received` of `sent` echoes answered. */
export function sample(node: number, received: number, sent = 20, l: LinkSnapshot | null = link({ name: `ethpi${node}` })): NodeSample {
  const rtt = received ? 0.5 : null;
  return { node, sent, received, lossPct: Math.round(((sent - received) / sent) * 1000) / 10, rttMinMs: rtt && 0.3, rttAvgMs: rtt, rttMaxMs: rtt && 0.9, link: l };
}

export function result(at: number, samples: NodeSample[]): CheckResultMessage {
  return { type: 'check-result', startedAt: at, finishedAt: at + 400, samples };
}

/** Deterministic PRNG (mulberry32) so statistical tests give the same answer every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One check as ping -c echoes -w deadline samples it: echoes every `intervalMs` until `echoes`
 * replies arrived or the deadline passed; each echo lost with probability p.
 */
export function simulateCheck(p: number, rand: () => number, echoes = 20, maxSent = 50): { sent: number; received: number } {
  let sent = 0;
  let received = 0;
  while (received < echoes && sent < maxSent) {
    sent++;
    if (rand() >= p) received++;
  }
  return { sent, received };
}

/** How many of n echoes get through when each is lost with probability p. */
export function binomialReceived(n: number, p: number, rand: () => number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (rand() >= p) ok++;
  return ok;
}

export class CollectingSink implements AlertSink {
  readonly delivered: AlertMessage[] = [];
  readonly attempts: AlertMessage[] = [];
  failing = false;
  async deliver(a: AlertMessage): Promise<void> {
    this.attempts.push(a);
    if (this.failing) throw new Error('sink unreachable (test)');
    this.delivered.push(a);
  }
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string, stepMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
