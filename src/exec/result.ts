/** What one command did. A non-zero exit is data: callers decide whether it is an error. */
export interface ExecResult {
  argv: string[];
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Set when the command could not run at all (binary missing, timeout, connection lost). */
  error?: string;
}

export function ok(r: ExecResult): boolean {
  return r.code === 0 && !r.error;
}

/** One line that says why a command failed, for step output. */
export function describeFailure(r: ExecResult): string {
  const cmd = r.argv.join(' ');
  if (r.error) return `${cmd}: ${r.error}`;
  const why = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ');
  return `${cmd} exited ${r.code ?? r.signal}${why ? `: ${why}` : ''}`;
}
