import { actorLabel } from '../src/commands/run';
import { CommandDef } from '../src/commands/types';
import { fmtClock } from '../src/monitor/diagnosis';
import { activeSilences, clearSilences } from '../src/monitor/silences';

export const command: CommandDef = {
  name: 'unmute',
  description: 'End the silences of node N (or all of them); a node still down alerts at once',
  options: [{ name: 'node', type: 'nodeOrAll', positional: true, required: true, description: 'node number or "all"' }],
  mutates: () => true,
  examples: ['picluster unmute 3', 'picluster unmute all'],
  async run(ctx, args) {
    const node = args.node === 'all' ? 'all' : (args.node as number);
    const now = Date.now();
    const cleared = clearSilences(ctx.engine.db, node, actorLabel(ctx.actor), now);
    const who = node === 'all' ? 'all nodes' : `node ${node}`;
    const stillAll = node !== 'all' ? activeSilences(ctx.engine.db, now).find((s) => s.node === null) : undefined;
    return {
      ok: true,
      outcome: cleared.length ? 'changed' : 'unchanged',
      title: cleared.length ? `unmuted ${who}` : `${who}: nothing to unmute`,
      summary: cleared.length ? `Ended ${cleared.length} silence(s) of ${who}. Alerts resume with the next check.` : `No active silence of ${who}.`,
      hint: stillAll ? `Every node is still muted until ${fmtClock(stillAll.endsAt)} by a "mute all"; end it with: unmute all` : undefined,
      data: cleared,
    };
  },
};
