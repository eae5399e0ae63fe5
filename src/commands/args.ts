import { maxNode, MIN_NODE, parseNodeNumber } from '../cluster/model';
import { parseDuration } from '../config';
import { UserError } from '../errors';
import type { Engine } from '../engine';
import { Args, CommandDef, OptionDef } from './types';

/** Splits a shell-adapter line into words; quotes group, nothing is ever expanded or executed. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let has = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
    }
  }
  if (quote) throw new UserError(`Unclosed ${quote} quote.`);
  if (has || cur) out.push(cur);
  return out;
}

function optionValue(def: CommandDef, opt: OptionDef, raw: unknown, engine: Engine): string | number | boolean {
  const where = `${def.name} ${opt.positional ? `<${opt.name}>` : `--${opt.name}`}`;
  switch (opt.type) {
    case 'node':
      return parseNodeNumber(raw, engine.config.cluster);
    case 'nodeOrAll':
      if (String(raw).trim().toLowerCase() === 'all') return 'all';
      return parseNodeNumber(raw, engine.config.cluster);
    case 'integer': {
      const s = String(raw).trim();
      const n = Number(s);
      if (!/^-?\d+$/.test(s) || (opt.min !== undefined && n < opt.min) || (opt.max !== undefined && n > opt.max)) {
        const range = opt.min !== undefined && opt.max !== undefined ? ` from ${opt.min} to ${opt.max}` : '';
        throw new UserError(`${where} must be a whole number${range}, got "${s}".`);
      }
      return n;
    }
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (/^(true|yes|1|on)$/i.test(String(raw))) return true;
      if (/^(false|no|0|off)$/i.test(String(raw))) return false;
      throw new UserError(`${where} must be true or false, got "${raw}".`);
    case 'duration': {
      const ms = parseDuration(String(raw));
      if (ms === undefined || ms <= 0) throw new UserError(`${where} must be a duration like 30m, 2h or 1d, got "${raw}".`);
      return ms;
    }
    case 'string': {
      const s = String(raw);
      if (opt.choices && !opt.choices.includes(s)) {
        throw new UserError(`${where} must be one of ${opt.choices.join(', ')}, got "${s}".`);
      }
      if (s.length > 500) throw new UserError(`${where} is too long (500 characters at most).`);
      return s;
    }
  }
}

/**
 * Validates named values (from Discord options, or from parsed argv) against a command's
 * options. Every transport goes through here, so the same input is refused the same way.
 */
export function validateArgs(def: CommandDef, raw: Record<string, unknown>, engine: Engine): Args {
  const out: Args = {};
  const known = new Set(def.options.map((o) => o.name));
  for (const k of Object.keys(raw)) {
    if (!known.has(k) && k !== 'dry-run') throw new UserError(`${def.name} has no option "${k}". Try: ${def.name} --help`);
  }
  const action = def.options.find((o) => o.subcommand);
  const actionValue = action ? (raw[action.name] ?? action.default) : undefined;
  for (const opt of def.options) {
    const v = raw[opt.name];
    if (v === undefined || v === '') {
      if (opt.required) {
        const hint = opt.type === 'node' ? ` (${MIN_NODE}–${maxNode(engine.config.cluster)})` : opt.type === 'nodeOrAll' ? ` (a node number or "all")` : opt.choices ? ` (${opt.choices.join('|')})` : '';
        throw new UserError(`${def.name} needs <${opt.name}>${hint}. Try: ${def.name} --help`);
      }
      if (opt.default !== undefined) out[opt.name] = opt.default;
      continue;
    }
    if (opt.onlyFor && actionValue !== undefined && !opt.onlyFor.includes(String(actionValue))) {
      throw new UserError(`--${opt.name} only applies to ${def.name} ${opt.onlyFor.join('|')}.`);
    }
    out[opt.name] = optionValue(def, opt, v, engine);
  }
  if (raw['dry-run'] !== undefined) out['dry-run'] = Boolean(raw['dry-run']);
  return out;
}

export interface ParsedLine {
  def: CommandDef;
  raw: Record<string, unknown>;
  json: boolean;
  yes: boolean;
  help: boolean;
}

