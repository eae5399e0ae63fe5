import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { startMonitoring } from '../src/monitor';
import { listOutbox } from '../src/monitor/outbox';
import { CollectingSink, tempEngine, waitFor } from './monitor-support';

/**
 * The real Bree schedule and worker thread. SUBNET_PREFIX=127.0 puts the node addresses in the
 * loopback range (127.0.11.2 ...), so real echoes are answered without touching any network.
 */
const LOOPBACK = { SUBNET_PREFIX: '127.0' };
const get = (url: string) =>
  new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    }).on('error', reject);
  });

describe('monitor with Bree', () => {
  let env: ReturnType<typeof tempEngine>;
  const running: Array<{ stop(): Promise<void> }> = [];
  afterEach(async () => {
    // Stop every monitor even when an assertion failed mid-test, so no schedule outlives its test.
    for (const m of running.splice(0)) await m.stop().catch(() => undefined);
    await env.cleanup();
  });

  test('runs the check job on schedule with real echoes; serves Prometheus metrics; a clean stop is not a failure', async () => {
    env = tempEngine(LOOPBACK, [1, 2]);
    const sink = new CollectingSink();
    const m = startMonitoring(env.engine, sink, { settings: { intervalMs: 700, echoes: 5, metricsPort: 0 } });
    running.push(m);
    await m.ready;
    const checks: number[] = [];
    m.events.on('check', (r) => checks.push(r.samples.length));
    await waitFor(() => checks.length >= 3, 10_000, 'three check runs');
    const st = m.nodeStates().get(1)!;
    expect(st.last!.sample).toMatchObject({ node: 1, sent: 5, received: 5, lossPct: 0, link: null });
    expect(st.last!.sample.rttAvgMs).toBeGreaterThan(0);
    expect(checks.every((n) => n === 2)).toBe(true);

    const res = await get(`http://127.0.0.1:${m.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toMatch(/^picluster_node_up\{node="1",iface="ethpi1"\} 1$/m);
    expect(res.body).toMatch(/^picluster_node_loss_ratio\{node="2",iface="ethpi2"\} 0$/m);
    expect(res.body).toMatch(/^picluster_node_rtt_seconds\{node="1",iface="ethpi1",stat="avg"\} [0-9.e-]+$/m);
    expect(res.body).toMatch(/^picluster_node_alert_state\{node="1",iface="ethpi1",state="healthy"\} 1$/m);
    expect(res.body).toMatch(/^picluster_monitor_check_runs_total\{\} [3-9]\d*$/m);
    expect(res.body).toMatch(/^# TYPE picluster_node_receive_errors_total counter$/m);
    expect((await get(`http://127.0.0.1:${m.metricsPort}/other`)).status).toBe(404);

    await m.stop();
    expect(m.stats.failures).toBe(0);
    expect(listOutbox(env.engine.db)).toEqual([]);
    const rows = (env.engine.db.prepare('SELECT COUNT(*) n FROM check_history').get() as { n: number }).n;
    expect(rows).toBeGreaterThanOrEqual(6);
  });

  test('a metrics port that is taken costs the endpoint, not the monitoring', async () => {
    env = tempEngine(LOOPBACK, [1]);
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (blocker.address() as { port: number }).port;
      const m = startMonitoring(env.engine, new CollectingSink(), { settings: { intervalMs: 500, echoes: 3, metricsPort: port } });
      running.push(m);
      await m.ready;
      expect(m.metricsPort).toBeUndefined();
      await waitFor(() => m.stats.runs >= 1, 10_000, 'a check run');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  test('a second monitor on the same data directory is refused (it would double every alert)', async () => {
    env = tempEngine(LOOPBACK, [1]);
    const a = startMonitoring(env.engine, new CollectingSink(), { settings: { intervalMs: 5000 } });
    running.push(a);
    await a.ready;
    const b = startMonitoring(env.engine, new CollectingSink(), { settings: { intervalMs: 5000 } });
    await expect(b.ready).rejects.toThrow(/busy/);
    await a.stop();
  });

  test('crash, garbage, silent exit and timeout are each reported; one alert per failure streak, then a recovery', async () => {
    env = tempEngine(LOOPBACK, [1]);
    const modeFile = path.join(env.dir, 'mode');
    fs.writeFileSync(modeFile, 'crash');
    const sink = new CollectingSink();
    const m = startMonitoring(env.engine, sink, {
      settings: { intervalMs: 400, timeoutMs: 1500 },
      jobPath: path.join(__dirname, 'monitor-fault-job.js'),
      jobData: { modeFile },
      dispatcher: { minBackoffMs: 10, maxBackoffMs: 50 },
    });
    running.push(m);
    const reasons: string[] = [];
    m.events.on('job-failure', (r) => reasons.push(r));
    await m.ready;
    await waitFor(() => reasons.length >= 3, 10_000, 'three crashed runs');
    expect(reasons[0]).toBe('crashed: injected crash');
    const kinds = () => listOutbox(env.engine.db).map((r) => r.kind);
    expect(kinds()).toEqual(['monitor-failure']);
    for (const [mode, re] of [['garbage', /the job sent check-result without times or samples/], ['silent', /exited without reporting a result/]] as const) {
      fs.writeFileSync(modeFile, mode);
      await waitFor(() => reasons.some((r) => re.test(r)), 10_000, `a ${mode} run`);
    }
    fs.writeFileSync(modeFile, 'ok');
    await waitFor(() => kinds().length === 2, 10_000, 'the recovery message');
    expect(kinds()).toEqual(['monitor-failure', 'monitor-recovery']);
    expect(listOutbox(env.engine.db)[1].message.text).toMatch(/^Checks complete again after \d+ failed run\(s\)/);

    fs.writeFileSync(modeFile, 'hang');
    await waitFor(() => reasons.some((r) => /^timed out after 1\.\d s/.test(r)), 10_000, 'a timed-out run');
    await waitFor(() => sink.delivered.length === 3, 5000, 'delivery of the three alerts');
    expect(sink.delivered.map((a) => a.kind)).toEqual(['monitor-failure', 'monitor-recovery', 'monitor-failure']);
    expect(sink.delivered[2].text).toMatch(/timed out/);
    await m.stop();
  });
});
