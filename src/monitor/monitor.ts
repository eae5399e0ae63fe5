import Bree from 'bree';
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import type { MonitorConfig } from '../config';
import type { Engine } from '../engine';
import { log } from '../log';
import { acquireLock } from '../state/locks';
import type { AlertDraft, AlertMessage, AlertSink } from './alert';
import { advance, announcementFor, initialState, Level, NodeAlertState, Thresholds } from './alert-state';
import { monitorFailureDraft, monitorRecoveryDraft, nodeAlertDraft } from './alert-text';
import { fmtClock } from './diagnosis';
import { maintainHistory, recordChecks } from './history';
import { MetricsServer, MetricsSnapshot } from './metrics';
import { DispatcherOptions, enqueueAlert, OutboxDispatcher, outboxBacklog, purgeDelivered } from './outbox';
import { CheckJobInput, CheckResultMessage, parseJobMessage } from './protocol';
import { activeSilences, provisioningNodes, purgeSilences, silenceFor } from './silences';
import { deleteNodeState, loadNodeStates, saveNodeState } from './state-store';

export interface MonitorOptions {
  /** Overrides of the configured settings (tests, benchmarks). */
  settings?: Partial<MonitorConfig>;
  /** Another job script (tests inject crashing or hanging jobs). */
  jobPath?: string;
  /** Extra workerData for that job. */
  jobData?: Record<string, unknown>;
  dispatcher?: DispatcherOptions;
  /** How often history is downsampled and old rows deleted (default 10 minutes). */
  maintenanceEveryMs?: number;
}

export interface MonitorEvents {
  check: [result: CheckResultMessage];
  enqueued: [alert: AlertMessage];
  delivered: [alert: AlertMessage, attempts: number];
  'delivery-failed': [alert: AlertMessage, error: string, retryInMs: number];
  'job-failure': [reason: string];
}

export interface MonitorStats {
  runs: number;
  failures: number;
  skipped: number;
  lastRunAt: number | null;
  lastDurationMs: number | null;
}

const JOB_NAME = 'check';
export const DEFAULT_JOB_PATH = path.resolve(__dirname, '..', '..', 'jobs', 'check.js');

/**
 * Reachability monitoring for the whole inventory. Bree runs jobs/check.js in a worker thread every
 * CHECK_INTERVAL; each run posts one result, which this class turns into history rows, per-node
 * alert state and, when users must hear about a change, outbox rows, all in one SQLite transaction.
 * A failed, hung or missing run is an alert of its own.
 */
export class Monitor {
  readonly events = new EventEmitter<MonitorEvents>();
  readonly settings: MonitorConfig;
  readonly stats: MonitorStats = { runs: 0, failures: 0, skipped: 0, lastRunAt: null, lastDurationMs: null };
  private readonly thresholds: Thresholds;
  private readonly states = new Map<number, NodeAlertState>();
  private readonly announced = new Map<number, { level: Level; at: number | null }>();
  private readonly dispatcher: OutboxDispatcher;
  /** Bree hands this object's properties to every run, so updating it retargets the next run. */
  private readonly jobInput: CheckJobInput & Record<string, unknown>;
  private bree: Bree | null = null;
  private releaseLock: (() => void) | null = null;
  private readonly busyByEvent = new Set<number>();
  private mutedLastRun = new Map<number, string>();
  private busyLastRun = new Set<number>();
  private currentRun: { startedAt: number; settled: boolean; tickMissed?: boolean } | null = null;
  private skipStreak = 0;
  private failing: { since: number; runs: number } | null = null;
  private lastSettledAt = Date.now();
  private timers: NodeJS.Timeout[] = [];
  private metrics: MetricsServer | null = null;
  private stopped = false;
  private readonly onBusy = (node: number, busy: boolean) => {
    if (busy) this.busyByEvent.add(node);
    else this.busyByEvent.delete(node);
  };

  constructor(private readonly engine: Engine, sink: AlertSink, private readonly opts: MonitorOptions = {}) {
    this.settings = { ...engine.config.monitor, ...opts.settings };
    const s = this.settings;
    this.thresholds = { lossWarnPct: s.lossWarnPct, alertAfter: s.alertAfter, recoverAfter: s.recoverAfter };
    this.jobInput = { targets: [], echoes: s.echoes, echoIntervalMs: s.echoIntervalMs, echoDeadlineMs: s.echoDeadlineMs, ...opts.jobData };
    this.dispatcher = new OutboxDispatcher(engine.db, sink, opts.dispatcher);
    this.dispatcher.events.on('delivered', (a, n) => this.events.emit('delivered', a, n));
    this.dispatcher.events.on('failed', (a, e, r) => {
      log.warn(`alert ${a.id} (${a.title}) not delivered, retry in ${Math.round(r / 1000)}s: ${e}`);
      this.events.emit('delivery-failed', a, e, r);
    });
  }

