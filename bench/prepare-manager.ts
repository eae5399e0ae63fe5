import { Lab } from '../test/lab/lab';

/** Non-fresh lab workers already carry their IPv4; give the manager side its name and address in one `ip -batch`. */
export async function prepareManager(lab: Lab): Promise<void> {
  const lines: string[] = [];
  for (const n of lab.nodes) {
    const a = lab.addressing(n);
    const k = lab.hostIfaceKernelName(n);
    lines.push(`link set dev ${k} down`, `link set dev ${k} name ${a.hostIface}`, `link set dev ${a.hostIface} up`, `address add ${a.hostIp}/${a.prefixLen} dev ${a.hostIface}`);
  }
  const r = await lab.managerExec(['ip', '-batch', '-'], { input: lines.join('\n') + '\n' });
  if (r.code !== 0) throw new Error(`manager setup failed: ${r.stderr}`);
}
