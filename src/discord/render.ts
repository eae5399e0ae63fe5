/**
 * The Discord renderer: the same CommandResult the terminal renderer (src/render/text.ts) prints,
 * as embeds. Discord's limits are enforced here, and nothing is ever cut silently: text that does
 * not fit one embed continues in the next, embeds that do not fit one message continue in
 * follow-up messages, and output too long for a few messages is attached as a text file with a
 * note saying so.
 */
import type { APIEmbed, APIEmbedField } from 'discord.js';
import { escapeMarkdown } from 'discord.js';
import type { Attachment, CommandResult, Outcome, Table } from '../commands/types';
import { renderResult as renderText } from '../render/text';
import type { ProgressEvent, StepResult, StepStatus } from '../steps/step';

export const LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fieldName: 256,
  fieldValue: 1024,
  fields: 25,
  footer: 2048,
  /** Sum of every title, description, field, footer and author text of all embeds of one message. */
  messageEmbedText: 6000,
  embedsPerMessage: 10,
  filesPerMessage: 10,
} as const;

export const COLOR = {
  ok: 0x2ecc71,
  changed: 0x3498db,
  planned: 0xf1c40f,
  failed: 0xe74c3c,
  error: 0x992d22,
  refused: 0xe67e22,
  info: 0x5865f2,
  muted: 0x95a5a6,
} as const;

export interface DiscordMessage {
  embeds: APIEmbed[];
  files: Attachment[];
}

export const STEP_ICON: Record<StepStatus, string> = {
  ok: '✅',
  changed: '🛠️',
  'would-change': '📝',
  failed: '❌',
  skipped: '⏭️',
  unknown: '❔',
};

const STEP_LABEL: Record<StepStatus, string> = { ok: 'ok', changed: 'changed', 'would-change': 'would change', failed: 'FAILED', skipped: 'skipped', unknown: 'unknown' };

export function esc(text: string): string {
  return escapeMarkdown(text, { codeBlock: true, inlineCode: true, bold: true, italic: true, underline: true, strikethrough: true, spoiler: true, heading: true, bulletedList: true, numberedList: false, maskedLink: true });
}

