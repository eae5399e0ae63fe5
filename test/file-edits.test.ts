import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nodeAddressing } from '../src/cluster/model';
import { udevNameClashes, udevRulesWith, hostNetworkdContent } from '../src/steps/host';
import { addAuthorizedKey, editCmdline, editConfigTxt } from '../src/sdcard';
import { desiredNatRules, normalizeRules } from '../src/steps/nat';
import { workerNetworkContent } from '../src/steps/worker';
import { shJoin, shQuote } from '../src/exec/quote';
import { runLocal } from '../src/exec/local';

const S = { macPrefix: '00:22:82:ff', subnetPrefix: '10.0', subnetOffset: 10, uplink: 'eth0' };
const a3 = nodeAddressing(3, S);
const a1 = nodeAddressing(1, S);

describe('udev rules file shared between nodes and people', () => {
  const SEED = [
    '# my own rule',
    'SUBSYSTEM=="net", ATTR{address}=="aa:bb:cc:dd:ee:ff", NAME="lan9"',
    'SUBSYSTEM=="net", ATTR{address}=="00:22:82:ff:ff:03", NAME="ethpi3"',
    '',
  ].join('\n');

  test('adopts a hand-written rule for the same MAC in place and keeps other lines', () => {
    const out = udevRulesWith(SEED, a3, true)!;
    expect(out.split('\n')).toEqual([
      '# my own rule',
      'SUBSYSTEM=="net", ATTR{address}=="aa:bb:cc:dd:ee:ff", NAME="lan9"',
      '# picluster node 3',
      'SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="00:22:82:ff:ff:03", NAME="ethpi3"',
      '',
    ]);
    expect(udevRulesWith(out, a3, true)).toBe(out); // idempotent
  });

  test('adding node 1 appends; removing node 3 leaves node 1 and the person’s rule', () => {
    const both = udevRulesWith(udevRulesWith(SEED, a3, true), a1, true)!;
    expect(both).toContain('NAME="ethpi1"');
    const without3 = udevRulesWith(both, a3, false)!;
    expect(without3).not.toContain('ethpi3');
    expect(without3).toContain('NAME="ethpi1"');
    expect(without3).toContain('NAME="lan9"');
  });

  test('a missing file is created; removing the last rule of our own file leaves it empty', () => {
    const created = udevRulesWith(null, a3, true)!;
    expect(created).toBe('# picluster node 3\nSUBSYSTEM=="net", ACTION=="add", ATTR{address}=="00:22:82:ff:ff:03", NAME="ethpi3"\n');
    expect(udevRulesWith(created, a3, false)).toBe('');
    expect(udevRulesWith(null, a3, false)).toBeNull();
  });

  test('name clashes are found', () => {
    expect(udevNameClashes('SUBSYSTEM=="net", ATTR{address}=="11:11:11:11:11:11", NAME="ethpi3"\n', a3)).toHaveLength(1);
    expect(udevNameClashes(udevRulesWith(null, a3, true), a3)).toHaveLength(0);
  });
});

describe('networkd files', () => {
  test('host file keeps the address without carrier and does not block boot', () => {
    const t = hostNetworkdContent(a3);
    expect(t).toMatch(/^Name=ethpi3$/m);
    expect(t).toMatch(/^Address=10\.0\.13\.1\/24$/m);
    expect(t).toMatch(/^RequiredForOnline=no$/m);
    expect(t).toMatch(/^ConfigureWithoutCarrier=yes$/m);
  });
  test('worker file has address, gateway and DNS', () => {
    const t = workerNetworkContent(a3, ['1.1.1.1', '9.9.9.9']);
    expect(t).toMatch(/^Address=10\.0\.13\.2\/24$/m);
    expect(t).toMatch(/^Gateway=10\.0\.13\.1$/m);
    expect(t.match(/^DNS=/gm)).toHaveLength(2);
  });
});

