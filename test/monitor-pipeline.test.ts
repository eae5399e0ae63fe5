import { Monitor } from '../src/monitor/monitor';
import { listOutbox } from '../src/monitor/outbox';
import { addSilence, clearSilences } from '../src/monitor/silences';
import { deleteNode } from '../src/state/inventory';
import { CollectingSink, link, result, sample, tempEngine } from './monitor-support';

/**
 * The main-thread half of monitoring, driven with synthetic check results exactly as the Bree worker
 * would post them: history, alert state, silences, provisioning, persistence across a restart.
 */
describe('monitor pipeline', () => {
  let env: ReturnType<typeof tempEngine>;
  let t: number;
  beforeEach(() => {
    env = tempEngine({}, [2, 3]);
    t = Date.now() - 1000 * 2000;
  });
  afterEach(() => env.cleanup());

  const rows = () => listOutbox(env.engine.db);
  const kinds = () => rows().map((r) => `${r.kind}:${r.node}`);
  /** One check of nodes 2 and 3; node 2 always answers, node 3 gets `received` replies over `l`. */
  function check(m: Monitor, received: number, l: ReturnType<typeof link> | null = link({ name: 'ethpi3' })) {
    t += 2000;
    m.handleResult(result(t, [sample(2, 20), sample(3, received, 20, l)]));
  }

  test('a dead node gives exactly one alert and, once back, exactly one recovery; every check is in the history', () => {
    const m = new Monitor(env.engine, new CollectingSink());
    for (let i = 0; i < 3; i++) check(m, 20);
    for (let i = 0; i < 8; i++) check(m, 0, null);
    for (let i = 0; i < 10; i++) check(m, 20);
    expect(kinds()).toEqual(['alert:3', 'recovery:3']);
    const [alert, recovery] = rows().map((r) => r.message);
    expect(alert.title).toBe('Node 3 is down');
    expect(alert.severity).toBe('critical');
    expect(alert.text).toMatch(/^Link gone: no interface has MAC 00:22:82:ff:ff:03/);
    expect(alert.fields.map((f) => f.name)).toEqual(['Loss', 'RTT', 'Since', 'Link', expect.stringMatching(/^Counters since last good check/)]);
    expect(alert.fields[0].value).toBe('100% (0/20 answered)');
    expect(recovery.title).toBe('Node 3 recovered');
    expect(recovery.severity).toBe('ok');
    expect(recovery.text).toMatch(/It was down for 16s/);
    const n = env.engine.db.prepare('SELECT COUNT(*) n FROM check_history').get() as { n: number };
    expect(n.n).toBe(21 * 2);
  });

  test('the alert text tells the layers apart', () => {
    const cases: Array<[number, ReturnType<typeof link> | null, RegExp]> = [
      [0, link({ name: 'ethpi3', carrier: false, operstate: 'LOWERLAYERDOWN' }), /^Link gone: ethpi3 exists but has no carrier/],
      [0, link({ name: 'ethpi3', adminUp: false }), /^Link down on the manager: ethpi3 is administratively down/],
      [0, link({ name: 'ethpi3' }), /^Link up but no reply: ethpi3 has carrier, yet none of 20 echoes to 10\.0\.13\.2 was answered/],
      [9, link({ name: 'ethpi3' }), /^Partial loss: 55% of echoes to 10\.0\.13\.2 lost \(9\/20 answered\)/],
    ];
    for (const [received, l, re] of cases) {
      const e = tempEngine({}, [2, 3]);
      try {
        const m = new Monitor(e.engine, new CollectingSink());
        check(m, 20, link({ name: 'ethpi3', txPackets: 500, rxErrors: 1 }));
        for (let i = 0; i < 3; i++) check(m, received, l ? { ...l, txPackets: 560 + i, rxErrors: 4 } : l);
        const out = listOutbox(e.engine.db);
        expect(out).toHaveLength(1);
        expect(out[0].message.text).toMatch(re);
        expect(out[0].message.fields.find((f) => f.name.startsWith('Counters'))!.value).toBe('rx +0 / tx +62 packets, errors rx +3 tx +0, dropped rx +0 tx +0');
      } finally {
        e.engine.close();
      }
    }
  });

  test('nothing while muted; when the silence ends and the node is still down, one alert', () => {
    const m = new Monitor(env.engine, new CollectingSink());
    addSilence(env.engine.db, { node: 3, endsAt: Date.now() + 3_600_000, reason: 'maintenance', by: 'test' });
    for (let i = 0; i < 10; i++) check(m, 0, null);
    expect(kinds()).toEqual([]);
    expect(m.nodeStates().get(3)!.level).toBe('down'); // tracked all along
    clearSilences(env.engine.db, 3, 'test');
    check(m, 0, null);
    expect(kinds()).toEqual(['alert:3']);
    expect(rows()[0].message.text).toMatch(/while the node was muted; that has ended/);
    check(m, 0, null);
    expect(kinds()).toEqual(['alert:3']);
  });

  test('a node that went down and came back while muted produces nothing at all', () => {
    const m = new Monitor(env.engine, new CollectingSink());
    addSilence(env.engine.db, { node: null, endsAt: Date.now() + 3_600_000, reason: '', by: 'test' });
    for (let i = 0; i < 5; i++) check(m, 0, null);
    for (let i = 0; i < 6; i++) check(m, 20);
    clearSilences(env.engine.db, 'all', 'test');
    for (let i = 0; i < 5; i++) check(m, 20);
    expect(kinds()).toEqual([]);
  });

  test('provisioning silences the node (busy event and lock row) and it is judged afresh afterwards', () => {
    const m = new Monitor(env.engine, new CollectingSink());
    m.restore();
    env.engine.markBusy(3, true);
    for (let i = 0; i < 6; i++) check(m, 0, null);
    env.engine.markBusy(3, false);
    check(m, 0, null);
    check(m, 0, null);
    expect(kinds()).toEqual([]); // the checks taken mid-provisioning do not count
    check(m, 0, null);
    expect(kinds()).toEqual(['alert:3']);
    // A CLI process provisioning node 2 holds its lock row: that mutes too.
    env.engine.db.prepare("INSERT INTO locks(name, owner, pid, at) VALUES ('node:2', 'cli:test', ?, ?)").run(process.pid, Date.now());
    for (let i = 0; i < 5; i++) m.handleResult(result((t += 2000), [sample(2, 0, 20, null), sample(3, 0, 20, null)]));
    expect(kinds()).toEqual(['alert:3']);
  });

  test('after a restart nothing is re-announced, and the recovery still comes', () => {
    const a = new Monitor(env.engine, new CollectingSink());
    a.restore();
    for (let i = 0; i < 4; i++) check(a, 0, null);
    expect(kinds()).toEqual(['alert:3']);
    const b = new Monitor(env.engine, new CollectingSink());
    b.restore();
    for (let i = 0; i < 6; i++) check(b, 0, null);
    expect(kinds()).toEqual(['alert:3']);
    for (let i = 0; i < 5; i++) check(b, 20);
    expect(kinds()).toEqual(['alert:3', 'recovery:3']);
  });

  test('REMIND_EVERY repeats an alert while the node stays down (off by default)', async () => {
    expect(env.engine.config.monitor.remindEveryMs).toBe(0);
    const m = new Monitor(env.engine, new CollectingSink(), { settings: { remindEveryMs: 150 } });
    for (let i = 0; i < 3; i++) check(m, 0, null);
    check(m, 0, null);
    expect(kinds()).toEqual(['alert:3']);
    await new Promise((r) => setTimeout(r, 200));
    check(m, 0, null);
    check(m, 0, null);
    expect(kinds()).toEqual(['alert:3', 'reminder:3']);
    expect(rows()[1].message.title).toBe('Node 3 is still down');
  });

  test('a node removed from the inventory is forgotten without an alert', () => {
    const m = new Monitor(env.engine, new CollectingSink());
    check(m, 20);
    deleteNode(env.engine.db, 3);
    for (let i = 0; i < 5; i++) check(m, 0, null);
    expect(kinds()).toEqual([]);
    expect(m.nodeStates().has(3)).toBe(false);
  });
});
