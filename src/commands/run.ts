import * as crypto from 'node:crypto';
import type { Engine } from '../engine';
import { errorMessage, isUserError } from '../errors';
import { log } from '../log';
import { recordAudit } from '../state/audit';
import { ProgressSink } from '../steps/step';
import { validateArgs } from './args';
import { Actor, Args, CommandDef, CommandResult } from './types';

export interface ExecuteOptions {
  progress?: ProgressSink;
  signal?: AbortSignal;
}

export function newIncidentId(): string {
  return crypto.randomBytes(4).toString('hex');
}

export function actorLabel(a: Actor): string {
  return `${a.transport}:${a.name}${a.id && a.id !== a.name ? `(${a.id})` : ''}`;
}

/** Validated args, or the refusal a transport shows as-is (nothing has run). */
export function prepareArgs(engine: Engine, def: CommandDef, raw: Record<string, unknown>): { args?: Args; refusal?: CommandResult } {
  try {
    return { args: validateArgs(def, raw, engine) };
  } catch (e) {
    if (!isUserError(e)) throw e;
    return { refusal: { ok: false, outcome: 'refused', title: `${def.name}: invalid input`, summary: e.message, hint: e.hint } };
  }
}

/**
 * The single entry point for running a command from any transport: validates, runs, turns errors
 * into results (user mistakes verbatim, internal failures as an incident id) and audits it all.
 */
export async function executeCommand(engine: Engine, def: CommandDef, raw: Record<string, unknown>, actor: Actor, opts: ExecuteOptions = {}): Promise<CommandResult> {
  const started = performance.now();
  const prepared = prepareArgs(engine, def, raw);
  let result: CommandResult;
  const args = prepared.args ?? {};
  if (prepared.refusal) {
    result = prepared.refusal;
  } else {
    try {
      result = await def.run(
        {
          engine,
          actor,
          dryRun: Boolean(args['dry-run']),
          progress: opts.progress ?? (() => undefined),
          signal: opts.signal ?? new AbortController().signal,
        },
        args,
      );
    } catch (e) {
      if (isUserError(e)) {
        result = { ok: false, outcome: 'failed', title: `${def.name} failed`, summary: e.message, hint: e.hint };
      } else {
        const incident = newIncidentId();
        log.error(`incident ${incident} in ${def.name} ${JSON.stringify(raw)}`, e);
        result = { ok: false, outcome: 'error', title: `${def.name} hit an internal error`, summary: `Something went wrong (${errorMessage(e).split('\n')[0].slice(0, 200)}). Incident ${incident} is in the bot log with details.`, incident };
      }
    }
  }
  recordAuditSafe(engine, { actor, command: def.name, args: prepared.args ?? raw, result, durationMs: performance.now() - started });
  return result;
}

export function recordAuditSafe(engine: Engine, e: { actor: Actor; command: string; args: Record<string, unknown>; result: CommandResult; durationMs: number }): void {
  try {
    recordAudit(engine.db, {
      at: Date.now(),
      actor: actorLabel(e.actor),
      transport: e.actor.transport,
      command: e.command,
      args: e.args,
      outcome: e.result.outcome,
      summary: e.result.summary,
      durationMs: e.durationMs,
      incident: e.result.incident,
    });
  } catch (err) {
    log.error('could not write the audit log', err);
  }
}
