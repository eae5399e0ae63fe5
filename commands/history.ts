import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandDef } from '../src/commands/types';
import { formatDuration } from '../src/config';
import { UserError } from '../src/errors';
import { fmtPct } from '../src/monitor/diagnosis';
import { queryHistory, worstLossPct } from '../src/monitor/history';

const DEFAULT_WINDOW = 3_600_000;
const MIN_WINDOW = 60_000;

export const command: CommandDef = {
  name: 'history',
  description: 'Chart of round-trip time and packet loss of node N over a time window (PNG)',
  details: 'The window defaults to 1h and reaches back at most HISTORY_RETENTION. From the CLI, --output saves the PNG.',
  options: [
    { name: 'node', type: 'node', positional: true, required: true, description: 'node number' },
    { name: 'window', type: 'duration', positional: true, description: 'how far back, e.g. 15m, 6h, 7d (default 1h)' },
    { name: 'output', type: 'string', cliOnly: true, description: 'CLI/shell only: also write the PNG to this file' },
  ],
  mutates: () => false,
  examples: ['picluster history 3', 'picluster history 3 24h --output node3.png'],
  async run(ctx, args) {
    const node = args.node as number;
    const window = (args.window as number | undefined) ?? DEFAULT_WINDOW;
    const retention = ctx.engine.config.monitor.historyRetentionMs;
    if (window < MIN_WINDOW) throw new UserError(`The window must be at least ${formatDuration(MIN_WINDOW)}, got ${formatDuration(window)}.`);
    if (window > retention) throw new UserError(`History is kept for ${formatDuration(retention)} (HISTORY_RETENTION); ask for at most that, got ${formatDuration(window)}.`);
    const output = args.output as string | undefined;
    if (output !== undefined && ctx.actor.transport !== 'cli' && ctx.actor.transport !== 'shell') {
      throw new UserError('--output writes a file on the manager and only works from the CLI or the shell; here the chart is attached.');
    }
    const to = Date.now();
    const from = to - window;
    const points = queryHistory(ctx.engine.db, node, from, to);
    if (!points.length) {
      return {
        ok: true,
        outcome: 'info',
        title: `history of node ${node}`,
        summary: `No checks of node ${node} recorded in the last ${formatDuration(window)}. Checks are recorded while the bot runs with MONITORING=on and the node is in the inventory.`,
        data: { node, from, to, points: [] },
      };
    }
    const checks = points.reduce((a, p) => a + p.checks, 0);
    const sent = points.reduce((a, p) => a + p.sent, 0);
    const received = points.reduce((a, p) => a + p.received, 0);
    const lossPct = sent ? Math.round(((sent - received) / sent) * 1000) / 10 : 100;
    const worst = worstLossPct(ctx.engine.db, node, from, to) ?? Math.max(...points.map((p) => p.lossPct));
    const rttPoints = points.filter((p) => p.rttAvgMs !== null);
    const rttAvg = received ? rttPoints.reduce((a, p) => a + p.rttAvgMs! * p.received, 0) / received : null;
    const rttMax = rttPoints.length ? Math.max(...rttPoints.map((p) => p.rttMaxMs ?? 0)) : null;
    const linkDown = points.reduce((a, p) => a + p.linkDown, 0);
    // Loaded on first use: chart.js and the canvas binding cost ~16 MiB of resident memory.
    const { renderHistoryChart } = await import('../src/monitor/chart');
    const png = renderHistoryChart(points, { title: `node ${node} (${ctx.engine.node(node).hostIface}): last ${formatDuration(window)}`, from, to });
    const name = `history-${node}.png`;
    let saved = '';
    if (output !== undefined) {
      const target = path.resolve(output);
      const tmp = `${target}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, png);
      fs.renameSync(tmp, target);
      saved = ` Saved to ${target}.`;
    }
    const f = (v: number | null) => (v === null ? '-' : `${v.toFixed(2)} ms`);
    return {
      ok: true,
      outcome: 'info',
      title: `history of node ${node}, last ${formatDuration(window)}`,
      summary: `${checks} checks: loss ${fmtPct(lossPct)} overall (worst ${fmtPct(worst)}), rtt avg ${f(rttAvg)}, max ${f(rttMax)}${linkDown ? `, link down in ${linkDown} check(s)` : ''}.${saved}`,
      files: [{ name, content: png, contentType: 'image/png' }],
      data: { node, from, to, checks, lossPct, worstLossPct: worst, rttAvgMs: rttAvg, rttMaxMs: rttMax, linkDownChecks: linkDown, points: points.length },
    };
  },
};
