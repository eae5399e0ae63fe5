import type { Engine } from './engine';
import { listLinks } from './system/links';

/**
 * Whether this machine looks like a cluster manager: it knows nodes already, or has an interface
 * with the gadget MAC prefix or an ethpiN name. A laptop that is none of these gets the plan
 * shown and a question before its network is touched.
 */
export async function looksLikeManager(engine: Engine): Promise<boolean> {
  if (engine.inventory().length) return true;
  const prefix = engine.config.cluster.macPrefix;
  return (await listLinks()).some((l) => l.mac.startsWith(prefix) || /^ethpi\d+$/.test(l.name));
}

export const LAB_HINT = 'To try picluster without a cluster, run it in the lab: npm run lab -- shell   (an emulated manager with Pi Zeros in network namespaces).';
