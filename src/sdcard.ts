import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Attachment } from './commands/types';
import { NodeAddressing } from './cluster/model';
import { UserError } from './errors';
import { LocalFiles } from './system/files';
import { fileStep } from './steps/file-step';
import { Step } from './steps/step';
import { workerNetworkContent } from './steps/worker';

/** The guide's cmdline.txt, used when no card is mounted and a whole file is generated. */
const SEED_CMDLINE = 'root=/dev/mmcblk0p2 rw rootwait console=ttyAMA0,115200 console=tty1 selinux=0 plymouth.enable=0 smsc95xx.turbo_mode=N dwc_otg.lpm_enable=0 kgdboc=ttyAMA0,115200 elevator=noop';

/**
 * cmdline.txt is one line of space-separated parameters that the firmware hands to the kernel.
 * Only the gadget parameters are set; everything else (root=, console=...) is kept in order.
 */
export function editCmdline(current: string, a: NodeAddressing): string {
  const params = current.trim().split(/\s+/).filter(Boolean);
  const out: string[] = [];
  let modules: string[] = [];
  for (const p of params) {
    if (p.startsWith('modules-load=')) modules.push(...p.slice('modules-load='.length).split(',').filter(Boolean));
    else if (p.startsWith('g_ether.host_addr=') || p.startsWith('g_ether.dev_addr=')) continue;
    else out.push(p);
  }
  for (const m of ['dwc2', 'g_ether']) if (!modules.includes(m)) modules.push(m);
  modules = [...new Set(modules)];
  const gadget = [`modules-load=${modules.join(',')}`, `g_ether.host_addr=${a.hostMac}`, `g_ether.dev_addr=${a.devMac}`];
  const at = out.lastIndexOf('rootwait');
  out.splice(at >= 0 ? at + 1 : out.length, 0, ...gadget);
  return out.join(' ') + '\n';
}

export function editConfigTxt(current: string | null): string {
  const text = current ?? '';
  if (/^\s*dtoverlay=dwc2\b/m.test(text)) return text;
  return `${text}${text && !text.endsWith('\n') ? '\n' : ''}# USB gadget mode for picluster\ndtoverlay=dwc2\n`;
}

export function addAuthorizedKey(current: string | null, pub: string): string {
  const text = current ?? '';
  const blob = pub.split(/\s+/)[1];
  if (text.split('\n').some((l) => l.split(/\s+/)[1] === blob)) return text;
  return `${text}${text && !text.endsWith('\n') ? '\n' : ''}${pub}\n`;
}

/** A FileTarget rooted at a mounted partition, so absolute card paths never escape it. */
class RootedFiles extends LocalFiles {
  constructor(private readonly root: string, override readonly label: string) {
    super();
  }
  private at(p: string) {
    return path.join(this.root, p);
  }
  override read(p: string) {
    return super.read(this.at(p));
  }
  override write(p: string, c: string, mode?: number) {
    return super.write(this.at(p), c, mode);
  }
  override remove(p: string) {
    return super.remove(this.at(p));
  }
}

export function checkCardDirs(boot?: string, root?: string): void {
  if (boot !== undefined) {
    if (!fs.existsSync(boot) || !fs.statSync(boot).isDirectory()) throw new UserError(`--boot ${boot} is not a directory. Mount the card's boot partition and pass its mount point.`);
    if (!fs.existsSync(path.join(boot, 'cmdline.txt'))) throw new UserError(`--boot ${boot} has no cmdline.txt: is that the card's boot (FAT) partition?`);
  }
  if (root !== undefined) {
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UserError(`--root ${root} is not a directory. Mount the card's root partition and pass its mount point.`);
    if (!fs.existsSync(path.join(root, 'etc'))) throw new UserError(`--root ${root} has no etc/ directory: is that the card's root (ext4) partition?`);
  }
}

function homeOf(user: string): string {
  return user === 'root' ? '/root' : `/home/${user}`;
}

export function sdcardSteps(a: NodeAddressing, opts: { boot?: string; root?: string; publicKey: string; user: string; dns: string[]; hostname: boolean }): Step[] {
  const steps: Step[] = [];
  if (opts.boot) {
    const b = new RootedFiles(opts.boot, 'boot partition');
    steps.push(
      fileStep({ id: 'sd-cmdline', title: 'cmdline.txt: g_ether with this node’s MACs', where: 'manager', target: b, path: '/cmdline.txt', desired: (cur) => editCmdline(cur ?? SEED_CMDLINE, a) }),
      fileStep({ id: 'sd-config', title: 'config.txt: dtoverlay=dwc2', where: 'manager', target: b, path: '/config.txt', desired: (cur) => editConfigTxt(cur) }),
    );
  }
  if (opts.root) {
    const r = new RootedFiles(opts.root, 'root partition');
    const home = homeOf(opts.user);
    steps.push(
      fileStep({ id: 'sd-usb0', title: 'usb0.network with address, gateway, DNS', where: 'manager', target: r, path: '/etc/systemd/network/usb0.network', desired: () => workerNetworkContent(a, opts.dns) }),
      fileStep({ id: 'sd-key', title: `bot key in ${home}/.ssh/authorized_keys`, where: 'manager', target: r, path: `${home}/.ssh/authorized_keys`, mode: 0o600, desired: (cur) => addAuthorizedKey(cur, opts.publicKey) }),
    );
    if (opts.hostname) steps.push(fileStep({ id: 'sd-hostname', title: `hostname ${a.hostname}`, where: 'manager', target: r, path: '/etc/hostname', desired: () => `${a.hostname}\n` }));
  }
  return steps;
}

/** Without a mounted card: the files to copy by hand (and Discord attachments). */
export function sdcardFiles(a: NodeAddressing, opts: { publicKey: string; dns: string[] }): Attachment[] {
  return [
    { name: 'cmdline.txt', content: editCmdline(SEED_CMDLINE, a), contentType: 'text/plain' },
    { name: 'config.txt', content: editConfigTxt('gpu_mem=16\n'), contentType: 'text/plain' },
    { name: 'usb0.network', content: workerNetworkContent(a, opts.dns), contentType: 'text/plain' },
    { name: 'authorized_keys', content: `${opts.publicKey}\n`, contentType: 'text/plain' },
  ];
}
