/**
 * Slash commands generated from the command definitions, and the reverse: the values of an
 * interaction turned back into the named arguments every transport passes to executeCommand.
 */
import type { APIApplicationCommandOption, RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { ApplicationCommandOptionType, PermissionFlagsBits } from 'discord.js';
import { ClusterSettings, maxNode, MIN_NODE } from '../cluster/model';
import type { Args, CommandDef, OptionDef } from '../commands/types';

export type SlashCommandJson = RESTPostAPIChatInputApplicationCommandsJSONBody;

/** Discord's limit for command and option descriptions. */
const DESCRIPTION_MAX = 100;

function describe(text: string): string {
  const t = text.trim() || '-';
  return t.length <= DESCRIPTION_MAX ? t : t.slice(0, DESCRIPTION_MAX - 1) + '…';
}

/** The option whose choices become sub-commands (`/nat enable`), if any. */
export function subcommandOption(def: CommandDef): OptionDef | undefined {
  return def.options.find((o) => o.subcommand && o.choices?.length);
}

function safely(f: () => boolean, fallback: boolean): boolean {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function defaults(def: CommandDef): Args {
  const a: Args = {};
  for (const o of def.options) if (o.default !== undefined) a[o.name] = o.default;
  return a;
}

/**
 * Whether every invocation of the command changes something. Those are hidden from members without
 * Manage Server (default_member_permissions); commands that only sometimes change something
 * (`/nat status|enable`, `/sdcard` without a card) stay visible and are checked per invocation.
 */
export function alwaysMutates(def: CommandDef): boolean {
  const sub = subcommandOption(def);
  if (sub) return sub.choices!.every((c) => safely(() => def.mutates({ ...defaults(def), [sub.name]: c }), true));
  return safely(() => def.mutates(defaults(def)), true);
}

function optionJson(o: OptionDef, settings: ClusterSettings): APIApplicationCommandOption {
  const base = { name: o.name, description: describe(o.description), required: Boolean(o.required) };
  switch (o.type) {
    case 'node':
      // Integer with bounds: Discord itself refuses 0, -1 or 300; autocomplete offers the inventory.
      return { ...base, type: ApplicationCommandOptionType.Integer, min_value: MIN_NODE, max_value: maxNode(settings), autocomplete: true };
    case 'nodeOrAll':
      return { ...base, type: ApplicationCommandOptionType.String, max_length: 16, autocomplete: true };
    case 'integer':
      return {
        ...base,
        type: ApplicationCommandOptionType.Integer,
        ...(o.min !== undefined ? { min_value: o.min } : {}),
        ...(o.max !== undefined ? { max_value: o.max } : {}),
      };
    case 'boolean':
      return { ...base, type: ApplicationCommandOptionType.Boolean };
    case 'duration':
      return { ...base, type: ApplicationCommandOptionType.String, max_length: 20 };
    case 'string':
      if (o.choices?.length) {
        return { ...base, type: ApplicationCommandOptionType.String, choices: o.choices.slice(0, 25).map((c) => ({ name: c, value: c })) };
      }
      return { ...base, type: ApplicationCommandOptionType.String, max_length: 500 };
  }
}

/** Discord wants every required option before the optional ones; keep the definition order otherwise. */
function ordered(opts: APIApplicationCommandOption[]): APIApplicationCommandOption[] {
  return [...opts.filter((o) => 'required' in o && o.required), ...opts.filter((o) => !('required' in o && o.required))];
}

const DRY_RUN: APIApplicationCommandOption = { name: 'dry-run', description: 'Show the plan and the diffs; change nothing', type: ApplicationCommandOptionType.Boolean, required: false };

/** One command definition as a Discord chat-input command. */
export function slashCommand(def: CommandDef, settings: ClusterSettings): SlashCommandJson {
  const sub = subcommandOption(def);
  const visible = def.options.filter((o) => !o.cliOnly && o !== sub);
  let options: APIApplicationCommandOption[];
  if (sub) {
    options = sub.choices!.map((choice) => {
      const mine = visible.filter((o) => !o.onlyFor || o.onlyFor.includes(choice)).map((o) => optionJson(o, settings));
      const mutates = safely(() => def.mutates({ ...defaults(def), [sub.name]: choice }), true);
      if (def.dryRun && mutates) mine.push(DRY_RUN);
      return {
        type: ApplicationCommandOptionType.Subcommand,
        name: choice,
        description: describe(sub.choiceDescriptions?.[choice] ?? `${def.name} ${choice}`),
        options: ordered(mine),
      } as APIApplicationCommandOption;
    });
  } else {
    options = visible.map((o) => optionJson(o, settings));
    if (def.dryRun) options.push(DRY_RUN);
    options = ordered(options);
  }
  return {
    name: def.name,
    description: describe(def.description),
    options,
    default_member_permissions: alwaysMutates(def) ? PermissionFlagsBits.ManageGuild.toString() : null,
    // Guild only: the bot's permissions model is about members of one server.
    contexts: [0],
    nsfw: false,
  };
}

export function slashCommands(defs: CommandDef[], settings: ClusterSettings): SlashCommandJson[] {
  return defs.map((d) => slashCommand(d, settings));
}

/** A resolved interaction option as discord.js exposes it (`interaction.options.data`). */
export interface InteractionOption {
  name: string;
  type: number;
  value?: string | number | boolean;
  options?: readonly InteractionOption[];
}

/**
 * The named arguments of a slash command invocation, in the same shape the CLI parser produces, so
 * validation (and its error messages) is shared: `{ node: 3, action: 'set', 'dry-run': true }`.
 */
export function rawArgsFromOptions(def: CommandDef, data: readonly InteractionOption[]): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  let leaf = data;
  const sub = subcommandOption(def);
  const first = data[0];
  if (sub && first && first.type === ApplicationCommandOptionType.Subcommand) {
    raw[sub.name] = first.name;
    leaf = first.options ?? [];
  }
  for (const o of leaf) {
    if (o.value === undefined) continue;
    raw[o.name] = o.value;
  }
  return raw;
}

/** `add-node 3 --dry-run`: how a command line reads, for titles, audit and the expiry message. */
export function commandLine(def: CommandDef, args: Args): string {
  const words = [def.name];
  for (const o of def.options) {
    const v = args[o.name];
    if (v === undefined || (o.default !== undefined && v === o.default && !o.positional)) continue;
    if (o.positional) words.push(String(o.type === 'duration' ? formatMs(v) : v));
    else if (o.type === 'boolean') {
      if (v) words.push(`--${o.name}`);
    } else words.push(`--${o.name} ${o.type === 'duration' ? formatMs(v) : String(v)}`);
  }
  if (args['dry-run']) words.push('--dry-run');
  return words.join(' ');
}

function formatMs(v: unknown): string {
  const ms = Number(v);
  if (!Number.isFinite(ms)) return String(v);
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** `/route set node:3`: how the user typed it in Discord. */
export function slashLine(def: CommandDef, raw: Record<string, unknown>): string {
  const sub = subcommandOption(def);
  const words = [`/${def.name}`];
  if (sub && raw[sub.name] !== undefined) words.push(String(raw[sub.name]));
  for (const [k, v] of Object.entries(raw)) if (k !== sub?.name && v !== undefined) words.push(`${k}:${String(v)}`);
  return words.join(' ');
}
