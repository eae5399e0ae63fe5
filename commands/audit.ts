import { CommandDef } from '../src/commands/types';
import { recentAudit } from '../src/state/audit';

export const command: CommandDef = {
  name: 'audit',
  description: 'Recent commands: who ran what, arguments, outcome, duration',
  options: [
    { name: 'limit', type: 'integer', min: 1, max: 200, default: 20, description: 'how many entries' },
    { name: 'command', type: 'string', description: 'only this command' },
  ],
  mutates: () => false,
  async run(ctx, args) {
    const rows = recentAudit(ctx.engine.db, args.limit as number, { command: args.command as string | undefined });
    return {
      ok: true,
      outcome: 'info',
      title: 'audit log',
      summary: `${rows.length} most recent entr${rows.length === 1 ? 'y' : 'ies'}.`,
      tables: [{ columns: ['when (UTC)', 'who', 'command', 'args', 'outcome', 'ms'], rows: rows.map((r) => [new Date(r.at).toISOString().slice(0, 19).replace('T', ' '), r.actor, r.command, JSON.stringify(r.args), r.outcome, String(r.durationMs)]) }],
      data: rows,
    };
  },
};
