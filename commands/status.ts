import { CommandDef } from '../src/commands/types';
import { nodeStatuses, statusTable } from '../src/diagnostics';
import { lastCheckTable } from '../src/monitor/status-view';

export const command: CommandDef = {
  name: 'status',
  description: 'Per node: link state, addresses, RX/TX counters, errors, drops, reachability',
  details: "Read on the manager like the guide's ifconfig; --remote also reads the Pi's own usb0 counters over SSH.",
  options: [
    { name: 'node', type: 'node', positional: true, description: 'one node (default: every node in the inventory)' },
    { name: 'remote', type: 'boolean', default: false, description: "also read the Pi's own usb0 counters over SSH" },
  ],
  mutates: () => false,
  examples: ['picluster status', 'picluster status 3', 'picluster status --remote'],
  async run(ctx, args) {
    const nodes = args.node !== undefined ? [args.node as number] : ctx.engine.inventory();
    if (!nodes.length) {
      return { ok: true, outcome: 'info', title: 'status', summary: 'No nodes in the inventory yet. Add one with: add-node N', data: [] };
    }
    const st = await nodeStatuses(ctx.engine, nodes, { remote: Boolean(args.remote) });
    const down = st.filter((s) => !s.present || !s.ping?.received);
    const tables = [statusTable(st)];
    const checks = lastCheckTable(ctx.engine.db, nodes);
    if (checks) tables.push(checks);
    if (args.remote) {
      tables.push({
        title: 'Pi side (usb0)',
        columns: ['node', 'RX pkts', 'TX pkts', 'RX err', 'TX err', 'via'],
        rows: st.map((s) => (s.remote && !('error' in s.remote) ? [String(s.node), String(s.remote.rxPackets), String(s.remote.txPackets), String(s.remote.rxErrors), String(s.remote.txErrors), s.remote.via ?? ''] : [String(s.node), '-', '-', '-', '-', s.remote && 'error' in s.remote ? s.remote.error : 'not reachable'])),
      });
    }
    return {
      ok: down.length === 0,
      outcome: 'info',
      title: nodes.length === 1 ? `status of node ${nodes[0]}` : `status of ${nodes.length} nodes`,
      summary: down.length ? `${down.length} node(s) not answering: ${down.map((s) => s.node).join(', ')}` : `all ${nodes.length} node(s) up and answering`,
      tables,
      data: st,
    };
  },
};
