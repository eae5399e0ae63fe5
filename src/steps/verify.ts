import { NodeAddressing } from '../cluster/model';
import { SshPool } from '../exec/ssh';
import { ok } from '../exec/result';
import { pingHost } from '../system/ping';
import { ifaceNameForMac } from '../system/links';
import { Step } from './step';

export function pingVerifyStep(a: NodeAddressing, count = 3): Step {
  return {
    id: 'verify-ping',
    title: `${count} echoes to ${a.workerIp}, 0% loss`,
    where: 'verify',
    verifyOnly: true,
    async check() {
      if (!ifaceNameForMac(a.hostMac)) return { inSync: false, summary: `not pinged: no interface has MAC ${a.hostMac}` };
      const p = await pingHost(a.workerIp, { count, intervalMs: 200, waitS: 1 });
      const rtt = p.avgMs !== null ? `, rtt min/avg/max ${p.minMs?.toFixed(2)}/${p.avgMs.toFixed(2)}/${p.maxMs?.toFixed(2)} ms` : '';
      return { inSync: p.lossPct === 0, summary: `${p.received}/${p.sent} replies, ${p.lossPct}% loss${rtt}` };
    },
    async apply() {},
  };
}

/** Proves SSH over the node's real address (not only the link-local one used to set it up). */
export function sshVerifyStep(pool: SshPool, a: NodeAddressing): Step {
  return {
    id: 'verify-ssh',
    title: `SSH round trip to ${a.workerIp}`,
    where: 'verify',
    verifyOnly: true,
    async check() {
      const via = await pool.currentVia(a.node);
      if (via !== a.workerIp) pool.drop(a.node);
      const r = await pool.exec(a, ['true'], { prefer: 'ipv4' });
      const landed = r.via === a.workerIp;
      if (ok(r) && landed) return { inSync: true, summary: `ssh ${a.workerIp} ok in ${r.durationMs.toFixed(0)} ms` };
      return { inSync: false, summary: r.error ?? (landed ? `exit ${r.code}` : `only reachable via ${r.via ?? 'nothing'}`) };
    },
    async apply() {},
  };
}
