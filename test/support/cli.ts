import { Lab } from '../lab/lab';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

/** The CLI as the lab's manager, with --json parsed when the command produced it. */
export async function cli(lab: Lab, args: string[], opts: { json?: boolean; input?: string } = {}): Promise<CliRun> {
  const r = await lab.runCli(opts.json === false ? args : [...args, '--json'], { timeoutMs: 120_000, input: opts.input });
  let json: any;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, json };
}

export function stepStatuses(json: any): Record<string, string> {
  return Object.fromEntries((json?.steps ?? []).map((s: any) => [s.id, s.status]));
}