/** Parses `add-node 3 --dry-run --count=5` style argv for one command (CLI and shell). */
export function parseArgv(tokens: string[], defs: CommandDef[]): ParsedLine {
  if (tokens.length === 0) throw new UserError('No command given. Type help for the list.');
  const name = tokens[0].replace(/^\//, '');
  const def = defs.find((d) => d.name === name);
  if (!def) {
    const near = defs.filter((d) => d.name.startsWith(name.slice(0, 2))).map((d) => d.name);
    throw new UserError(`Unknown command "${name}".${near.length ? ` Did you mean ${near.join(' or ')}?` : ''} Type help for the list.`);
  }
  const raw: Record<string, unknown> = {};
  const positionals = def.options.filter((o) => o.positional);
  let pos = 0;
  let json = false;
  let yes = false;
  let help = false;
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '--') continue;
    if (t.startsWith('--') && t.length > 2) {
      const eq = t.indexOf('=');
      const key = eq > 0 ? t.slice(2, eq) : t.slice(2);
      if (key === 'json') { json = true; continue; }
      if (key === 'yes' || key === 'y') { yes = true; continue; }
      if (key === 'help') { help = true; continue; }
      if (key === 'dry-run') {
        if (!def.dryRun) throw new UserError(`${def.name} has no --dry-run: it changes nothing.`);
        raw['dry-run'] = true;
        continue;
      }
      const opt = def.options.find((o) => o.name === key && !o.positional);
      if (!opt) throw new UserError(`Unknown option --${key} for ${def.name}. Try: ${def.name} --help`);
      if (opt.type === 'boolean' && eq < 0) {
        raw[key] = true;
        continue;
      }
      const value = eq > 0 ? t.slice(eq + 1) : tokens[++i];
      if (value === undefined) throw new UserError(`--${key} needs a value. Try: ${def.name} --help`);
      raw[key] = value;
      continue;
    }
    if (t === '-h') { help = true; continue; }
    if (t === '-n') {
      if (!def.dryRun) throw new UserError(`${def.name} has no --dry-run: it changes nothing.`);
      raw['dry-run'] = true;
      continue;
    }
    if (/^-[A-Za-z]/.test(t)) throw new UserError(`Unknown option ${t} for ${def.name}. Try: ${def.name} --help`);
    const opt = positionals[pos++];
    if (!opt) throw new UserError(`Unexpected extra argument "${t}" for ${def.name}. Try: ${def.name} --help`);
    raw[opt.name] = t;
  }
  return { def, raw, json, yes, help };
}

export function usage(def: CommandDef): string {
  const pos = def.options.filter((o) => o.positional).map((o) => {
    const shape = o.choices ? o.choices.join('|') : o.name;
    return o.required ? `<${shape}>` : `[${shape}]`;
  });
  const flags = def.options.filter((o) => !o.positional).map((o) => (o.type === 'boolean' ? `[--${o.name}]` : `[--${o.name} ${o.type === 'duration' ? 'DURATION' : o.type.toUpperCase()}]`));
  if (def.dryRun) flags.push('[--dry-run]');
  return [def.name, ...pos, ...flags].join(' ');
}

export function helpText(def: CommandDef): string {
  const lines = [`Usage: picluster ${usage(def)} [--json]`, '', def.description + '.', ...(def.details ? [def.details] : []), ''];
  for (const o of def.options) {
    const label = o.positional ? `<${o.name}>` : `--${o.name}`;
    const extra = [o.choices ? `one of ${o.choices.join(', ')}` : '', o.default !== undefined ? `default ${o.default}` : '', o.min !== undefined ? `min ${o.min}` : '', o.max !== undefined ? `max ${o.max}` : ''].filter(Boolean).join('; ');
    lines.push(`  ${label.padEnd(14)} ${o.description}${extra ? ` (${extra})` : ''}`);
  }
  if (def.dryRun) lines.push(`  ${'--dry-run'.padEnd(14)} show the plan and diffs, change nothing`);
  lines.push(`  ${'--json'.padEnd(14)} print the result as JSON`);
  if (def.examples?.length) lines.push('', 'Examples:', ...def.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}
