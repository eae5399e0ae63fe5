import { errorMessage, isUserError } from '../errors';

/** What a read-only check found. */
export interface CheckResult {
  inSync: boolean;
  /** Current state, or what would change, in one line. */
  summary: string;
  /** Unified diff of a file, or before→after lines for live state. */
  diff?: string;
}

/**
 * One desired-state action, Ansible-style: check (read-only) → diff → apply → check again.
 * Re-running a step that is in sync changes nothing.
 */
export interface Step {
  id: string;
  title: string;
  where: 'manager' | 'worker' | 'verify';
  check(): Promise<CheckResult>;
  /** Make it so; may return notes for the user (e.g. "udevadm not found: rule written, rename done live"). */
  apply(): Promise<string[] | void>;
  /** Verification-only steps have no apply: their check is the result. */
  verifyOnly?: boolean;
}

export type StepStatus = 'ok' | 'changed' | 'would-change' | 'failed' | 'skipped' | 'unknown';

export interface StepResult {
  id: string;
  title: string;
  where: Step['where'];
  status: StepStatus;
  summary: string;
  diff?: string;
  notes: string[];
  durationMs: number;
}

export type ProgressEvent =
  | { type: 'plan'; steps: Array<{ id: string; title: string; where: Step['where'] }>; dryRun: boolean }
  | { type: 'step-start'; id: string; title: string }
  | { type: 'step-done'; result: StepResult }
  | { type: 'note'; text: string };

export type ProgressSink = (e: ProgressEvent) => void;

export interface RunStepsOptions {
  dryRun?: boolean;
  onProgress?: ProgressSink;
  signal?: AbortSignal;
}

/**
 * Runs steps in order and stops at the first failure: later steps depend on earlier ones (no
 * worker address without the host link). In a dry run nothing is applied and a check that cannot
 * run yet (worker unreachable before the host side exists) is reported, not fatal.
 */
export async function runSteps(steps: Step[], opts: RunStepsOptions = {}): Promise<StepResult[]> {
  const emit = opts.onProgress ?? (() => undefined);
  emit({ type: 'plan', steps: steps.map((s) => ({ id: s.id, title: s.title, where: s.where })), dryRun: Boolean(opts.dryRun) });
  const results: StepResult[] = [];
  let blocked: string | undefined;
  for (const step of steps) {
    if (blocked || opts.signal?.aborted) {
      const why = opts.signal?.aborted ? 'aborted: the bot is shutting down' : `not run: ${blocked}`;
      const r: StepResult = { id: step.id, title: step.title, where: step.where, status: 'skipped', summary: why, notes: [], durationMs: 0 };
      results.push(r);
      emit({ type: 'step-done', result: r });
      continue;
    }
    emit({ type: 'step-start', id: step.id, title: step.title });
    const r = await runOne(step, Boolean(opts.dryRun));
    results.push(r);
    emit({ type: 'step-done', result: r });
    if (r.status === 'failed') blocked = `step "${step.title}" failed`;
  }
  return results;
}

async function runOne(step: Step, dryRun: boolean): Promise<StepResult> {
  const started = performance.now();
  const base = { id: step.id, title: step.title, where: step.where, notes: [] as string[] };
  const done = (status: StepStatus, summary: string, diff?: string) => ({ ...base, status, summary, diff, durationMs: performance.now() - started });
  let before: CheckResult;
  try {
    before = await step.check();
  } catch (e) {
    if (dryRun && !isUserError(e)) return done('unknown', `cannot check yet: ${errorMessage(e)}`);
    return done('failed', errorMessage(e));
  }
  if (before.inSync) return done('ok', before.summary);
  if (step.verifyOnly) return done(dryRun ? 'unknown' : 'failed', before.summary, before.diff);
  if (dryRun) return done('would-change', before.summary, before.diff);
  try {
    const notes = await step.apply();
    if (notes) base.notes.push(...notes);
  } catch (e) {
    return done('failed', `apply failed: ${errorMessage(e)}`, before.diff);
  }
  let after: CheckResult;
  try {
    after = await step.check();
  } catch (e) {
    return done('failed', `applied, but the re-check failed: ${errorMessage(e)}`, before.diff);
  }
  if (!after.inSync) return done('failed', `applied, but still not as desired: ${after.summary}`, after.diff ?? before.diff);
  return done('changed', before.summary, before.diff);
}

export function stepsOutcome(results: StepResult[]): 'failed' | 'changed' | 'planned' | 'unchanged' {
  if (results.some((r) => r.status === 'failed')) return 'failed';
  if (results.some((r) => r.status === 'changed')) return 'changed';
  if (results.some((r) => r.status === 'would-change' || r.status === 'unknown')) return 'planned';
  return 'unchanged';
}
