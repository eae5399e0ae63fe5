import type { Level } from './alert-state';

export type AlertKind = 'alert' | 'escalation' | 'improvement' | 'recovery' | 'reminder' | 'monitor-failure' | 'monitor-recovery';
export type Severity = 'critical' | 'warning' | 'ok';

export interface AlertField {
  name: string;
  value: string;
}

/**
 * One alert or recovery as every sink receives it. `text` is complete on its own (the shell prints
 * it); `title`, `fields` and `severity` are there so Discord can build an embed (colour by severity).
 */
export interface AlertMessage {
  /** Outbox sequence number: delivery happens in this order. */
  id: number;
  /**
   * Stable across retries and bot restarts. The Discord sink sends it as `nonce` with
   * `enforce_nonce: true`, so a message that did arrive before a crash is not posted twice.
   */
  nonce: string;
  kind: AlertKind;
  severity: Severity;
  /** null for alerts about the monitoring itself. */
  node: number | null;
  state: Level | null;
  title: string;
  text: string;
  fields: AlertField[];
  /** When the condition was detected (ms since epoch), not when it is delivered. */
  createdAt: number;
}

export type AlertDraft = Omit<AlertMessage, 'id' | 'nonce'>;

/** Where alerts go. deliver() resolves once the message is accepted and throws when it cannot be. */
export interface AlertSink {
  deliver(alert: AlertMessage): Promise<void>;
}

const ICON: Record<Severity, string> = { critical: '🔴', warning: '🟠', ok: '🟢' };

/** The alert as a block of terminal text. */
export function formatAlertText(a: AlertMessage): string {
  const when = new Date(a.createdAt).toLocaleTimeString('en-GB', { hour12: false });
  return [`${ICON[a.severity]} ${a.title}  [${when}]`, a.text, ...a.fields.map((f) => `  ${f.name}: ${f.value}`)].join('\n');
}

/** The shell adapter's sink: prints each alert (main.ts passes `(t) => shell.notify(t)`). */
export class ShellAlertSink implements AlertSink {
  constructor(private readonly write: (text: string) => void) {}
  async deliver(alert: AlertMessage): Promise<void> {
    this.write(formatAlertText(alert));
  }
}
