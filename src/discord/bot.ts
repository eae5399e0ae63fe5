import type { Engine } from '../engine';

/** Placeholder until the Discord transport lands: fail loudly rather than pretend. */
export async function startDiscord(_engine: Engine): Promise<void> {
  throw new Error('The Discord transport is not built yet; unset DISCORD_TOKEN to use the shell adapter.');
}
