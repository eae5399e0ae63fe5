import { openEngineOrExit } from './bootstrap';
import { log } from './log';
import { Shell } from './shell';

/**
 * `npm start`: the Discord bot when DISCORD_TOKEN is set, otherwise the local shell adapter.
 */
async function main(): Promise<void> {
  const engine = openEngineOrExit();
  if (engine.key.created) log.info(`created the bot SSH key ${engine.key.path}; public key: ${engine.key.publicKey}`);
  if (engine.config.discord.token) {
    const { startDiscord } = await import('./discord/bot');
    await startDiscord(engine);
    return;
  }
  const shell = new Shell(engine);
  shell.start();
  const stop = async () => {
    shell.close();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await shell.done;
  await engine.close();
  process.exit(0);
}

main().catch((e) => {
  log.error('fatal', e);
  process.exit(1);
});
