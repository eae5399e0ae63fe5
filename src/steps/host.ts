import * as fs from 'node:fs';
import { NodeAddressing } from '../cluster/model';
import { haveTool, runLocal } from '../exec/local';
import { mustLocal } from '../exec/must';
import { ok } from '../exec/result';
import { UserError } from '../errors';
import { FileTarget } from '../system/files';
import { findLinkByMac, listLinks } from '../system/links';
import { hostNetworkFile, UDEV_RULES } from '../system/paths';
import { fileStep } from './file-step';
import { lineDiff } from './diff';
import { Step } from './step';

const MARKER = (n: number) => `# picluster node ${n}`;

function udevLine(a: NodeAddressing): string {
  return `SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="${a.hostMac}", NAME="${a.hostIface}"`;
}

/**
 * The udev rules file is shared: other nodes' rules and anything a person wrote stay as they are.
 * The bot owns a marker line plus the rule after it; a hand-written rule for the same MAC (the
 * seed's style) is adopted and replaced in place.
 */
export function udevRulesWith(current: string | null, a: NodeAddressing, present: boolean): string | null {
  const lines = (current ?? '').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  let insertAt = -1;
  const macRe = new RegExp(`ATTR\\{address\\}=="${a.hostMac}"`, 'i');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === MARKER(a.node)) {
      if (insertAt < 0) insertAt = out.length;
      i++; // the rule line that belongs to the marker
      continue;
    }
    if (macRe.test(lines[i]) && !lines[i].trimStart().startsWith('#')) {
      if (insertAt < 0) insertAt = out.length;
      continue;
    }
    out.push(lines[i]);
  }
  if (present) out.splice(insertAt < 0 ? out.length : insertAt, 0, MARKER(a.node), udevLine(a));
  if (out.length === 0) return current === null ? null : '';
  return out.join('\n') + '\n';
}

/** Other rules that give this node's interface name to a different MAC. */
export function udevNameClashes(current: string | null, a: NodeAddressing): string[] {
  return (current ?? '')
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#') && l.includes(`NAME="${a.hostIface}"`) && !new RegExp(`ATTR\\{address\\}=="${a.hostMac}"`, 'i').test(l));
}

async function reloadUdev(): Promise<string[]> {
  if (!haveTool('udevadm') || !fs.existsSync('/run/udev/control')) {
    return ['udevadm is not running here: the rule is saved for the next plug-in; the interface is renamed live below'];
  }
  await mustLocal(['udevadm', 'control', '--reload']);
  return ['udev rules reloaded'];
}

export function udevRuleStep(files: FileTarget, a: NodeAddressing, present = true): Step {
  const inner = fileStep({
    id: 'udev-rule',
    title: present ? `udev rule: MAC ${a.hostMac} → ${a.hostIface}` : `remove udev rule for ${a.hostIface}`,
    where: 'manager',
    target: files,
    path: UDEV_RULES,
    desired: (cur) => udevRulesWith(cur, a, present),
    afterWrite: reloadUdev,
  });
  return {
    ...inner,
    async check() {
      if (present) {
        const clashes = udevNameClashes(await files.read(UDEV_RULES), a);
        if (clashes.length) {
          throw new UserError(`${UDEV_RULES} already gives the name ${a.hostIface} to another device: ${clashes.join(' | ')}. Remove that line first.`);
        }
      }
      return inner.check();
    },
  };
}

