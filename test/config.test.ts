import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, envExample, loadConfig, parseDuration, VARS } from '../src/config';

describe('config', () => {
  test('defaults give the guide layout', () => {
    const c = loadConfig({});
    expect(c.cluster).toMatchObject({ uplink: 'eth0', macPrefix: '00:22:82:ff', subnetPrefix: '10.0', subnetOffset: 10 });
    expect(c.ssh.user).toBe('root');
  });

  test('every problem is reported at once, naming the variable', () => {
    let err: ConfigError | undefined;
    try {
      loadConfig({ SUBNET_OFFSET: 'ten', WORKER_SSH_PORT: '70000', MAC_PREFIX: 'zz', GUILD_ID: 'abc', SSH_CONNECT_TIMEOUT: 'soon' });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = err!.problems.join('\n');
    for (const v of ['SUBNET_OFFSET', 'WORKER_SSH_PORT', 'MAC_PREFIX', 'GUILD_ID', 'SSH_CONNECT_TIMEOUT']) expect(text).toContain(v);
  });

  test('durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1500ms')).toBe(1500);
    expect(parseDuration('2')).toBe(2000);
    expect(parseDuration('soon')).toBeUndefined();
  });

  test('.env.example documents every variable and matches the generator', () => {
    const text = fs.readFileSync(path.join(__dirname, '..', '..', '.env.example'), 'utf8');
    for (const v of VARS) expect(text).toMatch(new RegExp(`^${v.name}=`, 'm'));
    expect(text).toBe(envExample());
  });

  test('secrets have no default in .env.example', () => {
    expect(envExample()).toMatch(/^DISCORD_TOKEN=$/m);
  });
});
