import { CommandDef } from '../src/commands/types';
import { resolveNodes } from '../src/commands/nodes-arg';
import { runSteps, StepResult } from '../src/steps/step';
import { workerClockStep } from '../src/steps/worker';
import { stepsResult } from '../src/provision';

export const command: CommandDef = {
  name: 'set-time',
  description: "Set node N's clock (or all) from the manager's; reports drift before and after",
  details: 'Pi Zeros have no real-time clock and boot with a stale time.',
  options: [{ name: 'node', type: 'nodeOrAll', positional: true, required: true, description: 'node number or "all"' }],
  mutates: () => true,
  dryRun: true,
  examples: ['picluster set-time 3', 'picluster set-time all --dry-run'],
  async run(ctx, args) {
    const { engine } = ctx;
    const nodes = resolveNodes(engine, args.node);
    const perNode = await Promise.all(
      nodes.map(async (n) => {
        const step = workerClockStep(engine.pool, engine.node(n), engine.config.cluster.clockToleranceMs);
        const [r] = await runSteps([{ ...step, id: `clock-${n}`, title: `node ${n} clock` }], { dryRun: ctx.dryRun, onProgress: ctx.progress, signal: ctx.signal });
        return r;
      }),
    );
    return stepsResult(`set-time ${args.node}`, perNode as StepResult[], ctx.dryRun);
  },
};
