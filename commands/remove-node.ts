import { removeNode } from '../src/provision';
import { CommandDef } from '../src/commands/types';

export const command: CommandDef = {
  name: 'remove-node',
  description: "Undo the manager side of node N: its address, networkd file, udev rule and NAT coverage. The Pi itself is left as it is.",
  options: [{ name: 'node', type: 'node', positional: true, required: true, description: 'node number' }],
  mutates: () => true,
  dryRun: true,
  confirm: () => true,
  examples: ['picluster remove-node 3 --dry-run', 'picluster remove-node 3'],
  run: (ctx, args) => removeNode(ctx, args.node as number),
};
