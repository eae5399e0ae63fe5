#!/usr/bin/env node
import * as readline from 'node:readline/promises';
import { commands } from '../commands';
import { helpText, parseArgv, usage } from './commands/args';
import { executeCommand } from './commands/run';
import { Actor, CommandResult } from './commands/types';
import { envExample } from './config';
import { isUserError } from './errors';
import { openEngineOrExit } from './bootstrap';
import { progressPrinter, renderResult } from './render/text';
import { LAB_HINT, looksLikeManager } from './safety';
import * as os from 'node:os';

export function commandList(): string {
  const w = Math.max(...commands.map((c) => usage(c).length));
  return commands.map((c) => `  ${usage(c).padEnd(w)}  ${c.description}`).join('\n');
}

const GLOBAL_HELP = () => `picluster: provision and watch a USB-OTG cluster of Pi Zeros from the manager.

Usage: picluster <command> [args] [--dry-run] [--json] [--yes]

Commands:
${commandList()}

Every command takes --help. Without DISCORD_TOKEN, \`npm start\` opens an interactive shell with the same commands.`;

/** Exit codes: 0 ok, 1 the command ran and reports a failure, 2 bad input (nothing changed). */
export function exitCode(r: CommandResult): number {
  if (r.ok) return 0;
  return r.outcome === 'refused' ? 2 : 1;
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(GLOBAL_HELP() + '\n');
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === 'env-example') {
    process.stdout.write(envExample());
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgv(argv, commands);
  } catch (e) {
    if (!isUserError(e)) throw e;
    process.stderr.write(`error: ${e.message}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(helpText(parsed.def) + '\n');
    return 0;
  }
  const engine = openEngineOrExit();
  const color = Boolean(process.stdout.isTTY) && !parsed.json;
  const actor: Actor = { id: String(process.getuid?.() ?? ''), name: os.userInfo().username, transport: 'cli' };
  try {
    const dryRun = Boolean(parsed.raw['dry-run']);
    // Validate first so a bad argument is reported the same way whatever the machine.
    const mutates = (() => {
      try {
        return (parsed.def.changesManager ?? parsed.def.mutates)(parsed.raw as any);
      } catch {
        return true;
      }
    })();
    if (mutates && !dryRun && !parsed.yes && !(await looksLikeManager(engine))) {
      const plan = parsed.def.dryRun ? await executeCommand(engine, parsed.def, { ...parsed.raw, 'dry-run': true }, actor) : undefined;
      if (plan && plan.outcome === 'refused') {
        process.stderr.write(`error: ${plan.summary}\n`);
        return 2;
      }
      const why = `This machine does not look like a cluster manager (no nodes yet, no interface with MAC prefix ${engine.config.cluster.macPrefix}).`;
      if (parsed.json) {
        process.stdout.write(JSON.stringify({ ok: false, outcome: 'refused', title: `${parsed.def.name}: not applied`, summary: `${why} Re-run with --yes to apply anyway. ${LAB_HINT}`, plan }, null, 2) + '\n');
        return 2;
      }
      if (plan) process.stdout.write(renderResult(plan, { color }) + '\n\n');
      process.stdout.write(`${why}\n${LAB_HINT}\n`);
      if (!process.stdin.isTTY) {
        process.stderr.write('Refusing to change this machine without --yes.\n');
        return 2;
      }
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question('Apply these changes to THIS machine? [y/N] ');
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        process.stdout.write('Nothing changed.\n');
        return 1;
      }
    }
    const progress = parsed.json ? undefined : progressPrinter((s) => process.stdout.write(s), { color });
    const result = await executeCommand(engine, parsed.def, parsed.raw, actor, { progress });
    if (parsed.json) {
      process.stdout.write(JSON.stringify({ ...result, files: result.files?.map((f) => (Buffer.isBuffer(f.content) ? { name: f.name, contentType: f.contentType, encoding: 'base64', content: f.content.toString('base64') } : { name: f.name, contentType: f.contentType, content: f.content })) }, null, 2) + '\n');
    } else if (result.outcome === 'refused') {
      process.stderr.write(`error: ${result.summary}\n`);
    } else {
      process.stdout.write(renderResult(result, { color }, { stepsShown: Boolean(progress) }) + '\n');
    }
    return exitCode(result);
  } finally {
    await engine.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`picluster: ${e?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
