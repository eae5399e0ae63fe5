import { CommandDef } from '../src/commands/types';
import { ok } from '../src/exec/result';

export const command: CommandDef = {
  name: 'trust-host',
  description: "Accept node N's new SSH host key after re-imaging or replacing the Pi",
  options: [{ name: 'node', type: 'node', positional: true, required: true, description: 'node number' }],
  mutates: () => true,
  confirm: () => true,
  async run(ctx, args) {
    const { engine } = ctx;
    const n = args.node as number;
    const old = engine.hostKeys.get(n);
    engine.hostKeys.forget(n);
    engine.pool.drop(n);
    const r = await engine.pool.exec(engine.node(n), ['true']);
    const now = engine.hostKeys.get(n);
    if (!ok(r) || !now) {
      if (old) engine.hostKeys.pin(n, old);
      return { ok: false, outcome: 'failed', title: `trust-host ${n}`, summary: `Could not reach node ${n} to read its key (${r.error ?? r.stderr.trim()}); the old pin is kept.` };
    }
    return {
      ok: true,
      outcome: 'changed',
      title: `trust-host ${n}`,
      summary: old?.fingerprint === now.fingerprint ? `Key unchanged: ${now.fingerprint}` : `Now trusting ${now.keyType} ${now.fingerprint}${old ? ` (was ${old.fingerprint})` : ''}.`,
      data: { node: n, old: old ?? null, new: now },
    };
  },
};
