import type { Engine } from '../engine';
import { UserError } from '../errors';

/** "all" means the inventory; a number means that node, known or not (diagnostics work before add-node). */
export function resolveNodes(engine: Engine, value: unknown): number[] {
  if (value === 'all') {
    const nodes = engine.inventory();
    if (!nodes.length) throw new UserError('No nodes in the inventory yet. Add one with: add-node N');
    return nodes;
  }
  return [value as number];
}
