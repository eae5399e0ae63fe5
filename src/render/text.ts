import type { CommandResult, Table } from '../commands/types';
import type { ProgressEvent, StepResult, StepStatus } from '../steps/step';

export interface TextStyle {
  color: boolean;
}

const ANSI = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;
function paint(s: string, c: keyof typeof ANSI, st: TextStyle): string {
  return st.color ? `\x1b[${ANSI[c]}m${s}\x1b[0m` : s;
}

const ICON: Record<StepStatus, [string, keyof typeof ANSI]> = {
  ok: ['✓', 'green'],
  changed: ['●', 'blue'],
  'would-change': ['~', 'yellow'],
  failed: ['✗', 'red'],
  skipped: ['-', 'dim'],
  unknown: ['?', 'yellow'],
};

const LABEL: Record<StepStatus, string> = { ok: 'ok', changed: 'changed', 'would-change': 'would change', failed: 'FAILED', skipped: 'skipped', unknown: 'unknown' };

export function stepLine(r: StepResult, st: TextStyle): string {
  const [icon, col] = ICON[r.status];
  const ms = r.durationMs >= 1 ? paint(` (${r.durationMs < 1000 ? r.durationMs.toFixed(0) + ' ms' : (r.durationMs / 1000).toFixed(1) + ' s'})`, 'dim', st) : '';
  const lines = [`  ${paint(icon, col, st)} ${r.title}: ${paint(LABEL[r.status], col, st)} — ${r.summary}${ms}`];
  for (const n of r.notes) lines.push(paint(`      note: ${n}`, 'dim', st));
  if (r.diff && r.status !== 'ok') {
    for (const d of r.diff.split('\n')) {
      const c = d.startsWith('+') ? 'green' : d.startsWith('-') ? 'red' : 'dim';
      lines.push(`      ${paint(d, c, st)}`);
    }
  }
  return lines.join('\n');
}

export function renderTable(t: Table): string {
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [t.title ? `${t.title}:` : '', line(t.columns), line(widths.map((w) => '-'.repeat(w))), ...t.rows.map(line)].filter((x) => x !== '').join('\n');
}

export function renderResult(r: CommandResult, st: TextStyle, opts: { stepsShown?: boolean } = {}): string {
  const head = r.ok ? paint(r.title, 'bold', st) : paint(r.title, 'red', st);
  const out = [head, r.summary];
  if (r.steps && !opts.stepsShown) out.push(...r.steps.map((s) => stepLine(s, st)));
  for (const t of r.tables ?? []) out.push('', renderTable(t));
  for (const s of r.sections ?? []) out.push('', `${paint(s.title, 'bold', st)}:`, s.body);
  if (r.files?.length && !r.sections?.length) out.push('', `files: ${r.files.map((f) => f.name).join(', ')}`);
  if (r.hint) out.push(paint(`hint: ${r.hint}`, 'yellow', st));
  if (r.incident) out.push(paint(`incident id: ${r.incident}`, 'dim', st));
  return out.join('\n');
}

/** Live progress for a terminal: the plan once, then one line per finished step. */
export function progressPrinter(write: (s: string) => void, st: TextStyle): (e: ProgressEvent) => void {
  return (e) => {
    if (e.type === 'plan') write(paint(`${e.dryRun ? 'Plan (dry run, nothing will change)' : 'Running'}: ${e.steps.length} steps`, 'dim', st) + '\n');
    else if (e.type === 'step-done') write(stepLine(e.result, st) + '\n');
    else if (e.type === 'note') write(paint(`  ${e.text}`, 'dim', st) + '\n');
  };
}
