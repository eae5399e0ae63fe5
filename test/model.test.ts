import { ipInSubnet, linkLocalFromMac, maxNode, nodeAddressing, parseNodeNumber, validateClusterSettings } from '../src/cluster/model';

const S = { macPrefix: '00:22:82:ff', subnetPrefix: '10.0', subnetOffset: 10, uplink: 'eth0' };

describe('cluster model', () => {
  test('node 1 matches the guide exactly', () => {
    const a = nodeAddressing(1, S);
    expect(a).toMatchObject({ hostIface: 'ethpi1', hostMac: '00:22:82:ff:ff:01', devMac: '00:22:82:ff:ff:11', hostIp: '10.0.11.1', workerIp: '10.0.11.2', subnet: '10.0.11.0/24' });
  });

  test('link-local is the EUI-64 of the Pi MAC (the guide shows fe80::222:82ff:feff:ff01 for host MAC ff:01)', () => {
    expect(linkLocalFromMac('00:22:82:ff:ff:01')).toBe('fe80::222:82ff:feff:ff01');
    expect(nodeAddressing(3, S).workerLinkLocal).toBe('fe80::222:82ff:feff:ff13');
  });

  test('MACs and subnets are unique across every possible node', () => {
    const macs = new Set<string>();
    const subnets = new Set<string>();
    for (let n = 1; n <= maxNode(S); n++) {
      const a = nodeAddressing(n, S);
      for (const m of [a.hostMac, a.devMac]) {
        expect(macs.has(m)).toBe(false);
        expect(m).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
        macs.add(m);
      }
      expect(subnets.has(a.subnet)).toBe(false);
      subnets.add(a.subnet);
    }
    expect(maxNode(S)).toBe(245);
    expect(nodeAddressing(10, S).hostMac).toBe('00:22:82:ff:fe:0a');
    expect(nodeAddressing(16, S).devMac).toBe('00:22:82:ff:fd:10');
  });

  test.each(['0', '-1', '300', '246', '3;reboot', '3 4', '', '  ', '1e2', '0x3', '3.0', 'all'])('node "%s" is refused with a clear message', (bad) => {
    expect(() => parseNodeNumber(bad, S)).toThrow(/node|Node/);
  });

  test('valid node numbers parse', () => {
    expect(parseNodeNumber('3', S)).toBe(3);
    expect(parseNodeNumber(' 245 ', S)).toBe(245);
    expect(parseNodeNumber(7, S)).toBe(7);
  });

  test('bad settings are all reported at once', () => {
    const errs = validateClusterSettings({ macPrefix: '01:22:82:ff', subnetPrefix: '10.300', subnetOffset: 254, uplink: 'ethpi1' });
    expect(errs).toHaveLength(4);
    expect(errs.join(' ')).toMatch(/multicast/);
    expect(errs.join(' ')).toMatch(/SUBNET_PREFIX/);
    expect(errs.join(' ')).toMatch(/SUBNET_OFFSET/);
    expect(errs.join(' ')).toMatch(/UPLINK_IFACE/);
  });

  test('ipInSubnet', () => {
    expect(ipInSubnet('10.0.13.7', '10.0.13.0/24')).toBe(true);
    expect(ipInSubnet('10.0.14.7', '10.0.13.0/24')).toBe(false);
  });
});
