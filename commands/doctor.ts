import { CommandDef } from '../src/commands/types';
import { doctor } from '../src/diagnostics';

export const command: CommandDef = {
  name: 'doctor',
  description: 'Preflight of the manager: forwarding, FORWARD policy, MASQUERADE coverage, saved vs live rules, name clashes, subnet overlaps, missing tools.',
  options: [],
  mutates: () => false,
  run: (ctx) => doctor(ctx.engine),
};
