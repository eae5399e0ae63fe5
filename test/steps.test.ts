import { runSteps, Step } from '../src/steps/step';

function fakeStep(id: string, state: { ok: boolean }, opts: { failApply?: boolean; stuck?: boolean } = {}): Step & { applied: number } {
  const s = {
    id,
    title: id,
    where: 'manager' as const,
    applied: 0,
    async check() {
      return { inSync: state.ok, summary: state.ok ? 'fine' : 'needs change', diff: state.ok ? undefined : '- a\n+ b' };
    },
    async apply() {
      s.applied++;
      if (opts.failApply) throw new Error('boom');
      if (!opts.stuck) state.ok = true;
    },
  };
  return s;
}

describe('desired-state step runner', () => {
  test('check → apply → re-check; second run changes nothing', async () => {
    const st = { ok: false };
    const s = fakeStep('a', st);
    const first = await runSteps([s]);
    expect(first[0].status).toBe('changed');
    expect(first[0].diff).toBe('- a\n+ b');
    const second = await runSteps([s]);
    expect(second[0].status).toBe('ok');
    expect(s.applied).toBe(1);
  });

  test('dry run applies nothing and shows the diff', async () => {
    const s = fakeStep('a', { ok: false });
    const r = await runSteps([s], { dryRun: true });
    expect(r[0].status).toBe('would-change');
    expect(r[0].diff).toContain('+ b');
    expect(s.applied).toBe(0);
  });

  test('a failure stops later steps and names the step', async () => {
    const bad = fakeStep('bad', { ok: false }, { failApply: true });
    const later = fakeStep('later', { ok: false });
    const events: string[] = [];
    const r = await runSteps([bad, later], { onProgress: (e) => events.push(e.type) });
    expect(r.map((x) => x.status)).toEqual(['failed', 'skipped']);
    expect(r[0].summary).toMatch(/apply failed: boom/);
    expect(r[1].summary).toMatch(/step "bad" failed/);
    expect(later.applied).toBe(0);
    expect(events).toEqual(['plan', 'step-start', 'step-done', 'step-done']);
  });

  test('an apply that does not converge is a failure, not a silent success', async () => {
    const r = await runSteps([fakeStep('stuck', { ok: false }, { stuck: true })]);
    expect(r[0].status).toBe('failed');
    expect(r[0].summary).toMatch(/still not as desired/);
  });
});
