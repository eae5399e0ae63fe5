import { addNode } from '../src/provision';
import { CommandDef } from '../src/commands/types';

export const command: CommandDef = {
  name: 'add-node',
  description: 'Set up node N end to end: manager side, NAT, the Pi over SSH, then verify',
  details: 'Manager: udev rule naming the gadget interface ethpiN by MAC, networkd file, address, forwarding and NAT. Pi (over SSH, via IPv6 link-local if it has no IPv4 yet): usb0.network with address, gateway and DNS, applied live, clock set from the manager. Then 3 echoes with 0% loss and an SSH round trip. Re-running changes nothing.',
  options: [
    { name: 'node', type: 'node', positional: true, required: true, description: 'node number' },
    { name: 'hostname', type: 'boolean', description: 'also set the Pi hostname to workerN', default: false },
  ],
  mutates: () => true,
  dryRun: true,
  examples: ['picluster add-node 3', 'picluster add-node 3 --dry-run', 'picluster add-node 4 --hostname'],
  run: (ctx, args) => addNode(ctx, args.node as number, Boolean(args.hostname)),
};
