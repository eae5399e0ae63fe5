import { advance, announcementFor, classifyCheck, initialState, NodeAlertState, Thresholds, Transition } from '../src/monitor/alert-state';
import { loadConfig } from '../src/config';
import { binomialReceived, link, rng, sample, simulateCheck } from './monitor-support';

const defaults = loadConfig({}).monitor;
const TH: Thresholds = { lossWarnPct: defaults.lossWarnPct, alertAfter: defaults.alertAfter, recoverAfter: defaults.recoverAfter };
const ECHOES = defaults.echoes;

/** Feeds checks (echoes received per check) 2 s apart; returns every transition with its check index. */
function feed(receivedPerCheck: Array<number | { sent: number; received: number }>, th = TH, start: NodeAlertState = initialState(3, 0), sent = ECHOES, links?: Array<ReturnType<typeof link> | null>) {
  let st = start;
  const transitions: Array<Transition & { index: number; since: number }> = [];
  receivedPerCheck.forEach((c, i) => {
    const [received, n] = typeof c === 'number' ? [c, sent] : [c.received, c.sent];
    const r = advance(st, sample(3, received, n, links ? links[i] : link()), i * 2000, th);
    st = r.state;
    if (r.transition) transitions.push({ ...r.transition, index: i, since: st.since });
  });
  return { st, transitions };
}

describe('alert state machine', () => {
  test('defaults are the documented ones', () => {
    expect(TH).toEqual({ lossWarnPct: 40, alertAfter: 3, recoverAfter: 5 });
    expect(ECHOES).toBe(20);
    expect(defaults.intervalMs).toBe(2000);
  });

  test('classifies checks with a hysteresis band between LOSS_WARN/2 and LOSS_WARN', () => {
    expect(classifyCheck(sample(1, 20), 40)).toBe('good');
    expect(classifyCheck(sample(1, 17), 40)).toBe('good'); // 15 %
    expect(classifyCheck(sample(1, 16), 40)).toBe('marginal'); // 20 %
    expect(classifyCheck(sample(1, 13), 40)).toBe('marginal'); // 35 %
    expect(classifyCheck(sample(1, 12), 40)).toBe('lossy'); // 40 %
    expect(classifyCheck(sample(1, 1), 40)).toBe('lossy');
    expect(classifyCheck(sample(1, 0), 40)).toBe('dead');
  });

  test('a dead node goes down on exactly the ALERT_AFTER-th dead check, since its first one', () => {
    const { transitions } = feed([20, 20, 0, 0, 0, 0, 0]);
    expect(transitions).toEqual([{ from: 'healthy', to: 'down', index: 4, since: 2 * 2000 }]);
  });

  test('two bad checks in a row never alert', () => {
    const pattern = [20, 0, 0, 20, 5, 5, 20, 0, 3, 20, 20];
    expect(feed(pattern).transitions).toEqual([]);
  });

  test('the link dying in the middle of a check gives one "down", not "degraded" then "down"', () => {
    // good, half the echoes lost (link went mid-check), then dead
    const { transitions } = feed([20, 10, 0, 0, 0, 0]);
    expect(transitions.map((t) => t.to)).toEqual(['down']);
    expect(transitions[0].index).toBe(3);
  });

  test('60% loss is "degraded", recovery needs RECOVER_AFTER good checks', () => {
    const { transitions } = feed([20, 8, 8, 8, 8, 20, 20, 20, 20, 20, 20]);
    expect(transitions).toEqual([
      { from: 'healthy', to: 'degraded', index: 3, since: 2000 },
      { from: 'degraded', to: 'healthy', index: 9, since: 5 * 2000 },
    ]);
  });

  test('a marginal check (between LOSS_WARN/2 and LOSS_WARN) breaks a recovery streak: no flapping at ~30% loss', () => {
    const { transitions } = feed([8, 8, 8, 20, 20, 14, 20, 20, 20, 20, 14, 20, 20]);
    expect(transitions.map((t) => t.to)).toEqual(['degraded']);
  });

  test('escalation and improvement need ALERT_AFTER checks of the new kind', () => {
    const { transitions } = feed([8, 8, 8, 0, 0, 8, 0, 0, 0, 8, 8, 8]);
    expect(transitions.map((t) => `${t.from}->${t.to}@${t.index}`)).toEqual(['healthy->degraded@2', 'degraded->down@8', 'down->degraded@11']);
  });

  test('counter baseline is the last good check while healthy', () => {
    const links = [link({ txPackets: 100 }), link({ txPackets: 140 }), link({ txPackets: 160, carrier: false }), link({ txPackets: 180, carrier: false }), link({ txPackets: 200, carrier: false })];
    const { st } = feed([20, 20, 0, 0, 0], TH, initialState(3, 0), ECHOES, links);
    expect(st.level).toBe('down');
    expect(st.baseline?.txPackets).toBe(140);
    expect(st.baselineAt).toBe(2000);
  });

  test('10% random loss with the defaults: no alert in 100,000 checks (2.3 days); the same test catches a bad threshold', () => {
    const rand = rng(42);
    const maxSent = defaults.echoDeadlineMs / defaults.echoIntervalMs;
    const checks = Array.from({ length: 100_000 }, () => simulateCheck(0.1, rand, ECHOES, maxSent));
    const sent = checks.reduce((a, c) => a + c.sent, 0);
    const measured = 1 - checks.reduce((a, c) => a + c.received, 0) / sent;
    expect(measured).toBeGreaterThan(0.095);
    expect(measured).toBeLessThan(0.105);
    expect(feed(checks).transitions).toEqual([]);
    // With LOSS_WARN at 20% the same loss pages people many times a day: the simulation has teeth.
    expect(feed(checks, { ...TH, lossWarnPct: 20 }).transitions.length).toBeGreaterThan(10);
    // And so would sampling a fixed 5 echoes per check with the default threshold.
    const small = Array.from({ length: 100_000 }, () => binomialReceived(5, 0.1, rand));
    expect(feed(small, TH, initialState(3, 0), 5).transitions.length).toBeGreaterThan(10);
  });

  test('40% and 50% random loss are reported within a few checks', () => {
    for (const [p, seed] of [[0.4, 3], [0.5, 7]]) {
      const rand = rng(seed);
      const checks = Array.from({ length: 60 }, () => simulateCheck(p, rand, ECHOES, 50));
      const { transitions } = feed(checks);
      expect(transitions[0]).toMatchObject({ from: 'healthy', to: 'degraded' });
      expect(transitions[0].index).toBeLessThan(30);
    }
  });

  test('50% random loss with fixed-size samples is reported within a few checks', () => {
    const rand = rng(7);
    const checks = Array.from({ length: 30 }, () => binomialReceived(ECHOES, 0.5, rand));
    const { transitions } = feed(checks);
    expect(transitions[0]).toMatchObject({ from: 'healthy', to: 'degraded' });
    expect(transitions[0].index).toBeLessThan(10);
  });

  test('what users must be told', () => {
    expect(announcementFor('healthy', 'healthy')).toBeNull();
    expect(announcementFor('healthy', 'down')).toBe('alert');
    expect(announcementFor('healthy', 'degraded')).toBe('alert');
    expect(announcementFor('degraded', 'down')).toBe('escalation');
    expect(announcementFor('down', 'degraded')).toBe('improvement');
    expect(announcementFor('down', 'healthy')).toBe('recovery');
  });
});
