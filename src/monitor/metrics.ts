import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { log } from '../log';
import type { Level } from './alert-state';
import type { NodeSample } from './protocol';

/**
 * Prometheus text exposition (format 0.0.4) of the latest check, so a cluster that outgrows the
 * bot can be scraped and alerted on through Alertmanager. Served only when METRICS_PORT is set.
 */
export interface MetricsSnapshot {
  nodes: Array<{ node: number; iface: string; sample: NodeSample | null; at: number | null; level: Level; silenced: boolean }>;
  runs: number;
  failures: number;
  skipped: number;
  lastRunAt: number | null;
  lastDurationMs: number | null;
  outboxPending: number;
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;

class Family {
  readonly lines: string[] = [];
  constructor(readonly name: string, readonly type: 'gauge' | 'counter', readonly help: string) {}
  add(l: Record<string, string>, v: number | null | undefined): void {
    if (v === null || v === undefined || !Number.isFinite(v)) return;
    this.lines.push(`${this.name}${labels(l)} ${Number.isInteger(v) ? v : Number(v.toPrecision(6))}`);
  }
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.lines].join('\n');
  }
}

export function renderMetrics(s: MetricsSnapshot): string {
  const f = {
    up: new Family('picluster_node_up', 'gauge', '1 if the node answered at least one echo in the last check.'),
    loss: new Family('picluster_node_loss_ratio', 'gauge', 'Fraction of echoes lost in the last check (0-1).'),
    rtt: new Family('picluster_node_rtt_seconds', 'gauge', 'Round-trip time of the last check by stat (min, avg, max).'),
    carrier: new Family('picluster_node_link_carrier', 'gauge', '1 if the manager-side interface of the node has carrier.'),
    present: new Family('picluster_node_link_present', 'gauge', '1 if an interface with the node host MAC exists on the manager.'),
    state: new Family('picluster_node_alert_state', 'gauge', 'Debounced alert state of the node (1 for the current state).'),
    silenced: new Family('picluster_node_silenced', 'gauge', '1 while alerts for the node are muted (mute command or provisioning).'),
    checkTs: new Family('picluster_node_last_check_timestamp_seconds', 'gauge', 'When the last check of the node started.'),
    rxPackets: new Family('picluster_node_receive_packets_total', 'counter', 'Packets received on the manager-side interface.'),
    txPackets: new Family('picluster_node_transmit_packets_total', 'counter', 'Packets sent on the manager-side interface.'),
    rxBytes: new Family('picluster_node_receive_bytes_total', 'counter', 'Bytes received on the manager-side interface.'),
    txBytes: new Family('picluster_node_transmit_bytes_total', 'counter', 'Bytes sent on the manager-side interface.'),
    rxErrors: new Family('picluster_node_receive_errors_total', 'counter', 'Receive errors on the manager-side interface.'),
    txErrors: new Family('picluster_node_transmit_errors_total', 'counter', 'Transmit errors on the manager-side interface.'),
    rxDropped: new Family('picluster_node_receive_dropped_total', 'counter', 'Received packets dropped on the manager-side interface.'),
    txDropped: new Family('picluster_node_transmit_dropped_total', 'counter', 'Transmitted packets dropped on the manager-side interface.'),
  };
  for (const n of s.nodes) {
    const l = { node: String(n.node), iface: n.iface };
    for (const st of ['healthy', 'degraded', 'down'] as Level[]) f.state.add({ ...l, state: st }, n.level === st ? 1 : 0);
    f.silenced.add(l, n.silenced ? 1 : 0);
    const x = n.sample;
    if (!x) continue;
    f.checkTs.add(l, n.at === null ? null : n.at / 1000);
    f.up.add(l, x.received > 0 ? 1 : 0);
    f.loss.add(l, x.lossPct / 100);
    f.rtt.add({ ...l, stat: 'min' }, x.rttMinMs === null ? null : x.rttMinMs / 1000);
    f.rtt.add({ ...l, stat: 'avg' }, x.rttAvgMs === null ? null : x.rttAvgMs / 1000);
    f.rtt.add({ ...l, stat: 'max' }, x.rttMaxMs === null ? null : x.rttMaxMs / 1000);
    f.present.add(l, x.link ? 1 : 0);
    f.carrier.add(l, x.link?.carrier ? 1 : 0);
    if (x.link) {
      const k = { ...l, iface: x.link.name };
      f.rxPackets.add(k, x.link.rxPackets);
      f.txPackets.add(k, x.link.txPackets);
      f.rxBytes.add(k, x.link.rxBytes);
      f.txBytes.add(k, x.link.txBytes);
      f.rxErrors.add(k, x.link.rxErrors);
      f.txErrors.add(k, x.link.txErrors);
      f.rxDropped.add(k, x.link.rxDropped);
      f.txDropped.add(k, x.link.txDropped);
    }
  }
  const m = {
    runs: new Family('picluster_monitor_check_runs_total', 'counter', 'Check runs that reported a result.'),
    failures: new Family('picluster_monitor_check_failures_total', 'counter', 'Check runs that crashed, timed out or stalled.'),
    skipped: new Family('picluster_monitor_check_skipped_total', 'counter', 'Scheduled runs skipped because the previous one was still running.'),
    last: new Family('picluster_monitor_last_check_timestamp_seconds', 'gauge', 'When the last successful check run started.'),
    dur: new Family('picluster_monitor_check_duration_seconds', 'gauge', 'Wall time of the last successful check run.'),
    outbox: new Family('picluster_alert_outbox_pending', 'gauge', 'Alerts waiting for delivery (the alert channel is unreachable when this grows).'),
  };
  m.runs.add({}, s.runs);
  m.failures.add({}, s.failures);
  m.skipped.add({}, s.skipped);
  m.last.add({}, s.lastRunAt === null ? null : s.lastRunAt / 1000);
  m.dur.add({}, s.lastDurationMs === null ? null : s.lastDurationMs / 1000);
  m.outbox.add({}, s.outboxPending);
  return [...Object.values(f), ...Object.values(m)].map((x) => x.render()).join('\n') + '\n';
}

export class MetricsServer {
  private constructor(private readonly server: http.Server) {}

  static listen(host: string, port: number, snapshot: () => MetricsSnapshot): Promise<MetricsServer> {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('picluster: metrics are at /metrics\n');
        return;
      }
      try {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderMetrics(snapshot()));
      } catch (e) {
        log.error('metrics: could not render', e);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable, see the bot log\n');
      }
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(new MetricsServer(server));
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections?.();
      this.server.close(() => resolve());
    });
  }
}
