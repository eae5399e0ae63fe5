import type { Engine } from '../engine';
import { listNodes } from '../state/inventory';

/**
 * The nodes as an Ansible inventory, so configuration management can take over where the bot
 * stops. Addresses are the Pis' usb0 addresses, reachable from the manager (run Ansible there).
 */
export type InventoryFormat = 'ansible' | 'yaml' | 'json';
export const INVENTORY_FORMATS: InventoryFormat[] = ['ansible', 'yaml', 'json'];

export interface InventoryHost {
  name: string;
  vars: Record<string, string | number | boolean>;
}

export interface AnsibleInventory {
  group: string;
  hosts: InventoryHost[];
  vars: Record<string, string | number | boolean>;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function buildInventory(engine: Engine): AnsibleInventory {
  const { ssh } = engine.config;
  const hosts = listNodes(engine.db).map((r) => {
    const a = engine.node(r.node);
    // A hostname is only used as the inventory name when it cannot break the INI/YAML syntax.
    const name = r.hostname && SAFE_NAME.test(r.hostname) ? r.hostname : a.hostname;
    return { name, vars: { ansible_host: a.workerIp, picluster_node: r.node, picluster_iface: a.hostIface, picluster_mac: a.devMac } };
  });
  const vars: Record<string, string | number | boolean> = {
    ansible_user: ssh.user,
    ansible_port: ssh.port,
    ansible_ssh_private_key_file: engine.key.path,
  };
  if (ssh.user !== 'root') vars.ansible_become = true;
  return { group: 'picluster', hosts, vars };
}

const iniValue = (v: string | number | boolean) => (typeof v === 'string' && /[\s"'#;=]/.test(v) ? JSON.stringify(v) : String(v));
const yamlValue = (v: string | number | boolean) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

export function renderInventory(inv: AnsibleInventory, format: InventoryFormat): { fileName: string; text: string } {
  const header = '# Ansible inventory of the picluster nodes (picluster inventory). Run Ansible on the manager.';
  if (format === 'json') {
    const hostvars = Object.fromEntries(inv.hosts.map((h) => [h.name, h.vars]));
    return { fileName: 'inventory.json', text: JSON.stringify({ [inv.group]: { hosts: inv.hosts.map((h) => h.name), vars: inv.vars }, _meta: { hostvars } }, null, 2) + '\n' };
  }
  if (format === 'yaml') {
    const lines = [header, 'all:', '  children:', `    ${inv.group}:`, '      hosts:'];
    if (!inv.hosts.length) lines[lines.length - 1] = '      hosts: {}';
    for (const h of inv.hosts) {
      lines.push(`        ${h.name}:`);
      for (const [k, v] of Object.entries(h.vars)) lines.push(`          ${k}: ${yamlValue(v)}`);
    }
    lines.push('      vars:');
    for (const [k, v] of Object.entries(inv.vars)) lines.push(`        ${k}: ${yamlValue(v)}`);
    return { fileName: 'inventory.yml', text: lines.join('\n') + '\n' };
  }
  const lines = [header, `[${inv.group}]`];
  for (const h of inv.hosts) lines.push([h.name, ...Object.entries(h.vars).map(([k, v]) => `${k}=${iniValue(v)}`)].join(' '));
  lines.push('', `[${inv.group}:vars]`);
  for (const [k, v] of Object.entries(inv.vars)) lines.push(`${k}=${iniValue(v)}`);
  return { fileName: 'inventory.ini', text: lines.join('\n') + '\n' };
}
