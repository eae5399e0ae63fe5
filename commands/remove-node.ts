import { removeNode } from '../src/provision';
import { CommandDef } from '../src/commands/types';

export const command: CommandDef = {
  name: 'remove-node',
  description: 'Undo the manager side of node N (address, networkd file, udev rule, NAT)',
  details: 'The Pi itself is left as it is; its pinned SSH host key is kept (trust-host replaces it).',
  options: [{ name: 'node', type: 'node', positional: true, required: true, description: 'node number' }],
  mutates: () => true,
  dryRun: true,
  confirm: () => true,
  examples: ['picluster remove-node 3 --dry-run', 'picluster remove-node 3'],
  run: (ctx, args) => removeNode(ctx, args.node as number),
};
