import { CommandDef } from '../src/commands/types';
import { checkCardDirs, sdcardFiles, sdcardSteps } from '../src/sdcard';
import { runSteps } from '../src/steps/step';
import { stepsResult } from '../src/provision';

export const command: CommandDef = {
  name: 'sdcard',
  description: "Prepare node N's SD card, or get the files to copy",
  details: "Edits cmdline.txt (g_ether MACs; other parameters kept), config.txt (dtoverlay=dwc2), usb0.network and authorized_keys with the bot's key. Without --boot/--root, returns the files.",
  options: [
    { name: 'node', type: 'node', positional: true, required: true, description: 'node number' },
    { name: 'boot', type: 'string', description: "mount point of the card's boot partition" },
    { name: 'root', type: 'string', description: "mount point of the card's root partition" },
    { name: 'hostname', type: 'boolean', default: false, description: 'also write /etc/hostname = workerN' },
  ],
  mutates: (a) => a.boot !== undefined || a.root !== undefined,
  changesManager: () => false,
  dryRun: true,
  examples: ['picluster sdcard 3', 'picluster sdcard 3 --boot /mnt/boot --root /mnt/root --dry-run'],
  async run(ctx, args) {
    const { engine } = ctx;
    const a = engine.node(args.node as number);
    const boot = args.boot as string | undefined;
    const root = args.root as string | undefined;
    const common = { publicKey: engine.key.publicKey, dns: engine.config.cluster.workerDns };
    if (!boot && !root) {
      const files = sdcardFiles(a, common);
      return {
        ok: true,
        outcome: 'info',
        title: `SD card files for node ${a.node}`,
        summary: `Copy cmdline.txt's gadget parameters and config.txt's dtoverlay=dwc2 to the boot partition, usb0.network to /etc/systemd/network/ and authorized_keys to /root/.ssh/ on the root partition.`,
        files,
        sections: files.map((f) => ({ title: f.name, body: String(f.content) })),
        data: { files: files.map((f) => ({ name: f.name, content: String(f.content) })) },
      };
    }
    checkCardDirs(boot, root);
    const steps = sdcardSteps(a, { ...common, boot, root, user: engine.config.ssh.user, hostname: Boolean(args.hostname) });
    const results = await runSteps(steps, { dryRun: ctx.dryRun, onProgress: ctx.progress, signal: ctx.signal });
    return stepsResult(`sdcard ${a.node}`, results, ctx.dryRun);
  },
};
