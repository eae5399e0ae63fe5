import { ConfigError, loadConfig } from '../src/config';
import { formatAlertText } from '../src/monitor/alert';
import type { AlertMessage } from '../src/monitor/alert';

describe('monitoring settings', () => {
  test('defaults', () => {
    expect(loadConfig({}).monitor).toEqual({
      enabled: true,
      intervalMs: 2000,
      echoes: 20,
      echoIntervalMs: 20,
      echoDeadlineMs: 1000,
      timeoutMs: 5000,
      lossWarnPct: 40,
      alertAfter: 3,
      recoverAfter: 5,
      remindEveryMs: 0,
      historyRawMs: 86_400_000,
      historyRetentionMs: 30 * 86_400_000,
      metricsPort: undefined,
      metricsHost: '127.0.0.1',
    });
    expect(loadConfig({ MONITORING: 'off', REMIND_EVERY: '1h', METRICS_PORT: '9464' }).monitor).toMatchObject({ enabled: false, remindEveryMs: 3_600_000, metricsPort: 9464 });
  });

  test('inconsistent combinations are all reported at once, by name', () => {
    let err: ConfigError | undefined;
    try {
      loadConfig({ ECHO_DEADLINE: '1500ms', CHECK_INTERVAL: '1s', CHECK_TIMEOUT: '1s', HISTORY_RAW: '2d', HISTORY_RETENTION: '1d', METRICS_PORT: 'abc', LOSS_WARN: '0', METRICS_HOST: 'eth0;x' });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = err!.problems.join('\n');
    expect(text).toMatch(/ECHO_DEADLINE must be whole seconds/);
    expect(text).toMatch(/CHECK_TIMEOUT \(1s\) must be at least ECHO_DEADLINE/);
    expect(text).toMatch(/CHECK_INTERVAL \(1s\) must be at least ECHO_DEADLINE/);
    expect(text).toMatch(/HISTORY_RETENTION \(1d\) must be at least HISTORY_RAW \(2d\)/);
    expect(text).toMatch(/METRICS_PORT must be a whole number/);
    expect(text).toMatch(/LOSS_WARN must be a number from 1 to 100/);
    expect(text).toMatch(/METRICS_HOST must be an IP address/);
  });
});

describe('alert rendering', () => {
  const a: AlertMessage = {
    id: 42,
    nonce: 'pc0123456789abcdef',
    kind: 'alert',
    severity: 'critical',
    node: 3,
    state: 'down',
    title: 'Node 3 is down',
    text: 'Link gone: no interface has MAC 00:22:82:ff:ff:03.',
    fields: [{ name: 'Loss', value: '100% (0/20 answered)' }, { name: 'Counters', value: 'x'.repeat(2000) }],
    createdAt: Date.UTC(2026, 0, 1, 12, 0, 0),
  };

  test('terminal text carries title, body and every field', () => {
    const t = formatAlertText(a);
    expect(t.split('\n')[0]).toMatch(/^🔴 Node 3 is down {2}\[\d\d:\d\d:\d\d\]$/);
    expect(t).toContain('Link gone: no interface has MAC 00:22:82:ff:ff:03.');
    expect(t).toContain('  Loss: 100% (0/20 answered)');
  });
});
