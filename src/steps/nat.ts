import { runLocal } from '../exec/local';
import { mustLocal } from '../exec/must';
import { describeFailure, ok } from '../exec/result';
import { FileTarget } from '../system/files';
import { IPTABLES_RULES, SYSCTL_FILE } from '../system/paths';
import { fileDiff, lineDiff } from './diff';
import { fileStep } from './file-step';
import { Step } from './step';

export const NAT_CHAIN = 'PICLUSTER-POSTROUTING';
export const FWD_CHAIN = 'PICLUSTER-FORWARD';
const JUMP_NAT = `-A POSTROUTING -j ${NAT_CHAIN}`;
const JUMP_FWD = `-A FORWARD -j ${FWD_CHAIN}`;

/**
 * The guide masquerades "everything not to 10.0.11.0/24" out of eth0 *and* out of ethpi1, once
 * per node, and never enables forwarding. What it means: each node subnet is masqueraded out of
 * the uplink only, forwarding is on and survives reboot, and FORWARD accepts node traffic even when
 * the policy is DROP. All of it sits in chains the bot owns, so disabling touches nothing else.
 */
export function desiredNatRules(subnets: string[], uplink: string): { nat: string[]; filter: string[] } {
  return {
    nat: subnets.map((s) => `-A ${NAT_CHAIN} -s ${s} -o ${uplink} -j MASQUERADE`),
    filter: [`-A ${FWD_CHAIN} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, ...subnets.map((s) => `-A ${FWD_CHAIN} -s ${s} -j ACCEPT`)],
  };
}

async function chainRules(table: string, chain: string): Promise<string[] | null> {
  const r = await runLocal(['iptables', '-w', '-t', table, '-S', chain], { timeoutMs: 10_000 });
  if (r.error) throw new Error(describeFailure(r));
  if (r.code !== 0) return null;
  return r.stdout.split('\n').filter((l) => l.startsWith('-A '));
}

export interface NatLive {
  nat: string[] | null;
  filter: string[] | null;
  jumpNat: boolean;
  jumpFwd: boolean;
}

export async function readNatLive(): Promise<NatLive> {
  const [nat, filter, post, fwd] = await Promise.all([
    chainRules('nat', NAT_CHAIN),
    chainRules('filter', FWD_CHAIN),
    chainRules('nat', 'POSTROUTING'),
    chainRules('filter', 'FORWARD'),
  ]);
  return { nat, filter, jumpNat: (post ?? []).includes(JUMP_NAT), jumpFwd: (fwd ?? []).includes(JUMP_FWD) };
}

function liveLines(l: NatLive): string[] {
  return [...(l.jumpNat ? [`nat ${JUMP_NAT}`] : []), ...(l.nat ?? []).map((r) => `nat ${r}`), ...(l.jumpFwd ? [`filter ${JUMP_FWD}`] : []), ...(l.filter ?? []).map((r) => `filter ${r}`)];
}

export function natRulesStep(subnets: string[], uplink: string, enabled: boolean): Step {
  const want = desiredNatRules(subnets, uplink);
  const wantLines = enabled ? [`nat ${JUMP_NAT}`, ...want.nat.map((r) => `nat ${r}`), `filter ${JUMP_FWD}`, ...want.filter.map((r) => `filter ${r}`)] : [];
  return {
    id: 'nat-rules',
    title: enabled ? `NAT: ${subnets.length} node subnet(s) masqueraded out of ${uplink}` : 'NAT rules removed',
    where: 'manager',
    async check() {
      const live = await readNatLive();
      const have = liveLines(live);
      const inSync = have.length === wantLines.length && have.every((l, i) => l === wantLines[i]);
      if (inSync) return { inSync, summary: enabled ? `MASQUERADE for ${subnets.join(', ') || 'no subnets'} out of ${uplink}` : 'no picluster rules' };
      const removed = have.filter((l) => !wantLines.includes(l));
      const added = wantLines.filter((l) => !have.includes(l));
      return {
        inSync,
        summary: enabled ? `set ${want.nat.length} MASQUERADE + ${want.filter.length} FORWARD rules` : `remove ${have.length} picluster rules`,
        diff: lineDiff(removed, added) || 'reorder rules',
      };
    },
    async apply() {
      if (enabled) {
        // Declaring a chain in --noflush mode flushes just that chain: the swap is atomic per table.
        const input = ['*nat', `:${NAT_CHAIN} - [0:0]`, ...want.nat, 'COMMIT', '*filter', `:${FWD_CHAIN} - [0:0]`, ...want.filter, 'COMMIT', ''].join('\n');
        await mustLocal(['iptables-restore', '-w', '--noflush'], { input });
        const live = await readNatLive();
        if (!live.jumpNat) await mustLocal(['iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-j', NAT_CHAIN]);
        if (!live.jumpFwd) await mustLocal(['iptables', '-w', '-I', 'FORWARD', '1', '-j', FWD_CHAIN]);
        return;
      }
      for (const [table, parent, chain] of [
        ['nat', 'POSTROUTING', NAT_CHAIN],
        ['filter', 'FORWARD', FWD_CHAIN],
      ]) {
        for (let i = 0; i < 10; i++) {
          const r = await runLocal(['iptables', '-w', '-t', table, '-D', parent, '-j', chain]);
          if (!ok(r)) break;
        }
        await runLocal(['iptables', '-w', '-t', table, '-F', chain]);
        await runLocal(['iptables', '-w', '-t', table, '-X', chain]);
      }
    },
  };
}

export function forwardingLiveStep(): Step {
  return {
    id: 'ip-forward',
    title: 'IPv4 forwarding on',
    where: 'manager',
    async check() {
      const r = await runLocal(['sysctl', '-n', 'net.ipv4.ip_forward']);
      if (!ok(r)) throw new Error(describeFailure(r));
      const v = r.stdout.trim();
      return v === '1' ? { inSync: true, summary: 'net.ipv4.ip_forward = 1' } : { inSync: false, summary: 'turn on net.ipv4.ip_forward', diff: lineDiff([`net.ipv4.ip_forward = ${v}`], ['net.ipv4.ip_forward = 1']) };
    },
    async apply() {
      await mustLocal(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    },
  };
}

export const SYSCTL_CONTENT = '# Managed by picluster: the manager routes between its Pi Zeros and the uplink.\nnet.ipv4.ip_forward = 1\n';

export function forwardingPersistStep(files: FileTarget): Step {
  return fileStep({ id: 'ip-forward-persist', title: `forwarding persisted in ${SYSCTL_FILE}`, where: 'manager', target: files, path: SYSCTL_FILE, desired: () => SYSCTL_CONTENT });
}

/** iptables-save output without timestamps and counters, so two dumps of the same rules compare equal. */
export function normalizeRules(text: string): string {
  return (
    text
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .map((l) => l.replace(/\[\d+:\d+\]$/, '[0:0]'))
      .join('\n') + '\n'
  );
}

export async function liveRulesDump(): Promise<string> {
  const r = await mustLocal(['iptables-save']);
  return normalizeRules(r.stdout);
}

/** What Arch's iptables.service restores at boot, kept equal to the live rules. */
export function saveRulesStep(files: FileTarget): Step {
  return {
    id: 'rules-saved',
    title: `rules saved to ${IPTABLES_RULES}`,
    where: 'manager',
    async check() {
      const [live, saved] = await Promise.all([liveRulesDump(), files.read(IPTABLES_RULES)]);
      if (saved !== null && normalizeRules(saved) === live) return { inSync: true, summary: `${IPTABLES_RULES} matches live rules` };
      return { inSync: false, summary: `save live rules to ${IPTABLES_RULES}`, diff: fileDiff(IPTABLES_RULES, saved === null ? null : normalizeRules(saved), live) };
    },
    async apply() {
      await files.write(IPTABLES_RULES, await liveRulesDump(), 0o644);
      return ['make sure iptables.service is enabled on the manager (systemctl enable iptables) so these rules are restored at boot'];
    },
  };
}
