import { CommandDef } from '../src/commands/types';
import { listNodes } from '../src/state/inventory';
import { listLinks } from '../src/system/links';

export const command: CommandDef = {
  name: 'nodes',
  description: "The inventory: each node's interface, addresses, MACs and link",
  options: [],
  mutates: () => false,
  async run(ctx) {
    const { engine } = ctx;
    const recs = listNodes(engine.db);
    const links = await listLinks();
    const rows = recs.map((r) => {
      const a = engine.node(r.node);
      const l = links.find((x) => x.mac === a.hostMac);
      return [String(r.node), a.hostIface, `${a.hostIp} ↔ ${a.workerIp}`, a.hostMac, a.devMac, l ? (l.carrier ? 'up' : 'down') : 'absent', r.provisionedAt ? new Date(r.provisionedAt).toISOString().slice(0, 16).replace('T', ' ') : 'incomplete'];
    });
    return {
      ok: true,
      outcome: 'info',
      title: 'nodes',
      summary: recs.length ? `${recs.length} node(s) in the inventory.` : 'No nodes yet. Add one with: add-node N',
      tables: [{ columns: ['node', 'iface', 'addresses', 'host MAC', 'Pi MAC', 'link', 'provisioned'], rows }],
      data: recs.map((r) => ({ ...r, ...engine.node(r.node) })),
    };
  },
};
