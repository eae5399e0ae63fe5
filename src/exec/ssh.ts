import * as crypto from 'node:crypto';
import * as net from 'node:net';
import { Client, ClientChannel } from 'ssh2';
import { NodeAddressing } from '../cluster/model';
import { UserError } from '../errors';
import { ifaceNameForMac } from '../system/links';
import { shJoin } from './quote';
import { ExecResult } from './result';

export interface PinnedKey {
  keyType: string;
  fingerprint: string;
}

/** Where pinned host keys live (SQLite in the bot; a Map in pure tests). */
export interface HostKeyStore {
  get(node: number): PinnedKey | undefined;
  pin(node: number, key: PinnedKey): void;
}

export interface SshSettings {
  user: string;
  port: number;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  privateKey: Buffer | string;
}

export type AddressPreference = 'ipv4' | 'link-local';

/** RFC 8305's minimum connection attempt delay: ample for a TCP connect over a USB link. */
const HEAD_START_MS = 100;

export interface RemoteExecOptions {
  input?: string;
  timeoutMs?: number;
  /** Which address to try first when a new connection is needed. */
  prefer?: AddressPreference;
}

export interface RemoteResult extends ExecResult {
  via?: string;
}

/** OpenSSH's fingerprint format: SHA256 of the key blob, base64 without padding. */
export function fingerprint(keyBlob: Buffer): string {
  return 'SHA256:' + crypto.createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

function keyTypeOf(keyBlob: Buffer): string {
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString('ascii');
}

export class HostKeyChangedError extends UserError {
  constructor(readonly node: number, readonly pinned: PinnedKey, readonly offered: PinnedKey, address: string) {
    super(
      `Host key of node ${node} (${address}) has changed: pinned ${pinned.keyType} ${pinned.fingerprint}, ` +
        `offered ${offered.keyType} ${offered.fingerprint}. Refusing to connect. If you re-imaged or replaced this Pi, ` +
        `accept the new key with: picluster trust-host ${node}   (Discord: /trust-host ${node})`,
    );
  }
}

interface Conn {
  client: Client;
  via: string;
  node: number;
}

/**
 * One SSH connection per Pi, opened on first use and reused by every command after it, so a
 * `/status` over 64 nodes costs 64 channel opens rather than 64 handshakes.
 */
export class SshPool {
  private readonly conns = new Map<number, Promise<Conn>>();
  private closed = false;

  constructor(private readonly settings: SshSettings, private readonly hostKeys: HostKeyStore) {}

  async exec(node: NodeAddressing, argv: string[], opts: RemoteExecOptions = {}): Promise<RemoteResult> {
    const started = performance.now();
    const sudo = this.settings.user !== 'root' ? ['sudo', '-n', '--'] : [];
    const fullArgv = [...sudo, ...argv];
    let conn: Conn;
    try {
      conn = await this.connection(node, opts.prefer);
    } catch (e) {
      if (e instanceof UserError) throw e;
      return { argv: fullArgv, code: null, signal: null, stdout: '', stderr: '', durationMs: performance.now() - started, error: (e as Error).message };
    }
    return this.run(conn, fullArgv, opts, started);
  }

  /** Connects (or reuses) and reports which address answered. */
  async connection(node: NodeAddressing, prefer: AddressPreference = 'ipv4'): Promise<Conn> {
    if (this.closed) throw new Error('SSH pool is closed (the bot is shutting down)');
    let p = this.conns.get(node.node);
    if (!p) {
      p = this.open(node, prefer);
      this.conns.set(node.node, p);
      p.catch(() => this.conns.get(node.node) === p && this.conns.delete(node.node));
    }
    return p;
  }

  /** The addresses to try, in order: IPv4 once configured, and the link-local that exists from power-on. */
  candidates(node: NodeAddressing, prefer: AddressPreference): string[] {
    const out: string[] = [];
    const scope = ifaceNameForMac(node.hostMac);
    // Without its USB link the Pi is unreachable, and its 10.x address would be sent out of the
    // default route to whatever network the manager sits on: do not try at all.
    if (!scope) return [];
    const ll = `${node.workerLinkLocal}%${scope}`;
    if (prefer === 'link-local') out.push(ll);
    out.push(node.workerIp);
    if (prefer === 'ipv4') out.push(ll);
    return out;
  }

  /**
   * Happy eyeballs (RFC 8305): the preferred address first, the next one when no TCP connection is
   * up after a short delay, or at once when an attempt fails. A Pi without IPv4 yet would otherwise
   * cost a full connect timeout (its 10.x address does not answer, or is routed out of the uplink
   * until the manager side exists) before link-local is tried.
   * Only the TCP connect is raced: once a socket is up, no further address is started, so a single
   * SSH handshake runs (racing whole handshakes made a cold `status` over 64 Pis run 128 of them,
   * and the loaded sshds then missed the connect timeout). Attempts still pending when one wins are
   * abandoned, so a late IPv4 answer does not open a second session behind the winner.
   */
  private open(node: NodeAddressing, prefer: AddressPreference): Promise<Conn> {
    const addrs = this.candidates(node, prefer);
    if (!addrs.length) return Promise.reject(new Error(`node ${node.node} is not connected: no interface has its MAC ${node.hostMac} (Pi unplugged or not booted)`));
    return new Promise((resolve, reject) => {
      const errors: string[] = [];
      const attempts: AbortController[] = [];
      let next = 0;
      let running = 0;
      /** Attempts whose TCP connection is up and whose SSH handshake is still running. */
      let connected = 0;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let turns = 0;
      const settle = (f: () => void) => {
        settled = true;
        clearTimeout(timer);
        for (const a of attempts) a.abort();
        f();
      };
      const startNext = () => {
        clearTimeout(timer);
        if (settled || next >= addrs.length) return;
        const i = next++;
        const address = addrs[i];
        const ac = new AbortController();
        attempts.push(ac);
        running++;
        if (next < addrs.length) {
          // The delay counts from here, but a connect that completed meanwhile is only seen in the
          // event loop's I/O phase, which runs after timers: after a busy stretch (a status that
          // starts 64 pings and connects in one go) the timer would fire first and start the next
          // address behind a socket that is already up. setImmediate runs after that I/O phase.
          const turn = ++turns;
          timer = setTimeout(() => setImmediate(() => turn === turns && connected === 0 && startNext()), HEAD_START_MS);
        }
        let up = false;
        const onTcp = () => {
          up = true;
          connected++;
          clearTimeout(timer);
        };
        const done = () => {
          running--;
          if (up) connected--;
        };
        this.openAt(node, address, { signal: ac.signal, onTcp }).then(
          (conn) => {
            done();
            if (settled) return void conn.client.end();
            settle(() => resolve(conn));
          },
          (e: Error) => {
            done();
            if (settled) return;
            if (e instanceof UserError) return settle(() => reject(e));
            errors[i] = `${address}: ${e.message}`;
            if (next < addrs.length) return startNext();
            if (running === 0) settle(() => reject(new Error(`cannot reach node ${node.node} over SSH (${errors.filter(Boolean).join('; ')})`)));
          },
        );
      };
      startNext();
    });
  }

  private openAt(node: NodeAddressing, address: string, attempt: { signal?: AbortSignal; onTcp?: () => void } = {}): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      let mismatch: HostKeyChangedError | undefined;
      let settled = false;
      const sock = new net.Socket();
      const timer = setTimeout(() => fail(new Error(`no answer within ${this.settings.connectTimeoutMs} ms`)), this.settings.connectTimeoutMs);
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.destroy();
        client.end();
        reject(mismatch ?? e);
      };
      sock.setNoDelay(true);
      sock.setKeepAlive(true, 10_000);
      sock.once('error', (e) => fail(e));
      if (attempt.onTcp) sock.once('connect', attempt.onTcp);
      attempt.signal?.addEventListener('abort', () => fail(new Error('abandoned: another address answered first')), { once: true });
      client.on('error', (e) => fail(e));
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const conn: Conn = { client, via: address, node: node.node };
        client.removeAllListeners('error');
        // A dead connection is dropped from the pool; the next call reconnects.
        const drop = () => {
          const cur = this.conns.get(node.node);
          cur?.then((c) => c === conn && this.conns.delete(node.node), () => undefined);
        };
        client.on('error', drop);
        client.on('close', drop);
        resolve(conn);
      });
      sock.connect({ host: address, port: this.settings.port });
      client.connect({
        sock,
        username: this.settings.user,
        privateKey: this.settings.privateKey,
        readyTimeout: this.settings.connectTimeoutMs,
        keepaliveInterval: 5000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          const offered = { keyType: keyTypeOf(key), fingerprint: fingerprint(key) };
          const pinned = this.hostKeys.get(node.node);
          if (!pinned) {
            this.hostKeys.pin(node.node, offered);
            return true;
          }
          if (pinned.fingerprint === offered.fingerprint) return true;
          mismatch = new HostKeyChangedError(node.node, pinned, offered, address);
          return false;
        },
      });
    });
  }

  private run(conn: Conn, argv: string[], opts: RemoteExecOptions, started: number): Promise<RemoteResult> {
    const timeoutMs = opts.timeoutMs ?? this.settings.commandTimeoutMs;
    return new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      let done = false;
      let stream: ClientChannel | undefined;
      const finish = (code: number | null, signal: string | null, error?: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ argv, code, signal, stdout, stderr, durationMs: performance.now() - started, error, via: conn.via });
      };
      const timer = setTimeout(() => {
        finish(null, null, `timed out after ${timeoutMs} ms on node ${conn.node}`);
        stream?.close();
      }, timeoutMs);
      const onClose = () => finish(null, null, `connection to node ${conn.node} lost`);
      conn.client.once('close', onClose);
      try {
        conn.client.exec(shJoin(argv), (err, ch) => {
          if (err) {
            conn.client.removeListener('close', onClose);
            return finish(null, null, err.message);
          }
          stream = ch;
          let code: number | null = null;
          let signal: string | null = null;
          ch.on('exit', (c: number | null, s?: string) => {
            code = c;
            signal = s ?? null;
          });
          ch.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
          ch.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
          ch.on('close', () => {
            conn.client.removeListener('close', onClose);
            finish(code, signal);
          });
          ch.end(opts.input ?? undefined);
        });
      } catch (e) {
        conn.client.removeListener('close', onClose);
        finish(null, null, (e as Error).message);
      }
    });
  }

  /** Forget a node's connection (after its address changed, or to force a fresh handshake). */
  drop(node: number): void {
    const p = this.conns.get(node);
    this.conns.delete(node);
    p?.then((c) => c.client.end(), () => undefined);
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(all.map((p) => p.then((c) => c.client.end(), () => undefined)));
  }

  /** How a node is currently connected, if it is. */
  async currentVia(node: number): Promise<string | undefined> {
    const p = this.conns.get(node);
    if (!p) return undefined;
    return p.then((c) => c.via, () => undefined);
  }
}
