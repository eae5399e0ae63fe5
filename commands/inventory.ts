import { CommandDef } from '../src/commands/types';
import { buildInventory, INVENTORY_FORMATS, InventoryFormat, renderInventory } from '../src/monitor/ansible-inventory';

export const command: CommandDef = {
  name: 'inventory',
  description: 'Export the nodes as an Ansible inventory (INI, YAML or JSON)',
  details: 'Hosts are the Pis (ansible_host = their usb0 address) with the bot user and key; run Ansible on the manager.',
  options: [{ name: 'format', type: 'string', choices: INVENTORY_FORMATS, default: 'ansible', description: 'ansible (INI), yaml or json' }],
  mutates: () => false,
  examples: ['picluster inventory --format ansible', 'picluster inventory --format json'],
  async run(ctx, args) {
    const format = args.format as InventoryFormat;
    const inv = buildInventory(ctx.engine);
    const { fileName, text } = renderInventory(inv, format);
    return {
      ok: true,
      outcome: 'info',
      title: `inventory (${format === 'ansible' ? 'Ansible INI' : format.toUpperCase()})`,
      summary: inv.hosts.length ? `${inv.hosts.length} node(s). Save as ${fileName}, then e.g.: ansible -i ${fileName} picluster -m ping` : 'No nodes in the inventory yet. Add one with: add-node N',
      sections: [{ title: fileName, body: text.trimEnd() }],
      files: [{ name: fileName, content: text, contentType: format === 'json' ? 'application/json' : 'text/plain' }],
      data: inv,
    };
  },
};
