import { runLocal, LocalOptions } from './local';
import { describeFailure, ExecResult, ok } from './result';

/** For steps: a failed command becomes an error naming the command and its stderr. */
export async function mustLocal(argv: string[], opts: LocalOptions = {}): Promise<ExecResult> {
  const r = await runLocal(argv, { timeoutMs: 20_000, ...opts });
  if (!ok(r)) throw new Error(describeFailure(r));
  return r;
}
