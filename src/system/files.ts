import * as fs from 'node:fs';
import * as path from 'node:path';
import { AddressPreference, SshPool } from '../exec/ssh';
import { NodeAddressing } from '../cluster/model';
import { describeFailure, ok } from '../exec/result';

/** Where a step reads and writes files: the manager's own disk or a Pi over SSH. */
export interface FileTarget {
  readonly label: string;
  read(file: string): Promise<string | null>;
  /** Atomic: a temp file next to the target, then rename, so a crash never leaves half a file. */
  write(file: string, content: string, mode?: number): Promise<void>;
  remove(file: string): Promise<void>;
}

export class LocalFiles implements FileTarget {
  readonly label: string = 'manager';
  async read(file: string): Promise<string | null> {
    try {
      return await fs.promises.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }
  async write(file: string, content: string, mode = 0o644): Promise<void> {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.picluster-${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, content, { mode });
    await fs.promises.chmod(tmp, mode);
    await fs.promises.rename(tmp, file);
  }
  async remove(file: string): Promise<void> {
    await fs.promises.rm(file, { force: true });
  }
}

/**
 * The same contract on a Pi, over the pooled SSH connection, with POSIX sh only. These files are
 * written while provisioning, often before the Pi has IPv4, so a new connection tries the Pi's
 * link-local address first like every other provisioning call on the Pi (IPv4 first would wait out
 * the happy-eyeballs delay on every fresh Pi).
 */
export class RemoteFiles implements FileTarget {
  constructor(private readonly pool: SshPool, private readonly node: NodeAddressing, private readonly prefer: AddressPreference = 'link-local') {}
  get label(): string {
    return `worker${this.node.node}`;
  }
  async read(file: string): Promise<string | null> {
    const r = await this.pool.exec(this.node, ['sh', '-c', 'if [ -e "$1" ]; then cat -- "$1"; else exit 3; fi', 'sh', file], { prefer: this.prefer });
    if (r.code === 3 && !r.error) return null;
    if (!ok(r)) throw new Error(describeFailure(r));
    return r.stdout;
  }
  async write(file: string, content: string, mode = 0o644): Promise<void> {
    const script = 'set -e; d=$(dirname -- "$1"); mkdir -p -- "$d"; t="$1.picluster.tmp"; cat > "$t"; chmod "$2" "$t"; mv -f -- "$t" "$1"';
    const r = await this.pool.exec(this.node, ['sh', '-c', script, 'sh', file, mode.toString(8)], { input: content, prefer: this.prefer });
    if (!ok(r)) throw new Error(describeFailure(r));
  }
  async remove(file: string): Promise<void> {
    const r = await this.pool.exec(this.node, ['rm', '-f', '--', file], { prefer: this.prefer });
    if (!ok(r)) throw new Error(describeFailure(r));
  }
}
