import { addNode } from '../src/provision';
import { CommandDef } from '../src/commands/types';

export const command: CommandDef = {
  name: 'add-node',
  description: 'Set up node N end to end: udev name, networkd file and address on the manager, NAT, then usb0 address, route, DNS and clock on the Pi over SSH, and verify with ping and SSH.',
  options: [
    { name: 'node', type: 'node', positional: true, required: true, description: 'node number' },
    { name: 'hostname', type: 'boolean', description: 'also set the Pi hostname to workerN', default: false },
  ],
  mutates: () => true,
  dryRun: true,
  examples: ['picluster add-node 3', 'picluster add-node 3 --dry-run', 'picluster add-node 4 --hostname'],
  run: (ctx, args) => addNode(ctx, args.node as number, Boolean(args.hostname)),
};
