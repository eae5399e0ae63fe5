import { CommandDef } from '../src/commands/types';
import { fmtClock, fmtPct, fmtSpan } from '../src/monitor/diagnosis';
import { outboxBacklog, recentOutbox } from '../src/monitor/outbox';
import { activeSilences } from '../src/monitor/silences';
import { monitorRunning, nodeMonitorViews } from '../src/monitor/status-view';

export const command: CommandDef = {
  name: 'alerts',
  description: 'Alert state of every node, active silences and alerts waiting for delivery',
  options: [{ name: 'recent', type: 'integer', min: 0, max: 50, default: 5, description: 'how many recent alerts to list' }],
  mutates: () => false,
  examples: ['picluster alerts'],
  async run(ctx, args) {
    const { db } = ctx.engine;
    const now = Date.now();
    const nodes = ctx.engine.inventory();
    const views = nodeMonitorViews(db, nodes, now);
    const silences = activeSilences(db, now);
    const backlog = outboxBacklog(db);
    const mon = monitorRunning(db);
    const bad = views.filter((v) => v.level === 'down' || v.level === 'degraded');
    const recent = recentOutbox(db, args.recent as number);

    const monitorLine = mon.running
      ? `Monitoring runs (${mon.owner}); last check ${mon.lastCheckAt ? `${fmtSpan(now - mon.lastCheckAt)} ago` : 'not yet'}.`
      : `Monitoring is not running${mon.lastCheckAt ? ` (last check ${fmtSpan(now - mon.lastCheckAt)} ago)` : ''}: start the bot (npm start) with MONITORING=on.`;
    const outboxLine = backlog.pending
      ? `${backlog.pending} alert(s) waiting for delivery since ${fmtClock(backlog.oldestPendingAt!)}${backlog.lastError ? ` (last error: ${backlog.lastError})` : ''}.`
      : 'No alert waiting for delivery.';
    const tables = [
      {
        title: 'Nodes',
        columns: ['node', 'state', 'since', 'last check', 'loss', 'rtt avg', 'muted'],
        rows: views.map((v) => [
          String(v.node),
          v.level,
          v.since && v.level !== 'healthy' ? fmtClock(v.since) : '',
          v.lastCheckAt ? `${fmtSpan(now - v.lastCheckAt)} ago` : 'never',
          v.lossPct === null ? '-' : fmtPct(v.lossPct) + (v.linkDown ? ' (link down)' : ''),
          v.rttAvgMs === null ? '-' : `${v.rttAvgMs.toFixed(2)} ms`,
          v.muted ?? '',
        ]),
      },
      {
        title: 'Silences',
        columns: ['scope', 'until', 'left', 'reason', 'by'],
        rows: silences.map((s) => [s.node === null ? 'all nodes' : `node ${s.node}`, fmtClock(s.endsAt), fmtSpan(s.endsAt - now), s.reason || '-', s.createdBy]),
      },
    ];
    if (recent.length) {
      tables.push({
        title: 'Recent alerts',
        columns: ['#', 'raised', 'alert', 'delivery'],
        rows: recent.map((r) => [String(r.id), fmtClock(r.createdAt), r.message.title, r.deliveredAt ? `delivered ${fmtClock(r.deliveredAt)}` : `waiting (${r.attempts} attempt(s)${r.lastError ? `: ${r.lastError}` : ''})`]),
      });
    }
    return {
      ok: bad.length === 0 && backlog.pending === 0 && mon.running,
      outcome: 'info',
      title: bad.length ? `alerts: ${bad.map((v) => `node ${v.node} ${v.level}`).join(', ')}` : 'alerts: all nodes healthy',
      summary: [monitorLine, `${silences.length} active silence(s).`, outboxLine].join(' '),
      tables,
      data: { nodes: views, silences, outbox: backlog, monitor: mon, recent: recent.map((r) => ({ ...r.message, deliveredAt: r.deliveredAt, attempts: r.attempts })) },
    };
  },
};
