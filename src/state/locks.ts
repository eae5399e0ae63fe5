import { UserError } from '../errors';
import { DB } from './db';

/** Whether a process exists (EPERM: it does, but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A named lock held in SQLite, so the CLI, the shell and the Discord bot (separate processes)
 * never provision the same node at once. A lock left by a dead process is taken over.
 */
export function acquireLock(db: DB, name: string, owner: string): () => void {
  const take = db.transaction(() => {
    const row = db.prepare('SELECT owner, pid, at FROM locks WHERE name = ?').get(name) as { owner: string; pid: number; at: number } | undefined;
    if (row && pidAlive(row.pid) && !(row.pid === process.pid && heldHere.has(name) === false)) {
      return row;
    }
    db.prepare('INSERT INTO locks(name, owner, pid, at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, at = excluded.at').run(
      name,
      owner,
      process.pid,
      Date.now(),
    );
    heldHere.add(name);
    return undefined;
  });
  const busy = take.immediate();
  if (busy) {
    const since = new Date(busy.at).toISOString().replace('T', ' ').slice(0, 19);
    throw new UserError(`${describeLock(name)} is busy: ${busy.owner} started it at ${since} UTC. Wait for it to finish and try again.`);
  }
  return () => {
    heldHere.delete(name);
    db.prepare('DELETE FROM locks WHERE name = ? AND pid = ?').run(name, process.pid);
  };
}

/** Locks this process holds (a row with our own pid but not in this set is a leftover from a pid reuse). */
const heldHere = new Set<string>();

function describeLock(name: string): string {
  const m = /^node:(\d+)$/.exec(name);
  return m ? `Node ${m[1]}` : name;
}

/** Takes every lock (sorted, so two callers never deadlock); with waitMs, waits for busy ones. */
export async function withLock<T>(db: DB, names: string[], owner: string, fn: () => Promise<T>, waitMs = 0): Promise<T> {
  const releases: Array<() => void> = [];
  try {
    for (const n of [...names].sort()) releases.push(await acquireWaiting(db, n, owner, waitMs));
    return await fn();
  } finally {
    for (const r of releases.reverse()) r();
  }
}

async function acquireWaiting(db: DB, name: string, owner: string, waitMs: number): Promise<() => void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return acquireLock(db, name, owner);
    } catch (e) {
      if (Date.now() >= deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
