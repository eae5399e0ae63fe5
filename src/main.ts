import { openEngineOrExit } from './bootstrap';
import type { Engine } from './engine';
import { log } from './log';
import { ShellAlertSink, startMonitoring, type AlertSink, type Monitor } from './monitor';
import { Shell } from './shell';

/** Reachability monitoring in this process (MONITORING=on), alerts to `sink`; stopped on shutdown. */
function monitoring(engine: Engine, sink: AlertSink): Monitor | undefined {
  if (!engine.config.monitor.enabled) {
    log.info('monitoring is off (MONITORING=off)');
    return undefined;
  }
  return startMonitoring(engine, sink);
}

async function stopMonitor(monitor: Monitor | undefined): Promise<void> {
  try {
    await monitor?.stop();
  } catch (e) {
    log.error('monitoring did not stop cleanly', e);
  }
}

/** Discord mode: the bot, with monitoring posting alerts to ALERT_CHANNEL_ID. */
async function runDiscord(engine: Engine): Promise<void> {
  const { DiscordBot } = await import('./discord/bot');
  const bot = new DiscordBot(engine);
  // Alerts queue in the outbox until Discord answers, so monitoring need not wait for the login.
  const monitor = monitoring(engine, bot.alertSink());
  let exiting = false;
  const stop = async (why: string, code: number) => {
    if (exiting) return;
    exiting = true;
    log.info(`${why}: shutting down`);
    await bot.stop({ beforeLogout: () => stopMonitor(monitor) });
    await engine.close().catch((e) => log.error('closing the engine failed', e));
    log.info('bye');
    process.exit(code);
  };
  process.once('SIGTERM', () => void stop('SIGTERM', 0));
  process.once('SIGINT', () => void stop('SIGINT', 0));
  try {
    await bot.start();
  } catch (e) {
    log.error(e instanceof Error ? e.message : String(e));
    await stop('login failed', 1);
  }
}

/**
 * `npm start`: the Discord bot when DISCORD_TOKEN is set, otherwise the local shell adapter.
 */
async function main(): Promise<void> {
  const engine = openEngineOrExit();
  if (engine.key.created) log.info(`created the bot SSH key ${engine.key.path}; public key: ${engine.key.publicKey}`);
  process.on('unhandledRejection', (e) => log.error('unhandled rejection', e));
  if (engine.config.discord.token) {
    await runDiscord(engine);
    return;
  }
  const shell = new Shell(engine);
  const monitor = monitoring(engine, new ShellAlertSink((t) => shell.notify(t)));
  shell.start();
  const stop = async () => {
    shell.close();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await shell.done;
  await stopMonitor(monitor);
  await engine.close();
  process.exit(0);
}

main().catch((e) => {
  log.error('fatal', e);
  process.exit(1);
});
