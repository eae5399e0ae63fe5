import { UserError } from '../errors';

/** The knobs that decide every name and address in the cluster. */
export interface ClusterSettings {
  /** First four bytes of every gadget MAC, e.g. "00:22:82:ff". */
  macPrefix: string;
  /** First two octets of every node subnet, e.g. "10.0". */
  subnetPrefix: string;
  /** Node N gets the /24 whose third octet is subnetOffset + N (the seed uses 10: node 1 → 10.0.11.0/24). */
  subnetOffset: number;
  /** The manager's interface towards the LAN/internet (the seed's eth0). */
  uplink: string;
}

export interface NodeAddressing {
  node: number;
  /** Name the manager gives the gadget interface (udev rule + live rename). */
  hostIface: string;
  /** g_ether.host_addr: the MAC the manager sees for this Pi's link. */
  hostMac: string;
  /** g_ether.dev_addr: the MAC of usb0 on the Pi itself. */
  devMac: string;
  subnet: string;
  prefixLen: number;
  hostIp: string;
  workerIp: string;
  /** IPv6 link-local of the Pi's usb0 (EUI-64 of devMac), reachable before usb0 has IPv4. */
  workerLinkLocal: string;
  hostname: string;
}

export const MIN_NODE = 1;

export function maxNode(s: ClusterSettings): number {
  return Math.min(254, 255 - s.subnetOffset);
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/**
 * MAC scheme. Nodes 1–9 keep the seed's addresses so existing SD cards keep working:
 * host PREFIX:ff:0N, dev PREFIX:ff:1N. From node 10 on the seed's pattern would collide
 * (node 16's host byte 0x10 would equal node 0's dev byte), so the fifth byte carries the role
 * instead: host PREFIX:fe:NN, dev PREFIX:fd:NN with NN = N in hex. The two ranges never meet.
 */
export function nodeMacs(node: number, macPrefix: string): { hostMac: string; devMac: string } {
  if (node <= 9) {
    return { hostMac: `${macPrefix}:ff:0${node}`, devMac: `${macPrefix}:ff:1${node}` };
  }
  return { hostMac: `${macPrefix}:fe:${hex2(node)}`, devMac: `${macPrefix}:fd:${hex2(node)}` };
}

/** RFC 4291 modified EUI-64: flip the universal/local bit and insert ff:fe. */
export function linkLocalFromMac(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  b[0] ^= 0x02;
  const words = [
    (b[0] << 8) | b[1],
    (b[2] << 8) | 0xff,
    (0xfe << 8) | b[3],
    (b[4] << 8) | b[5],
  ];
  return 'fe80::' + words.map((w) => w.toString(16)).join(':');
}

export function nodeAddressing(node: number, s: ClusterSettings): NodeAddressing {
  const third = s.subnetOffset + node;
  const { hostMac, devMac } = nodeMacs(node, s.macPrefix);
  return {
    node,
    hostIface: `ethpi${node}`,
    hostMac,
    devMac,
    subnet: `${s.subnetPrefix}.${third}.0/24`,
    prefixLen: 24,
    hostIp: `${s.subnetPrefix}.${third}.1`,
    workerIp: `${s.subnetPrefix}.${third}.2`,
    workerLinkLocal: linkLocalFromMac(devMac),
    hostname: `worker${node}`,
  };
}

/** Strict parse of a node number typed by a user: digits only, inside the configured range. */
export function parseNodeNumber(text: unknown, s: ClusterSettings): number {
  const max = maxNode(s);
  const raw = typeof text === 'number' ? String(text) : typeof text === 'string' ? text.trim() : '';
  if (raw === '') throw new UserError(`A node number is required (${MIN_NODE}–${max}).`);
  if (!/^\d{1,3}$/.test(raw)) {
    throw new UserError(`"${raw}" is not a node number: use a whole number from ${MIN_NODE} to ${max}.`);
  }
  const n = Number(raw);
  if (n < MIN_NODE || n > max) {
    throw new UserError(
      `Node ${n} is out of range: nodes are numbered ${MIN_NODE}–${max} ` +
        `(subnet ${s.subnetPrefix}.${s.subnetOffset}+N.0/24 must stay a valid address).`,
    );
  }
  return n;
}

const MAC_PREFIX_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){3}$/;
const SUBNET_PREFIX_RE = /^(\d{1,3})\.(\d{1,3})$/;

/** Every problem with the settings, in words a user understands (empty when fine). */
export function validateClusterSettings(s: ClusterSettings): string[] {
  const errors: string[] = [];
  if (!MAC_PREFIX_RE.test(s.macPrefix)) {
    errors.push(`MAC_PREFIX must be four lowercase hex bytes like 00:22:82:ff, got "${s.macPrefix}".`);
  } else if (parseInt(s.macPrefix.slice(0, 2), 16) & 0x01) {
    errors.push(`MAC_PREFIX "${s.macPrefix}" is a multicast address (lowest bit of the first byte set); gadget MACs must be unicast.`);
  }
  const m = SUBNET_PREFIX_RE.exec(s.subnetPrefix);
  if (!m || Number(m[1]) > 255 || Number(m[2]) > 255) {
    errors.push(`SUBNET_PREFIX must be two octets like 10.0, got "${s.subnetPrefix}".`);
  }
  if (!Number.isInteger(s.subnetOffset) || s.subnetOffset < 0 || s.subnetOffset > 253) {
    errors.push(`SUBNET_OFFSET must be a whole number from 0 to 253 (node N uses third octet OFFSET+N), got "${s.subnetOffset}".`);
  }
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(s.uplink)) {
    errors.push(`UPLINK_IFACE must be an interface name (1–15 letters, digits, . _ -), got "${s.uplink}".`);
  } else if (/^ethpi\d+$/.test(s.uplink)) {
    errors.push(`UPLINK_IFACE "${s.uplink}" is a node interface name; the uplink must be the manager's own LAN interface.`);
  }
  return errors;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function ipInSubnet(ip: string, subnet: string): boolean {
  const [base, len] = subnet.split('/');
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((ipToInt(ip) & mask) >>> 0) === ((ipToInt(base) & mask) >>> 0);
}
