import type { Engine } from '../engine';
import type { ProgressSink, StepResult } from '../steps/step';

export type OptionType = 'node' | 'nodeOrAll' | 'integer' | 'string' | 'boolean' | 'duration';

export interface OptionDef {
  name: string;
  type: OptionType;
  description: string;
  required?: boolean;
  /** Given without a flag name, in declaration order (e.g. `add-node 3`). */
  positional?: boolean;
  /** For a positional: each choice becomes a Discord sub-command (`/nat enable`). */
  subcommand?: boolean;
  choices?: string[];
  min?: number;
  max?: number;
  default?: string | number | boolean;
  /** Only meaningful for these sub-command choices (Discord shows it only under them). */
  onlyFor?: string[];
  /** For a `subcommand` option: one line (≤100 characters) per choice, shown by Discord under `/name choice`. */
  choiceDescriptions?: Record<string, string>;
  /** Not offered in Discord (e.g. a path on the manager that only makes sense from the CLI or shell). */
  cliOnly?: boolean;
}

export type Args = Record<string, string | number | boolean | undefined>;

export interface Actor {
  id: string;
  name: string;
  transport: 'cli' | 'shell' | 'discord' | 'monitor' | 'test';
}

export interface Table {
  title?: string;
  columns: string[];
  rows: string[][];
}

export interface Attachment {
  name: string;
  content: string | Buffer;
  contentType?: string;
}

export type Outcome = 'changed' | 'unchanged' | 'planned' | 'failed' | 'info' | 'refused' | 'error';

/** The one result every transport renders: terminal, JSON, Discord embeds. */
export interface CommandResult {
  ok: boolean;
  outcome: Outcome;
  title: string;
  summary: string;
  steps?: StepResult[];
  tables?: Table[];
  sections?: Array<{ title: string; body: string }>;
  files?: Attachment[];
  /** Machine-readable payload for --json. */
  data?: unknown;
  /** Shown instead of a stack for internal errors; the log has the stack under this id. */
  incident?: string;
  hint?: string;
}

export interface CommandContext {
  engine: Engine;
  actor: Actor;
  dryRun: boolean;
  progress: ProgressSink;
  signal: AbortSignal;
}

export interface CommandDef {
  name: string;
  /** One line, at most 100 characters (Discord's limit for command descriptions). */
  description: string;
  /** Longer explanation for --help. */
  details?: string;
  options: OptionDef[];
  /** Whether this invocation changes anything (decides permissions and confirmations). */
  mutates: (args: Args) => boolean;
  /** Whether it changes this machine's network (default: same as mutates). sdcard writes a card, not the manager. */
  changesManager?: (args: Args) => boolean;
  /** Takes --dry-run. */
  dryRun?: boolean;
  /** Ask before applying (Discord buttons, shell prompt) — e.g. remove-node, nat disable. */
  confirm?: (args: Args) => boolean;
  examples?: string[];
  run(ctx: CommandContext, args: Args): Promise<CommandResult>;
}
