import { CommandDef } from '../src/commands/types';
import { resolveNodes } from '../src/commands/nodes-arg';
import { notConnected, pingHost } from '../src/system/ping';
import { ifaceNameForMac } from '../src/system/links';

export const command: CommandDef = {
  name: 'ping',
  description: 'Echo test to node N or all: packet loss and rtt min/avg/max',
  options: [
    { name: 'node', type: 'nodeOrAll', positional: true, required: true, description: 'node number or "all"' },
    { name: 'count', type: 'integer', min: 1, max: 100, default: 3, description: 'echoes per node' },
  ],
  mutates: () => false,
  examples: ['picluster ping 3', 'picluster ping all --count 10'],
  async run(ctx, args) {
    const nodes = resolveNodes(ctx.engine, args.node);
    const results = await Promise.all(
      nodes.map(async (n) => {
        const a = ctx.engine.node(n);
        const linked = Boolean(ifaceNameForMac(a.hostMac));
        const r = linked ? await pingHost(a.workerIp, { count: args.count as number, intervalMs: 200, waitS: 1 }) : notConnected(a.workerIp, args.count as number);
        return { node: n, linked, ...r };
      }),
    );
    const lossy = results.filter((r) => r.lossPct > 0);
    const f = (v: number | null) => (v === null ? '-' : v.toFixed(2));
    return {
      ok: lossy.length === 0,
      outcome: 'info',
      title: nodes.length === 1 ? `ping node ${nodes[0]}` : `ping ${nodes.length} nodes`,
      summary: lossy.length ? lossy.map((r) => (r.linked ? `node ${r.node}: ${r.lossPct}% loss` : `node ${r.node}: not connected (no interface with its MAC), not pinged`)).join(', ') : `all replies received (0% loss)`,
      tables: [{ columns: ['node', 'address', 'sent', 'recv', 'loss', 'rtt min/avg/max ms'], rows: results.map((r) => [String(r.node), r.address, String(r.sent), String(r.received), `${r.lossPct}%`, `${f(r.minMs)}/${f(r.avgMs)}/${f(r.maxMs)}`]) }],
      data: results,
    };
  },
};
