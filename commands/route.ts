import { CommandDef } from '../src/commands/types';
import { runNodeOperation } from '../src/provision';
import { workerDefaultRoute, workerNetworkFileStep, workerRouteStep } from '../src/steps/worker';
import { UserError } from '../src/errors';

export const command: CommandDef = {
  name: 'route',
  description: "Show or set node N's default route via the manager",
  details: 'set: live route and Gateway= in usb0.network so it survives a reboot.',
  options: [
    { name: 'node', type: 'node', positional: true, required: true, description: 'node number' },
    { name: 'action', type: 'string', positional: true, subcommand: true, choices: ['show', 'set'], default: 'show', description: 'show the route, or set it', choiceDescriptions: { show: "Show node N's default route and whether it is correct", set: 'Set the default route via the manager, live and in usb0.network' } },
  ],
  mutates: (a) => a.action === 'set',
  dryRun: true,
  examples: ['picluster route 3', 'picluster route 3 set'],
  async run(ctx, args) {
    const n = args.node as number;
    const a = ctx.engine.node(n);
    if (args.action === 'set') {
      const steps = [workerNetworkFileStep(ctx.engine.pool, a, ctx.engine.config.cluster.workerDns), workerRouteStep(ctx.engine.pool, a)];
      return runNodeOperation(ctx, n, `route ${n} set`, steps);
    }
    let route;
    try {
      route = await workerDefaultRoute(ctx.engine.pool, a);
    } catch (e) {
      throw new UserError(`Cannot read the route of node ${n}: ${(e as Error).message}`);
    }
    const good = route?.gateway === a.hostIp && route.dev === 'usb0';
    const text = route ? `default via ${route.gateway ?? '(none)'} dev ${route.dev ?? '?'}` : 'no default route';
    return {
      ok: good,
      outcome: 'info',
      title: `Route of node ${n}`,
      summary: good ? `${text} (correct)` : `${text}; expected default via ${a.hostIp} dev usb0. Fix with: route ${n} set`,
      data: { node: n, route: route ?? null, expected: { gateway: a.hostIp, dev: 'usb0' }, correct: good },
    };
  },
};