async function waitForLinkLocal(name: string, timeoutMs = 4000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const l = (await listLinks()).find((x) => x.name === name);
    if (l && l.ipv6.some((x) => x.addr.startsWith('fe80:') && !x.tentative)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The interface carrying the Pi's host MAC, under whatever name it has now. */
export async function requireNodeLink(a: NodeAddressing) {
  const link = await findLinkByMac(a.hostMac);
  if (!link) {
    throw new Error(
      `Pi ${a.node} is not detected: no interface has MAC ${a.hostMac}. Is it plugged into a data (not power-only) port, and does its cmdline.txt load g_ether with g_ether.host_addr=${a.hostMac}? (picluster sdcard ${a.node} writes that.)`,
    );
  }
  return link;
}

/** udev only names interfaces as they appear; a Pi already plugged in is renamed now. */
export function linkNameStep(a: NodeAddressing): Step {
  return {
    id: 'link-name',
    title: `interface named ${a.hostIface}`,
    where: 'manager',
    async check() {
      const link = await requireNodeLink(a);
      if (link.name === a.hostIface) return { inSync: true, summary: `${a.hostIface} present (${a.hostMac})` };
      const other = (await listLinks()).find((l) => l.name === a.hostIface);
      if (other) throw new UserError(`Another interface is already called ${a.hostIface} (MAC ${other.mac}); rename or remove it first.`);
      return { inSync: false, summary: `rename ${link.name} → ${a.hostIface}`, diff: lineDiff([`${link.name} (${a.hostMac})`], [`${a.hostIface} (${a.hostMac})`]) };
    },
    async apply() {
      const link = await requireNodeLink(a);
      await mustLocal(['ip', 'link', 'set', 'dev', link.name, 'down']);
      await mustLocal(['ip', 'link', 'set', 'dev', link.name, 'name', a.hostIface]);
      // DAD on a point-to-point USB link only delays the link-local address we may need to reach a fresh Pi.
      await runLocal(['sysctl', '-q', '-w', `net.ipv6.conf.${a.hostIface}.accept_dad=0`]);
      await mustLocal(['ip', 'link', 'set', 'dev', a.hostIface, 'up']);
      await waitForLinkLocal(a.hostIface);
    },
  };
}

export function hostNetworkdContent(a: NodeAddressing): string {
  return [
    `# Managed by picluster for node ${a.node} (USB gadget ${a.hostMac}).`,
    `# Rewritten by /add-node ${a.node}; deleted by /remove-node ${a.node}.`,
    '[Match]',
    `Name=${a.hostIface}`,
    '',
    '[Link]',
    '# The Pi may be unplugged; do not hold up network-online.target for it.',
    'RequiredForOnline=no',
    '',
    '[Network]',
    `Address=${a.hostIp}/${a.prefixLen}`,
    '# Keep the address while the Pi reboots or is unplugged, so routes and NAT stay valid.',
    'ConfigureWithoutCarrier=yes',
    'IgnoreCarrierLoss=yes',
    'LinkLocalAddressing=ipv6',
    'IPv6AcceptRA=no',
    '',
  ].join('\n');
}

async function reloadNetworkd(): Promise<string[]> {
  if (!haveTool('networkctl') || !fs.existsSync('/run/systemd/netif')) {
    return ['systemd-networkd is not running here: the file takes effect at next boot; the address is applied live below'];
  }
  const r = await runLocal(['networkctl', 'reload'], { timeoutMs: 15_000 });
  return [ok(r) ? 'networkctl reload done' : `networkctl reload failed (${r.stderr.trim()}); the address is applied live below`];
}

export function hostNetworkdStep(files: FileTarget, a: NodeAddressing, present = true): Step {
  return fileStep({
    id: 'networkd-host',
    title: present ? `networkd file for ${a.hostIface}` : `remove networkd file for ${a.hostIface}`,
    where: 'manager',
    target: files,
    path: hostNetworkFile(a.node),
    desired: () => (present ? hostNetworkdContent(a) : null),
    afterWrite: reloadNetworkd,
  });
}

export function hostAddressStep(a: NodeAddressing): Step {
  const want = `${a.hostIp}/${a.prefixLen}`;
  return {
    id: 'host-address',
    title: `${a.hostIface} has ${want}`,
    where: 'manager',
    async check() {
      const link = await requireNodeLink(a);
      const has = link.ipv4.includes(want);
      if (has && link.up) return { inSync: true, summary: `${link.name} up with ${want}` };
      const parts = [!has ? `add ${want}` : '', !link.up ? 'bring link up' : ''].filter(Boolean);
      return { inSync: false, summary: `${link.name}: ${parts.join(', ')}`, diff: lineDiff(link.ipv4.length ? link.ipv4 : ['(no IPv4)'], [want]) };
    },
    async apply() {
      const link = await requireNodeLink(a);
      await mustLocal(['ip', 'addr', 'replace', want, 'dev', link.name]);
      await mustLocal(['ip', 'link', 'set', 'dev', link.name, 'up']);
    },
  };
}

/** remove-node: the live side of the link goes back to no address (the Pi may stay plugged in). */
export function hostAddressAbsentStep(a: NodeAddressing): Step {
  const want = `${a.hostIp}/${a.prefixLen}`;
  return {
    id: 'host-address',
    title: `remove ${want} from ${a.hostIface}`,
    where: 'manager',
    async check() {
      const link = await findLinkByMac(a.hostMac);
      if (!link || !link.ipv4.includes(want)) return { inSync: true, summary: `${want} not configured` };
      return { inSync: false, summary: `remove ${want} from ${link.name}`, diff: lineDiff([want], []) };
    },
    async apply() {
      const link = await findLinkByMac(a.hostMac);
      if (link) await mustLocal(['ip', 'addr', 'del', want, 'dev', link.name]);
    },
  };
}
