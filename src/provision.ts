import type { CommandContext, CommandResult } from './commands/types';
import type { Engine } from './engine';
import { actorLabel } from './commands/run';
import { withLock } from './state/locks';
import { deleteNode, getNode, upsertNode } from './state/inventory';
import { runSteps, Step, StepResult, stepsOutcome } from './steps/step';
import { hostAddressAbsentStep, hostAddressStep, hostNetworkdStep, linkNameStep, udevRuleStep } from './steps/host';
import { forwardingLiveStep, forwardingPersistStep, natRulesStep, saveRulesStep } from './steps/nat';
import { workerAddressStep, workerClockStep, workerHostnameStep, workerNetworkFileStep, workerRouteStep } from './steps/worker';
import { pingVerifyStep, sshVerifyStep } from './steps/verify';

/** Manager-wide NAT: forwarding on and persisted, the bot's chains covering `subnets`, rules saved. */
export function natSteps(engine: Engine, subnets: string[], enabled: boolean): Step[] {
  const rules = natRulesStep(subnets, engine.config.cluster.uplink, enabled);
  if (!enabled) return [rules, saveRulesStep(engine.files)];
  return [forwardingLiveStep(), forwardingPersistStep(engine.files), rules, saveRulesStep(engine.files)];
}

export function addNodeSteps(engine: Engine, n: number, opts: { hostname?: boolean } = {}): Step[] {
  const a = engine.node(n);
  const c = engine.config;
  return [
    udevRuleStep(engine.files, a),
    linkNameStep(a),
    hostNetworkdStep(engine.files, a),
    hostAddressStep(a),
    ...(engine.natEnabled() ? natSteps(engine, engine.natSubnets([n]), true) : []),
    workerNetworkFileStep(engine.pool, a, c.cluster.workerDns),
    workerAddressStep(engine.pool, a),
    workerRouteStep(engine.pool, a),
    workerClockStep(engine.pool, a, c.cluster.clockToleranceMs),
    ...(opts.hostname ? [workerHostnameStep(engine.pool, a)] : []),
    pingVerifyStep(a),
    sshVerifyStep(engine.pool, a),
  ];
}

export function removeNodeSteps(engine: Engine, n: number): Step[] {
  const a = engine.node(n);
  return [
    hostAddressAbsentStep(a),
    hostNetworkdStep(engine.files, a, false),
    udevRuleStep(engine.files, a, false),
    ...(engine.natEnabled() ? natSteps(engine, engine.natSubnets([], [n]), true) : []),
  ];
}

/** Headline for a step run, the same words in every transport. */
export function stepsResult(what: string, results: StepResult[], dryRun: boolean): CommandResult {
  const outcome = dryRun ? (results.some((r) => r.status === 'would-change' || r.status === 'unknown') ? 'planned' : 'unchanged') : stepsOutcome(results);
  const failed = results.find((r) => r.status === 'failed');
  const changed = results.filter((r) => r.status === 'changed').length;
  const pending = results.filter((r) => r.status === 'would-change' || r.status === 'unknown').length;
  let title: string;
  let summary: string;
  if (failed) {
    title = `${what}: failed at "${failed.title}"`;
    summary = failed.summary;
  } else if (dryRun) {
    title = `${what}: dry run`;
    summary = pending ? `${pending} of ${results.length} steps would change; nothing was changed.` : 'Everything is already as desired; nothing would change.';
  } else if (changed) {
    title = `${what}: done`;
    summary = `${changed} of ${results.length} steps changed something; all checks pass.`;
  } else {
    title = `${what}: already in place`;
    summary = `All ${results.length} steps already as desired; nothing changed.`;
  }
  return { ok: !failed, outcome, title, summary, steps: results, data: { outcome, steps: results } };
}

/**
 * Runs a node's steps under its lock (one operation per node at a time, across processes),
 * with the node marked busy so monitoring stays quiet meanwhile.
 */
export async function runNodeOperation(ctx: CommandContext, n: number, what: string, steps: Step[], after?: (results: StepResult[]) => void): Promise<CommandResult> {
  const { engine } = ctx;
  const run = async () => {
    const results = await runSteps(steps, { dryRun: ctx.dryRun, onProgress: ctx.progress, signal: ctx.signal });
    if (!ctx.dryRun) after?.(results);
    return stepsResult(what, results, ctx.dryRun);
  };
  if (ctx.dryRun) return run();
  return withLock(engine.db, [`node:${n}`], actorLabel(ctx.actor), async () => {
    engine.markBusy(n, true);
    try {
      // Shared manager files and the NAT chains are rewritten whole: serialise against other nodes.
      return await withLock(engine.db, ['manager-config'], actorLabel(ctx.actor), run, 120_000);
    } finally {
      engine.markBusy(n, false);
    }
  });
}

export async function addNode(ctx: CommandContext, n: number, hostname: boolean): Promise<CommandResult> {
  const { engine } = ctx;
  if (!ctx.dryRun && !getNode(engine.db, n)) upsertNode(engine.db, n, actorLabel(ctx.actor), {});
  const res = await runNodeOperation(ctx, n, `add-node ${n}`, addNodeSteps(engine, n, { hostname }), (results) => {
    if (!results.some((r) => r.status === 'failed')) upsertNode(engine.db, n, actorLabel(ctx.actor), { provisionedAt: Date.now(), hostname: hostname ? engine.node(n).hostname : undefined });
  });
  if (!res.ok) res.hint = `Fix the cause and run add-node ${n} again: steps already done are skipped.`;
  return res;
}

export async function removeNode(ctx: CommandContext, n: number): Promise<CommandResult> {
  const { engine } = ctx;
  return runNodeOperation(ctx, n, `remove-node ${n}`, removeNodeSteps(engine, n), (results) => {
    if (!results.some((r) => r.status === 'failed')) {
      deleteNode(engine.db, n);
      engine.pool.drop(n);
    }
  });
}
