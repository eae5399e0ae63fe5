import * as path from 'node:path';
import * as dotenv from 'dotenv';
import { Config, ConfigError, loadConfig } from './config';
import { Engine } from './engine';
import { registerSecret, setLogLevel } from './log';

/** .env (from the working directory, or PICLUSTER_ENV) then validated config; every problem at once. */
export function loadEnvConfig(): Config {
  dotenv.config({ path: process.env.PICLUSTER_ENV ?? path.resolve('.env'), quiet: true } as any);
  const config = loadConfig(process.env);
  registerSecret(config.discord.token);
  setLogLevel(config.logLevel);
  return config;
}

export function openEngineOrExit(): Engine {
  try {
    return Engine.open(loadEnvConfig());
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\nSee .env.example for every variable.\n`);
      process.exit(2);
    }
    throw e;
  }
}
