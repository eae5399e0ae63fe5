import * as readline from 'node:readline';
import { commands } from '../commands';
import { helpText, parseArgv, tokenize } from './commands/args';
import { executeCommand } from './commands/run';
import { Actor } from './commands/types';
import type { Engine } from './engine';
import { isUserError } from './errors';
import { progressPrinter, renderResult } from './render/text';
import { LAB_HINT, looksLikeManager } from './safety';
import { commandList } from './cli';
import * as os from 'node:os';

export interface ShellOptions {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  color?: boolean;
}

/**
 * The local adapter used when there is no Discord token: the same slash commands, typed at a
 * prompt, with step-by-step progress. It asks before changing a machine that does not look like
 * a cluster manager, and before the commands Discord would confirm with buttons.
 */
export class Shell {
  private readonly rl: readline.Interface;
  private readonly out: NodeJS.WritableStream;
  private readonly color: boolean;
  private readonly actor: Actor = { id: os.userInfo().username, name: os.userInfo().username, transport: 'shell' };
  private busy = false;
  private pending: string[] = [];
  private closed = false;
  private exiting = false;
  readonly done: Promise<void>;
  private finish!: () => void;

  constructor(private readonly engine: Engine, opts: ShellOptions = {}) {
    const input = opts.input ?? process.stdin;
    this.out = opts.output ?? process.stdout;
    this.color = opts.color ?? Boolean((this.out as any).isTTY);
    this.rl = readline.createInterface({ input, output: this.out, terminal: Boolean((input as any).isTTY), prompt: 'picluster> ' });
    // Input may end (EOF, or piped lines) while commands are still queued: finish them first.
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.rl.on('close', () => {
      this.closed = true;
      if (!this.busy) this.finish();
    });
    this.rl.on('line', (line) => {
      this.pending.push(line);
      void this.drain();
    });
  }

  /** Prints asynchronous messages (alerts) without breaking the prompt. */
  notify(text: string): void {
    this.write(`\n${text}\n`);
    if (!this.busy && !this.closed) this.rl.prompt(true);
  }

  start(): void {
    this.write(`picluster shell: type /help for commands, /exit to leave.\n`);
    this.rl.prompt();
  }

  close(): void {
    this.rl.close();
  }

  private write(s: string): void {
    this.out.write(s);
  }

  private async ask(question: string): Promise<boolean> {
    const answer = await new Promise<string>((resolve) => {
      const take = () => {
        if (this.pending.length) return resolve(this.pending.shift()!);
        if (this.closed) return resolve('');
        setTimeout(take, 20);
      };
      this.write(question);
      take();
    });
    return /^y(es)?$/i.test(answer.trim());
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.pending.length) {
        const line = this.pending.shift()!;
        await this.handle(line);
      }
    } finally {
      this.busy = false;
      if (this.closed || this.exiting) this.finish();
      else this.rl.prompt();
    }
  }

  async handle(line: string): Promise<void> {
    const text = line.trim();
    if (!text) return;
    const word = text.replace(/^\//, '').split(/\s+/)[0];
    if (word === 'exit' || word === 'quit') {
      this.exiting = true;
      this.pending.length = 0;
      return this.close();
    }
    if (word === 'help' || word === '?') {
      const t = text.split(/\s+/)[1]?.replace(/^\//, '');
      const def = commands.find((c) => c.name === t);
      this.write((def ? helpText(def) : `Commands (prefix with / or not):\n${commandList()}\n  help [command]\n  exit`) + '\n');
      return;
    }
    let parsed;
    try {
      parsed = parseArgv(tokenize(text), commands);
    } catch (e) {
      if (!isUserError(e)) throw e;
      this.write(`error: ${e.message}\n`);
      return;
    }
    if (parsed.help) {
      this.write(helpText(parsed.def) + '\n');
      return;
    }
    const { def, raw } = parsed;
    const dryRun = Boolean(raw['dry-run']);
    const safely = (f: (a: any) => boolean) => {
      try {
        return f(raw);
      } catch {
        return true;
      }
    };
    const mutates = safely(def.mutates);
    const touchesManager = safely(def.changesManager ?? def.mutates);
    if (mutates && !dryRun && !parsed.yes) {
      const stranger = touchesManager && !(await looksLikeManager(this.engine));
      const wantsConfirm = safely(def.confirm ?? (() => false));
      if (stranger || wantsConfirm) {
        if (def.dryRun) {
          const plan = await executeCommand(this.engine, def, { ...raw, 'dry-run': true }, this.actor);
          if (plan.outcome === 'refused') {
            this.write(`error: ${plan.summary}\n`);
            return;
          }
          this.write(renderResult(plan, { color: this.color }) + '\n');
        }
        if (stranger) this.write(`This machine does not look like a cluster manager. ${LAB_HINT}\n`);
        if (!(await this.ask(stranger ? 'Apply these changes to THIS machine? [y/N] ' : 'Apply? [y/N] '))) {
          this.write('Cancelled; nothing changed.\n');
          return;
        }
      }
    }
    const progress = progressPrinter((s) => this.write(s), { color: this.color });
    const result = await executeCommand(this.engine, def, raw, this.actor, { progress });
    if (result.outcome === 'refused') this.write(`error: ${result.summary}\n`);
    else this.write(renderResult(result, { color: this.color }, { stepsShown: true }) + '\n');
  }
}