describe('SD card edits', () => {
  const seedCmdline =
    'root=/dev/mmcblk0p2 rw rootwait rootwait modules-load=dwc2,g_ether g_ether.host_addr=00:22:82:ff:ff:01 g_ether.dev_addr=00:22:82:ff:ff:11 console=ttyAMA0,115200 console=tty1 selinux=0 plymouth.enable=0 smsc95xx.turbo_mode=N dwc_otg.lpm_enable=0 kgdboc=ttyAMA0,115200 elevator=noop\n';
  test('cmdline.txt: gadget MACs replaced, every other parameter kept in order', () => {
    const out = editCmdline(seedCmdline, a3);
    expect(out.endsWith('\n')).toBe(true);
    expect(out.trim().split('\n')).toHaveLength(1);
    expect(out).toContain('g_ether.host_addr=00:22:82:ff:ff:03');
    expect(out).toContain('g_ether.dev_addr=00:22:82:ff:ff:13');
    expect(out).not.toContain('ff:ff:01');
    const others = (s: string) => s.trim().split(' ').filter((p) => !p.startsWith('g_ether.') && !p.startsWith('modules-load='));
    expect(others(out)).toEqual(others(seedCmdline));
    expect(editCmdline(out, a3)).toBe(out);
  });
  test('cmdline.txt: existing modules-load keeps its modules', () => {
    expect(editCmdline('root=/dev/x rootwait modules-load=i2c-dev quiet', a1)).toBe(
      'root=/dev/x rootwait modules-load=i2c-dev,dwc2,g_ether g_ether.host_addr=00:22:82:ff:ff:01 g_ether.dev_addr=00:22:82:ff:ff:11 quiet\n',
    );
  });
  test('config.txt and authorized_keys are idempotent', () => {
    const c = editConfigTxt('gpu_mem=16');
    expect(c).toMatch(/^dtoverlay=dwc2$/m);
    expect(editConfigTxt(c)).toBe(c);
    const k = addAuthorizedKey('ssh-rsa AAAA other\n', 'ssh-ed25519 BBBB picluster');
    expect(k).toBe('ssh-rsa AAAA other\nssh-ed25519 BBBB picluster\n');
    expect(addAuthorizedKey(k, 'ssh-ed25519 BBBB renamed')).toBe(k);
  });
});

describe('NAT rules', () => {
  test('one MASQUERADE per node subnet, out of the uplink only (not into the Pi link as the guide had)', () => {
    const r = desiredNatRules(['10.0.11.0/24', '10.0.13.0/24'], 'eth0');
    expect(r.nat).toEqual(['-A PICLUSTER-POSTROUTING -s 10.0.11.0/24 -o eth0 -j MASQUERADE', '-A PICLUSTER-POSTROUTING -s 10.0.13.0/24 -o eth0 -j MASQUERADE']);
    expect(r.filter[0]).toMatch(/RELATED,ESTABLISHED/);
    expect(r.nat.join()).not.toMatch(/ethpi/);
  });
  test('normalizing ignores timestamps and counters', () => {
    expect(normalizeRules('# Generated by x on Mon\n*nat\n:POSTROUTING ACCEPT [5:300]\nCOMMIT\n# Completed\n')).toBe(normalizeRules('*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n'));
  });
});

describe('POSIX quoting for the remote /bin/sh', () => {
  const nasty = ["3;reboot", "a b", "it's", '$(id)', '`id`', '"q"', '', 'x\ny', '*', '~root', '\\'];
  test.each(nasty)('dash sees %j as one literal word', async (word) => {
    const r = await runLocal(['dash', '-c', `printf '%s' ${shQuote(word)}`]).catch(() => undefined);
    const shell = r && r.error ? 'sh' : 'dash';
    const rr = await runLocal([shell, '-c', `printf '%s' ${shQuote(word)}`]);
    expect(rr.stdout).toBe(word);
  });
  test('shJoin keeps argv boundaries', async () => {
    const argv = ['printf', '%s|', 'a b', "c'd", '$HOME'];
    const r = await runLocal(['sh', '-c', shJoin(argv)]);
    expect(r.stdout).toBe("a b|c'd|$HOME|");
  });
});

describe('atomic local writes', () => {
  test('write leaves no temp file and sets the mode', async () => {
    const { LocalFiles } = await import('../src/system/files');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-'));
    try {
      const f = new LocalFiles();
      await f.write(path.join(dir, 'a/b.conf'), 'x\n', 0o600);
      expect(fs.readFileSync(path.join(dir, 'a/b.conf'), 'utf8')).toBe('x\n');
      expect(fs.statSync(path.join(dir, 'a/b.conf')).mode & 0o777).toBe(0o600);
      expect(fs.readdirSync(path.join(dir, 'a'))).toEqual(['b.conf']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