  /** Loads persisted state, starts delivery of anything left in the outbox, then the schedule. */
  async start(): Promise<void> {
    try {
      await this.startInner();
    } catch (e) {
      await this.stop().catch(() => undefined);
      throw e;
    }
  }

  private async startInner(): Promise<void> {
    const { db } = this.engine;
    // One monitor per data directory: two would each send every alert.
    this.releaseLock = acquireLock(db, 'monitor', `monitor (pid ${process.pid})`);
    this.restore();
    this.engine.events.on('busy', this.onBusy);
    this.dispatcher.start();

    const s = this.settings;
    this.bree = new Bree({
      root: false,
      doRootCheck: false,
      logger: {
        info: (...a: unknown[]) => log.debug(`bree: ${a.filter((x) => x !== undefined).map(String).join(' ')}`),
        warn: (...a: unknown[]) => {
          const text = a.filter((x) => x !== undefined).map(String).join(' ');
          if (!/already running/.test(text)) return log.warn(`monitor: ${text}`);
          // A run outlasted the interval (a loaded manager): catch up as soon as it ends, rather
          // than a whole interval later, and say so once per streak, not on every tick.
          this.stats.skipped++;
          if (this.currentRun) this.currentRun.tickMissed = true;
          if (this.skipStreak++ === 0) log.warn(`monitor: a check run took longer than CHECK_INTERVAL (${s.intervalMs} ms); the next one starts as soon as it ends`);
        },
        error: (...a: unknown[]) => log.error(`bree: ${a.filter((x) => x !== undefined).map(String).join(' ')}`),
      },
      jobs: [{ name: JOB_NAME, path: this.opts.jobPath ?? DEFAULT_JOB_PATH, timeout: 0, interval: s.intervalMs, closeWorkerAfterMs: s.timeoutMs, worker: { workerData: this.jobInput } }],
      workerMessageHandler: ({ message }) => this.onWorkerMessage(message),
      errorHandler: (err) => this.onWorkerError(err),
    });
    this.bree.on('worker created', () => {
      this.currentRun = { startedAt: Date.now(), settled: false };
    });
    this.bree.on('worker deleted', () => {
      const run = this.currentRun;
      if (run && !run.settled) this.settleFailure('the job exited without reporting a result');
      this.currentRun = null;
      if (run?.tickMissed && !this.stopped) setImmediate(() => void this.bree?.run(JOB_NAME));
      else this.skipStreak = 0;
    });
    this.lastSettledAt = Date.now();
    await this.bree.start();

    const stallMs = 3 * s.intervalMs + s.timeoutMs;
    this.timers.push(
      setInterval(() => {
        if (Date.now() - this.lastSettledAt > stallMs) {
          this.lastSettledAt = Date.now();
          this.jobFailed(`no check run completed for ${Math.round(stallMs / 1000)} s (scheduler stalled?)`);
        }
      }, s.intervalMs),
    );
    void this.maintain();
    this.timers.push(setInterval(() => void this.maintain(), this.opts.maintenanceEveryMs ?? 600_000));
    if (s.metricsPort !== undefined) {
      // A taken port costs the metrics endpoint, not the alerts.
      try {
        this.metrics = await MetricsServer.listen(s.metricsHost, s.metricsPort, () => this.metricsSnapshot());
        log.info(`monitor: Prometheus metrics on http://${s.metricsHost}:${this.metrics.port}/metrics`);
      } catch (e) {
        log.error(`monitor: no metrics endpoint on ${s.metricsHost}:${s.metricsPort} (METRICS_PORT): ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    log.info(`monitor: checking ${this.jobInput.targets.length} node(s) every ${s.intervalMs} ms (${s.echoes} echoes, alert after ${s.alertAfter} bad checks)`);
  }

  /** Loads what users were last told per node (start() does this; tests call it directly). */
  restore(): void {
    for (const st of loadNodeStates(this.engine.db).values()) {
      // Start from what users were told: a level never announced (e.g. while muted) is re-established by fresh checks.
      this.states.set(st.node, { ...initialState(st.node, st.since, st.announced), baseline: st.baseline });
      this.announced.set(st.node, { level: st.announced, at: st.announcedAt });
    }
    this.refreshTargets();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // From here on, the worker ending (Bree terminates it on cancel) is our doing, not a failure.
    this.currentRun = null;
    for (const t of this.timers) clearInterval(t);
    this.engine.events.off('busy', this.onBusy);
    await this.bree?.stop();
    await this.dispatcher.stop();
    await this.metrics?.close();
    this.releaseLock?.();
  }

  get metricsPort(): number | undefined {
    return this.metrics?.port;
  }

  private refreshTargets(): void {
    this.jobInput.targets = this.engine.inventory().map((n) => {
      const a = this.engine.node(n);
      return { node: n, address: a.workerIp, hostMac: a.hostMac, iface: a.hostIface };
    });
  }

  private onWorkerMessage(message: unknown): void {
    if (message === 'done' || message === 'cancelled') return;
    const m = parseJobMessage(message);
    if (this.currentRun) this.currentRun.settled = true;
    this.lastSettledAt = Date.now();
    if (m.type === 'check-result') {
      try {
        this.handleResult(m);
      } catch (e) {
        log.error('monitor: could not process a check result', e);
        this.jobFailed(`processing the result failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    } else if (m.type === 'check-error') {
      this.jobFailed(`the job reported an error: ${m.message}`);
    } else {
      this.jobFailed(`the job sent ${m.reason}`);
    }
  }

  private onWorkerError(err: unknown): void {
    if (this.stopped) return;
    const run = this.currentRun;
    if (!run || run.settled) {
      log.debug(`monitor: worker error after its result: ${String(err)}`);
      return;
    }
    const elapsed = Date.now() - run.startedAt;
    if (elapsed >= this.settings.timeoutMs - 50) this.settleFailure(`timed out after ${(elapsed / 1000).toFixed(1)} s (CHECK_TIMEOUT ${this.settings.timeoutMs / 1000} s)`);
    else this.settleFailure(`crashed: ${(err instanceof Error ? err.message : String(err)).replace(/^Error: /, '')}`);
  }

  private settleFailure(reason: string): void {
    if (this.currentRun) this.currentRun.settled = true;
    this.lastSettledAt = Date.now();
    this.jobFailed(reason);
  }

  /** The first failure of a streak is an alert; the rest are counted until a run succeeds again. */
  private jobFailed(reason: string): void {
    if (this.stopped) return;
    this.stats.failures++;
    log.error(`monitor: check run failed: ${reason}`);
    this.events.emit('job-failure', reason);
    if (this.failing) {
      this.failing.runs++;
      return;
    }
    const now = Date.now();
    this.failing = { since: now, runs: 1 };
    this.enqueue([monitorFailureDraft(reason, now)]);
  }

  private enqueue(drafts: AlertDraft[], alsoInTransaction?: () => void): void {
    const db = this.engine.db;
    const sent = db.transaction(() => {
      alsoInTransaction?.();
      return drafts.map((d) => enqueueAlert(db, d));
    })();
    for (const a of sent) this.events.emit('enqueued', a);
    if (sent.length) this.dispatcher.kick();
  }

  /** Nodes whose alerts are held back right now, with why. */
  private mutedNodes(now: number, nodes: number[]): { muted: Map<number, string>; busy: Set<number> } {
    const db = this.engine.db;
    const silences = activeSilences(db, now);
    const busy = new Set<number>([...provisioningNodes(db).keys(), ...this.busyByEvent, ...this.engine.busyNodes]);
    const muted = new Map<number, string>();
    for (const n of nodes) {
      const s = silenceFor(silences, n);
      if (busy.has(n)) muted.set(n, 'being provisioned');
      else if (s) muted.set(n, `muted until ${fmtClock(s.endsAt)}`);
    }
    return { muted, busy };
  }

  /**
   * One check result: history, state machine, announcements. Public so tests can drive the
   * monitor with synthetic results, exactly as the Bree worker does.
   */
  handleResult(result: CheckResultMessage): void {
    const db = this.engine.db;
    const now = Date.now();
    const at = result.startedAt;
    const inventory = new Set(this.engine.inventory());
    const samples = result.samples.filter((s) => inventory.has(s.node));
    const { muted, busy } = this.mutedNodes(now, [...inventory]);
    const drafts: AlertDraft[] = [];
    const saves: Array<() => void> = [];

    for (const node of [...this.states.keys()]) {
      if (!inventory.has(node)) {
        this.states.delete(node);
        this.announced.delete(node);
        saves.push(() => deleteNodeState(db, node));
      }
    }
    for (const s of samples) {
      const prev = this.states.get(s.node) ?? initialState(s.node, at);
      let st = prev;
      // Provisioning just ended: judge the node afresh rather than on checks taken mid-rebuild.
      if (this.busyLastRun.has(s.node) && !busy.has(s.node)) {
        const told = this.announced.get(s.node)?.level ?? 'healthy';
        st = { ...initialState(s.node, at, told), baseline: prev.baseline, baselineAt: prev.baselineAt };
      }
      const { state, transition } = advance(st, s, at, this.thresholds);
      this.states.set(s.node, state);
      const told = this.announced.get(s.node) ?? { level: 'healthy' as Level, at: null };
      if (!this.announced.has(s.node)) this.announced.set(s.node, told);
      let changed = Boolean(transition) || st !== prev;

      const why = muted.get(s.node);
      if (!why) {
        const kind = announcementFor(told.level, state.level);
        const reminderDue = !kind && state.level !== 'healthy' && this.settings.remindEveryMs > 0 && told.at !== null && now - told.at >= this.settings.remindEveryMs;
        if (kind || reminderDue) {
          const wasMuted = this.mutedLastRun.get(s.node);
          const note = kind && wasMuted ? `(This happened while the node was ${wasMuted.replace(/ until .*/, '')}; that has ended.)` : undefined;
          drafts.push(
            nodeAlertDraft({ kind: kind ?? 'reminder', id: { node: s.node, ...this.identity(s.node) }, state, previous: { level: told.level, since: prev.since }, now, note }),
          );
          this.announced.set(s.node, { level: state.level, at: now });
          changed = true;
        }
      }
      if (changed) {
        const a = this.announced.get(s.node)!;
        saves.push(() => saveNodeState(db, { node: s.node, level: state.level, announced: a.level, since: state.since, announcedAt: a.at, baseline: state.baseline }));
      }
    }

    let recovered: AlertDraft | undefined;
    if (this.failing) {
      recovered = monitorRecoveryDraft(this.failing.runs, this.failing.since, now);
      this.failing = null;
    }
    this.enqueue(recovered ? [recovered, ...drafts] : drafts, () => {
      recordChecks(db, at, samples);
      for (const save of saves) save();
    });

    this.mutedLastRun = muted;
    this.busyLastRun = busy;
    this.stats.runs++;
    this.stats.lastRunAt = at;
    this.stats.lastDurationMs = result.finishedAt - result.startedAt;
    this.refreshTargets();
    this.events.emit('check', result);
  }

  private identity(node: number) {
    const a = this.engine.node(node);
    return { hostIface: a.hostIface, hostMac: a.hostMac, workerIp: a.workerIp };
  }

  private maintaining = false;

  /** Downsampling and retention, an hour of history per slice with the event loop free in between. */
  private async maintain(): Promise<void> {
    if (this.maintaining) return;
    this.maintaining = true;
    const now = Date.now();
    const total = { rawMerged: 0, bucketsWritten: 0, deleted: 0 };
    try {
      for (let i = 0; i < 10_000 && !this.stopped; i++) {
        const r = maintainHistory(this.engine.db, now, { rawMs: this.settings.historyRawMs, retentionMs: this.settings.historyRetentionMs, chunkMs: 3_600_000 });
        total.rawMerged += r.rawMerged;
        total.bucketsWritten += r.bucketsWritten;
        total.deleted += r.deleted;
        if (r.done) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (this.stopped) return;
      const alerts = purgeDelivered(this.engine.db, now - this.settings.historyRetentionMs);
      const silences = purgeSilences(this.engine.db, now - this.settings.historyRetentionMs);
      if (total.rawMerged || total.deleted || alerts || silences) log.info(`monitor: history merged ${total.rawMerged} checks into ${total.bucketsWritten} buckets, deleted ${total.deleted} rows, ${alerts} old alerts, ${silences} old silences`);
    } catch (e) {
      log.error('monitor: history maintenance failed', e);
    } finally {
      this.maintaining = false;
    }
  }

  /** Current state per node (for the metrics endpoint and in-process callers). */
  nodeStates(): Map<number, NodeAlertState> {
    return new Map(this.states);
  }

  metricsSnapshot(): MetricsSnapshot {
    const now = Date.now();
    const nodes = this.engine.inventory();
    const { muted } = this.mutedNodes(now, nodes);
    return {
      nodes: nodes.map((n) => {
        const st = this.states.get(n);
        return { node: n, iface: this.engine.node(n).hostIface, sample: st?.last?.sample ?? null, at: st?.last?.at ?? null, level: st?.level ?? 'healthy', silenced: muted.has(n) };
      }),
      ...this.stats,
      outboxPending: outboxBacklog(this.engine.db).pending,
    };
  }
}
