import { actorLabel } from '../src/commands/run';
import { CommandDef } from '../src/commands/types';
import { formatDuration } from '../src/config';
import { UserError } from '../src/errors';
import { fmtClock } from '../src/monitor/diagnosis';
import { activeSilences, addSilence } from '../src/monitor/silences';

const MAX_MS = 30 * 86_400_000;

/** Control characters would break the one-line rendering of a reason in tables and embeds. */
export function cleanReason(raw: unknown): string {
  return String(raw ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

export const command: CommandDef = {
  name: 'mute',
  description: 'Silence alerts for node N (or all) for a while; its state is still tracked',
  details: 'If the node is still down or degraded when the silence ends, you get one alert then. add-node and remove-node silence their node automatically while they run.',
  options: [
    { name: 'node', type: 'nodeOrAll', positional: true, required: true, description: 'node number or "all"' },
    { name: 'duration', type: 'duration', positional: true, required: true, description: 'how long, e.g. 30m, 2h, 1d (at most 30d)' },
    { name: 'reason', type: 'string', positional: true, description: 'why (quote it when it has spaces); shown in alerts' },
  ],
  mutates: () => true,
  examples: ['picluster mute 3 2h "reflashing the SD card"', 'picluster mute all 30m'],
  async run(ctx, args) {
    const ms = args.duration as number;
    if (ms > MAX_MS) throw new UserError(`A silence lasts at most ${formatDuration(MAX_MS)}; got ${formatDuration(ms)}.`, 'Mute again when it runs out, or remove the node with remove-node.');
    const node = args.node === 'all' ? null : (args.node as number);
    const reason = cleanReason(args.reason);
    const now = Date.now();
    const s = addSilence(ctx.engine.db, { node, endsAt: now + ms, reason, by: actorLabel(ctx.actor), now });
    const who = node === null ? 'All nodes' : `Node ${node}`;
    const known = node === null || ctx.engine.inventory().includes(node);
    const others = activeSilences(ctx.engine.db, now).filter((x) => x.id !== s.id && (node === null || x.node === null || x.node === node));
    return {
      ok: true,
      outcome: 'changed',
      title: `${who} muted until ${fmtClock(s.endsAt)}`,
      summary: `${who} muted for ${formatDuration(ms)}${reason ? ` (${reason})` : ''}. State is still tracked; if a node is still down when the silence ends, one alert is sent then.`,
      hint: !known ? `Node ${node} is not in the inventory yet; the silence applies once it is added.` : others.length ? `${others.length} other silence(s) also cover ${node === null ? 'some nodes' : `node ${node}`}: see alerts.` : undefined,
      data: s,
    };
  },
};
