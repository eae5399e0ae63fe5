import { CommandDef } from '../src/commands/types';
import { natSteps, stepsResult } from '../src/provision';
import { runSteps } from '../src/steps/step';
import { withLock } from '../src/state/locks';
import { actorLabel } from '../src/commands/run';
import { natStatus } from '../src/diagnostics';

export const command: CommandDef = {
  name: 'nat',
  description: 'Internet sharing for the nodes: status, enable or disable',
  details: "enable: IPv4 forwarding (live and in /etc/sysctl.d), MASQUERADE of each node subnet out of the uplink and FORWARD accepts, in chains the bot owns, saved to /etc/iptables/iptables.rules. disable removes exactly the bot's rules.",
  options: [{ name: 'action', type: 'string', positional: true, subcommand: true, choices: ['status', 'enable', 'disable'], default: 'status', description: 'what to do', choiceDescriptions: { status: 'Forwarding, NAT rules and what is saved for boot', enable: 'Share the uplink with every node subnet (forwarding + MASQUERADE, saved for boot)', disable: "Remove exactly the bot's NAT rules (asks first)" } }],
  mutates: (a) => a.action === 'enable' || a.action === 'disable',
  dryRun: true,
  confirm: (a) => a.action === 'disable',
  examples: ['picluster nat', 'picluster nat enable', 'picluster nat disable --dry-run'],
  async run(ctx, args) {
    const { engine } = ctx;
    if (args.action === 'status') return natStatus(engine);
    const enable = args.action === 'enable';
    const steps = natSteps(engine, engine.natSubnets(), enable);
    const go = async () => {
      const results = await runSteps(steps, { dryRun: ctx.dryRun, onProgress: ctx.progress, signal: ctx.signal });
      if (!ctx.dryRun && !results.some((r) => r.status === 'failed')) engine.setNatEnabled(enable);
      return stepsResult(`nat ${args.action}`, results, ctx.dryRun);
    };
    return ctx.dryRun ? go() : withLock(engine.db, ['manager-config'], actorLabel(ctx.actor), go, 120_000);
  },
};
