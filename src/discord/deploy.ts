/**
 * `npm run deploy-commands`: registers the slash commands generated from commands/ with Discord,
 * in GUILD_ID (instant) or globally. It first reads what is registered and sends nothing when that
 * already matches, so running it on every deploy costs one GET.
 */
import { REST, Routes, type RESTGetAPIApplicationCommandsResult } from 'discord.js';
import { commands } from '../../commands';
import { loadEnvConfig } from '../bootstrap';
import type { CommandDef } from '../commands/types';
import { Config, ConfigError } from '../config';
import { errorMessage } from '../errors';
import { redact } from '../log';
import { slashCommands, type SlashCommandJson } from './slash';

/** The fields that decide a command's behaviour, with Discord's defaults filled in, for comparison. */
function canonicalOption(o: any): unknown {
  return {
    type: o.type,
    name: o.name,
    description: o.description ?? '',
    required: Boolean(o.required),
    autocomplete: Boolean(o.autocomplete),
    choices: (o.choices ?? []).map((c: any) => ({ name: c.name, value: c.value })),
    min_value: o.min_value ?? null,
    max_value: o.max_value ?? null,
    min_length: o.min_length ?? null,
    max_length: o.max_length ?? null,
    options: (o.options ?? []).map(canonicalOption),
  };
}

export function canonicalCommand(c: any): unknown {
  return {
    type: c.type ?? 1,
    name: c.name,
    description: c.description ?? '',
    default_member_permissions: c.default_member_permissions ?? null,
    nsfw: Boolean(c.nsfw),
    contexts: c.contexts ?? null,
    options: (c.options ?? []).map(canonicalOption),
  };
}

/** Whether `remote` (GET of the registered commands) already equals `local`, ignoring order and server-side fields. */
export function sameCommands(local: SlashCommandJson[], remote: RESTGetAPIApplicationCommandsResult): boolean {
  const key = (list: any[]) => JSON.stringify(list.map(canonicalCommand).sort((a: any, b: any) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  return key(local) === key(remote.filter((c) => (c.type ?? 1) === 1));
}

export interface DeployResult {
  scope: string;
  count: number;
  changed: boolean;
}

export async function deployCommands(config: Config, opts: { defs?: CommandDef[]; rest?: REST; force?: boolean } = {}): Promise<DeployResult> {
  const d = config.discord;
  if (!d.token) throw new ConfigError(['DISCORD_TOKEN is not set: copy the bot token from the Discord developer portal (Bot → Reset Token) into .env.']);
  const rest = opts.rest ?? new REST({ version: '10', ...(d.api ? { api: d.api } : {}), timeout: 15_000, retries: 2 }).setToken(d.token);
  const appId = d.appId ?? ((await rest.get(Routes.currentApplication())) as { id: string }).id;
  const body = slashCommands(opts.defs ?? commands, config.cluster);
  const route = d.guildId ? Routes.applicationGuildCommands(appId, d.guildId) : Routes.applicationCommands(appId);
  const scope = d.guildId ? `server ${d.guildId}` : 'every server (global; may take up to an hour to show)';
  const existing = (await rest.get(route)) as RESTGetAPIApplicationCommandsResult;
  if (!opts.force && sameCommands(body, existing)) return { scope, count: body.length, changed: false };
  await rest.put(route, { body });
  return { scope, count: body.length, changed: true };
}

async function main(argv: string[]): Promise<number> {
  let config: Config;
  try {
    config = loadEnvConfig();
    const r = await deployCommands(config, { force: argv.includes('--force') });
    process.stdout.write(
      r.changed ? `Registered ${r.count} slash commands for ${r.scope}.\n` : `The ${r.count} slash commands registered for ${r.scope} are up to date; nothing was sent (use --force to send anyway).\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\nSee .env.example for every variable.\n`);
      return 2;
    }
    process.stderr.write(`Could not register the commands: ${redact(errorMessage(e))}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
