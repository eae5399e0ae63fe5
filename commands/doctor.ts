import { CommandDef } from '../src/commands/types';
import { doctor } from '../src/diagnostics';

export const command: CommandDef = {
  name: 'doctor',
  description: 'Preflight checks of the manager, each problem with its fix',
  details: 'Forwarding on and persisted, FORWARD policy, MASQUERADE covers every node subnet, live rules equal saved rules, interface and udev name clashes, subnet overlaps, missing tools.',
  options: [],
  mutates: () => false,
  run: (ctx) => doctor(ctx.engine),
};