/** Inline code that cannot be broken out of. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, 'ˋ')}\``;
}

/** A fenced block whose body cannot close the fence. */
function fence(body: string, lang = ''): string {
  return '```' + lang + '\n' + body.replace(/```/g, '`\u200b``') + '\n```';
}

export function fmtMs(ms: number): string {
  if (ms < 1) return '<1 ms';
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function embedTextLength(e: APIEmbed): number {
  let n = (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) + (e.author?.name.length ?? 0);
  for (const f of e.fields ?? []) n += f.name.length + f.value.length;
  return n;
}

export function messageTextLength(m: { embeds: APIEmbed[] }): number {
  return m.embeds.reduce((a, e) => a + embedTextLength(e), 0);
}

/**
 * Splits text into chunks of at most `max` characters, at line breaks where possible. A code fence
 * open at a split is closed at the end of the chunk and reopened at the start of the next, so every
 * chunk renders on its own. Nothing is dropped but blank lines at a split.
 */
export function splitText(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const out: string[] = [];
  const pieceMax = max - 48;
  let cur = '';
  let openFence: string | null = null; // the fence line (```lang) open at the end of `cur`
  const push = () => {
    if (openFence !== null) {
      out.push(`${cur}\n\`\`\``);
      cur = openFence;
    } else {
      out.push(cur);
      cur = '';
    }
  };
  for (const line of text.split('\n')) {
    // A line longer than a chunk is cut into pieces (rare: a long one-line summary or key).
    const pieces: string[] = [];
    for (let i = 0; i < line.length; i += pieceMax) pieces.push(line.slice(i, i + pieceMax));
    if (!pieces.length) pieces.push('');
    for (const piece of pieces) {
      if (cur !== '' && cur !== openFence && cur.length + 1 + piece.length + 4 > max) push();
      cur = cur === '' ? piece : `${cur}\n${piece}`;
    }
    if (/^```/.test(line)) openFence = openFence === null ? line : null;
  }
  if (cur !== '' && cur !== openFence) out.push(cur);
  return out;
}

// ------------------------------------------------------------------------------------ blocks

function outcomeColor(r: CommandResult): number {
  const m: Record<Outcome, number> = {
    changed: COLOR.changed,
    unchanged: COLOR.ok,
    planned: COLOR.planned,
    failed: COLOR.failed,
    info: r.ok ? COLOR.info : COLOR.refused,
    refused: COLOR.refused,
    error: COLOR.error,
  };
  return m[r.outcome];
}

export function stepLine(s: StepResult, opts: { full: boolean }): string {
  const dur = s.durationMs >= 1 ? ` · ${fmtMs(s.durationMs)}` : '';
  if (!opts.full) return `${STEP_ICON[s.status]} ${esc(s.title)}${s.status === 'failed' || s.status === 'skipped' ? ` — ${esc(s.summary)}` : ''}${dur}`;
  const lines = [`${STEP_ICON[s.status]} **${esc(s.title)}** — ${STEP_LABEL[s.status]}: ${esc(s.summary)}${dur}`];
  for (const n of s.notes) lines.push(`  ↳ ${esc(n)}`);
  return lines.join('\n');
}

/** Columns of `status`: a compact block per node that reads well on a phone. */
const STATUS_COLUMNS = ['node', 'iface', 'link', 'address', 'RX pkts', 'RX bytes', 'RX err/drop', 'TX pkts', 'TX bytes', 'TX err/drop', 'reach'];

function isStatusTable(t: Table): boolean {
  return STATUS_COLUMNS.every((c) => t.columns.includes(c));
}

export function statusFields(t: Table): APIEmbedField[] {
  const col = (row: string[], name: string) => row[t.columns.indexOf(name)] ?? '-';
  return t.rows.map((row) => {
    const link = col(row, 'link');
    const reach = col(row, 'reach');
    const answering = reach !== '-' && reach !== 'no reply';
    const icon = link === 'up' && answering ? '🟢' : link === 'absent' || link === 'down' ? '🔴' : '🟠';
    const [rxErr, rxDrop] = col(row, 'RX err/drop').split('/');
    const [txErr, txDrop] = col(row, 'TX err/drop').split('/');
    const value = [
      `link **${esc(link)}** · ${answering ? `reply ${esc(reach)}` : esc(reach === '-' ? 'not pinged' : reach)}`,
      `addr ${esc(col(row, 'address'))}`,
      `RX ${esc(col(row, 'RX pkts'))} pkts · ${esc(col(row, 'RX bytes'))} · err ${rxErr ?? '-'} · drop ${rxDrop ?? '-'}`,
      `TX ${esc(col(row, 'TX pkts'))} pkts · ${esc(col(row, 'TX bytes'))} · err ${txErr ?? '-'} · drop ${txDrop ?? '-'}`,
    ].join('\n');
    return { name: `${icon} node ${col(row, 'node')} · ${col(row, 'iface')}`.slice(0, LIMITS.fieldName), value: value.slice(0, LIMITS.fieldValue) };
  });
}

/** Narrow tables as an aligned code block; wide ones as one line per row (phones wrap code blocks badly). */
export function tableText(t: Table): string {
  if (!t.rows.length) return '_(none)_';
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const width = widths.reduce((a, w) => a + w + 2, 0);
  if (width <= 56) {
    const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
    return fence([line(t.columns), ...t.rows.map(line)].join('\n'));
  }
  return t.rows
    .map((r) => `**${esc(r[0] ?? '')}** · ${r.slice(1).map((c, i) => `${esc(t.columns[i + 1])}: ${esc(c || '-')}`).join(' · ')}`)
    .join('\n');
}

/** Embeds for a text with a title; continued embeds say so in their title. */
function textEmbeds(title: string, text: string, color: number): APIEmbed[] {
  const chunks = splitText(text, LIMITS.description);
  return chunks.map((c, i) => ({ title: (i === 0 ? title : `${title} (continued ${i + 1}/${chunks.length})`).slice(0, LIMITS.title), description: c, color }));
}

function fieldEmbeds(title: string, fields: APIEmbedField[], color: number): APIEmbed[] {
  const out: APIEmbed[] = [];
  let cur: APIEmbedField[] = [];
  let len = title.length + 30;
  for (const f of fields) {
    const n = f.name.length + f.value.length;
    if (cur.length && (cur.length >= LIMITS.fields || len + n > LIMITS.messageEmbedText - 500)) {
      out.push({ title, fields: cur, color });
      cur = [];
      len = title.length + 30;
    }
    cur.push(f);
    len += n;
  }
  if (cur.length) out.push({ title, fields: cur, color });
  return out.map((e, i) => (i === 0 ? e : { ...e, title: `${title} (continued)`.slice(0, LIMITS.title) }));
}

export interface RenderContext {
  /** `add-node 3`, shown in the title when the result's own title does not say it. */
  label?: string;
  /** Who ran it and how long it took, for the footer. */
  footer?: string;
  /** Shown above the summary (e.g. "The bot is shutting down: remaining steps were not run."). */
  notice?: string;
}

/** Every embed of a result, in reading order, each within the per-embed limits. */
export function resultEmbeds(r: CommandResult, ctx: RenderContext = {}): APIEmbed[] {
  const color = outcomeColor(r);
  const head: string[] = [];
  if (ctx.notice) head.push(`⚠️ ${esc(ctx.notice)}`);
  if (r.summary) head.push(esc(r.summary));
  if (r.hint) head.push(`💡 ${esc(r.hint)}`);
  if (r.incident) head.push(`Incident ${code(r.incident)}: the bot log has the details under this id.`);
  const steps = r.steps ?? [];
  if (steps.length) head.push('', ...steps.map((s) => stepLine(s, { full: true })));
  const title = (r.outcome === 'error' ? '⚠️ ' : r.ok ? '' : '❌ ') + r.title;
  const embeds = textEmbeds(title, head.join('\n') || '-', color);

  const diffs = steps.filter((s) => s.diff && s.status !== 'ok');
  if (diffs.length) {
    const body = diffs.map((s) => `**${esc(s.title)}**\n${fence(s.diff!.trimEnd(), 'diff')}`).join('\n');
    embeds.push(...textEmbeds(r.outcome === 'planned' ? 'Planned changes' : 'Changes', body, color));
  }
  for (const t of r.tables ?? []) {
    if (isStatusTable(t)) embeds.push(...fieldEmbeds(t.title ?? 'Nodes', statusFields(t), color));
    else embeds.push(...textEmbeds(t.title ?? 'Details', tableText(t), color));
  }
  const fileNames = new Set((r.files ?? []).map((f) => f.name));
  for (const s of r.sections ?? []) {
    if (fileNames.has(s.title)) continue; // the attachment carries it whole
    embeds.push(...textEmbeds(s.title, s.body.includes('\n') ? fence(s.body) : esc(s.body), COLOR.muted));
  }
  const files = r.files ?? [];
  if (files.length) {
    const listed = files.map((f) => code(f.name)).join(', ');
    const main = embeds[0];
    const line = `\n📎 Attached: ${listed}`;
    if ((main.description?.length ?? 0) + line.length <= LIMITS.description) main.description = (main.description ?? '') + line;
    else embeds.push({ description: line.trim(), color });
    const image = files.find((f) => /^image\/(png|jpeg|gif|webp)$/.test(f.contentType ?? '') || /\.png$/i.test(f.name));
    if (image) embeds[0].image = { url: `attachment://${image.name}` };
  }
  if (ctx.footer) embeds[embeds.length - 1].footer = { text: ctx.footer.slice(0, LIMITS.footer) };
  if (ctx.label && !r.title.includes(ctx.label.split(' ')[0])) embeds[0].author = { name: ctx.label.slice(0, 256) };
  return embeds;
}

/** Greedy packing of embeds into messages within 10 embeds and 6000 characters each. */
export function packEmbeds(embeds: APIEmbed[]): APIEmbed[][] {
  const out: APIEmbed[][] = [];
  let cur: APIEmbed[] = [];
  let len = 0;
  for (const e of embeds) {
    const n = embedTextLength(e);
    if (cur.length && (cur.length >= LIMITS.embedsPerMessage || len + n > LIMITS.messageEmbedText)) {
      out.push(cur);
      cur = [];
      len = 0;
    }
    cur.push(e);
    len += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

export interface RenderOptions extends RenderContext {
  /** At most this many messages (the reply plus follow-ups); beyond, the full text is attached. Default 4. */
  maxMessages?: number;
  /** Base name of the attachment used for overlong output. */
  fileBase?: string;
}

/**
 * The result as Discord messages: the first replaces the reply, the others are follow-ups.
 * Attachments ride on the first message (10 per message; more go to follow-ups).
 */
export function renderResultMessages(r: CommandResult, opts: RenderOptions = {}): DiscordMessage[] {
  const embeds = resultEmbeds(r, opts);
  let batches = packEmbeds(embeds);
  let files = [...(r.files ?? [])];
  const max = opts.maxMessages ?? 4;
  if (batches.length > max) {
    const name = `${(opts.fileBase ?? opts.label ?? 'result').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/-{2,}/g, '-')}.txt`;
    const text = renderText(r, { color: false });
    const lines = text.split('\n').length;
    const notice: APIEmbed = {
      title: 'Output continues in the attachment',
      description: `This result is longer than Discord allows in ${max} messages, so the messages above show its beginning and ${code(name)} has all of it (${lines} lines).`,
      color: COLOR.muted,
    };
    const first = batches[0];
    const firstLen = messageTextLength({ embeds: first });
    if (first.length >= LIMITS.embedsPerMessage || firstLen + embedTextLength(notice) > LIMITS.messageEmbedText) first.pop();
    batches = [[...first, notice]];
    files = [{ name, content: text, contentType: 'text/plain; charset=utf-8' }, ...files];
  }
  const messages: DiscordMessage[] = batches.map((b) => ({ embeds: b, files: [] }));
  for (let i = 0; files.length; i++) {
    if (!messages[i]) messages.push({ embeds: [], files: [] });
    messages[i].files = files.splice(0, LIMITS.filesPerMessage);
  }
  for (const m of messages) {
    if (!m.embeds.length) m.embeds.push({ description: '📎 More attachments', color: COLOR.muted });
  }
  return messages;
}

// ------------------------------------------------------------------------------------ live progress

type LiveStatus = 'pending' | 'running' | StepStatus;

interface LiveStep {
  id: string;
  title: string;
  status: LiveStatus;
  summary?: string;
  durationMs?: number;
}

/** Folds progress events into the checklist shown while a command runs. */
export class ProgressState {
  readonly steps: LiveStep[] = [];
  readonly notes: string[] = [];
  dryRun = false;
  private readonly started = performance.now();

  apply(e: ProgressEvent): void {
    switch (e.type) {
      case 'plan':
        this.dryRun = e.dryRun;
        for (const s of e.steps) if (!this.find(s.id)) this.steps.push({ id: s.id, title: s.title, status: 'pending' });
        break;
      case 'step-start': {
        const s = this.find(e.id) ?? this.add(e.id, e.title);
        s.status = 'running';
        break;
      }
      case 'step-done': {
        const s = this.find(e.result.id) ?? this.add(e.result.id, e.result.title);
        s.status = e.result.status;
        s.summary = e.result.summary;
        s.durationMs = e.result.durationMs;
        break;
      }
      case 'note':
        this.notes.push(e.text);
        if (this.notes.length > 5) this.notes.shift();
        break;
    }
  }

  private find(id: string): LiveStep | undefined {
    return this.steps.find((s) => s.id === id);
  }

  private add(id: string, title: string): LiveStep {
    const s: LiveStep = { id, title, status: 'pending' };
    this.steps.push(s);
    return s;
  }

  get done(): number {
    return this.steps.filter((s) => s.status !== 'pending' && s.status !== 'running').length;
  }

  elapsedMs(): number {
    return performance.now() - this.started;
  }
}

const LIVE_ICON: Record<LiveStatus, string> = { ...STEP_ICON, pending: '▫️', running: '⏳' };

/** The reply while a command runs: one line per step with its status and time. */
export function progressEmbed(state: ProgressState, label: string): APIEmbed {
  const lines = state.steps.map((s) => {
    const dur = s.durationMs !== undefined && s.durationMs >= 1 ? ` · ${fmtMs(s.durationMs)}` : '';
    const why = s.status === 'failed' || s.status === 'skipped' ? ` — ${esc(s.summary ?? '')}` : '';
    return `${LIVE_ICON[s.status]} ${esc(s.title)}${why}${dur}`;
  });
  for (const n of state.notes) lines.push(`  ↳ ${esc(n)}`);
  let text = lines.join('\n');
  if (text.length > LIMITS.description - 200) {
    // A transient view: keep the latest lines and say how many are not shown (the final result lists every step).
    const kept: string[] = [];
    let len = 0;
    for (let i = lines.length - 1; i >= 0 && len + lines[i].length + 1 < LIMITS.description - 200; i--) {
      kept.unshift(lines[i]);
      len += lines[i].length + 1;
    }
    text = `… ${lines.length - kept.length} earlier line(s) not shown here; the final result lists every step.\n${kept.join('\n')}`;
  }
  const total = state.steps.length;
  return {
    title: `${state.dryRun ? 'Planning' : 'Running'} ${label}${total ? ` — ${state.done}/${total} steps` : ''}`.slice(0, LIMITS.title),
    description: text || 'Starting…',
    color: COLOR.muted,
    footer: { text: `${fmtMs(state.elapsedMs())} so far` },
  };
}

// ------------------------------------------------------------------------------------ small messages

export function noticeEmbed(title: string, text: string, color: number = COLOR.refused): APIEmbed {
  const chunks = splitText(text, LIMITS.description);
  return { title: title.slice(0, LIMITS.title), description: chunks[0] + (chunks.length > 1 ? '\n…' : ''), color };
}

/** Ephemeral answer to a user mistake or refusal: what happened and what to do. */
export function refusalContent(reason: string, hint?: string): string {
  const text = `⛔ ${reason}${hint ? `\n💡 ${hint}` : ''}`;
  return text.length <= LIMITS.content ? text : text.slice(0, LIMITS.content - 40) + '\n… (message shortened)';
}
