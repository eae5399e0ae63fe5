/** Minimal leveled logger to stderr. Secrets registered here are masked in every line. */
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

let threshold: Level = (process.env.LOG_LEVEL as Level) ?? 'info';
const secrets: string[] = [];

export function setLogLevel(l: string): void {
  if ((LEVELS as readonly string[]).includes(l)) threshold = l as Level;
}

export function registerSecret(s: string | undefined): void {
  if (s && s.length >= 8) secrets.push(s);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}

function write(level: Level, msg: string, extra?: unknown): void {
  if (LEVELS.indexOf(level) < LEVELS.indexOf(threshold)) return;
  const tail = extra instanceof Error ? `\n${extra.stack ?? extra.message}` : extra !== undefined ? ` ${JSON.stringify(extra)}` : '';
  process.stderr.write(redact(`${new Date().toISOString()} ${level.toUpperCase()} ${msg}${tail}`) + '\n');
}

export const log = {
  debug: (m: string, x?: unknown) => write('debug', m, x),
  info: (m: string, x?: unknown) => write('info', m, x),
  warn: (m: string, x?: unknown) => write('warn', m, x),
  error: (m: string, x?: unknown) => write('error', m, x),
};
