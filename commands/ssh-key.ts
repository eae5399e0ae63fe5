import { CommandDef } from '../src/commands/types';
import { fingerprint } from '../src/exec/ssh';

export const command: CommandDef = {
  name: 'ssh-key',
  description: "The bot's public SSH key for the Pis' authorized_keys",
  options: [],
  mutates: () => false,
  async run(ctx) {
    const pub = ctx.engine.key.publicKey;
    const fp = fingerprint(Buffer.from(pub.split(' ')[1], 'base64'));
    return {
      ok: true,
      outcome: 'info',
      title: 'bot SSH key',
      summary: pub,
      sections: [{ title: 'Install on a Pi', body: `Append this line to /root/.ssh/authorized_keys on each Pi (mode 600), or run: picluster sdcard N --boot BOOT --root ROOT\nFingerprint: ${fp}` }],
      data: { publicKey: pub, fingerprint: fp, path: ctx.engine.key.path },
    };
  },
};
