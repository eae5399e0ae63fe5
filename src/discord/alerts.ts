/**
 * Monitoring alerts as Discord embeds in ALERT_CHANNEL_ID. Each alert carries the outbox's nonce
 * with enforce_nonce, so a message that reached Discord before a crash or a lost response is not
 * posted a second time when the outbox retries it.
 */
import type { APIEmbed, REST } from 'discord.js';
import { Routes } from 'discord.js';
import { log } from '../log';
import { formatAlertText, type AlertMessage, type AlertSink } from '../monitor';
import { esc, LIMITS, packEmbeds, splitText } from './render';

const SEVERITY_COLOR = { critical: 0xe74c3c, warning: 0xe67e22, ok: 0x2ecc71 } as const;
const SEVERITY_ICON = { critical: '🔴', warning: '🟠', ok: '🟢' } as const;

export function alertEmbeds(a: AlertMessage): APIEmbed[] {
  const color = SEVERITY_COLOR[a.severity] ?? 0x95a5a6;
  const chunks = splitText(esc(a.text) || '-', LIMITS.description);
  const embeds: APIEmbed[] = chunks.map((c, i) => ({
    title: `${SEVERITY_ICON[a.severity] ?? ''} ${a.title}${i ? ' (continued)' : ''}`.trim().slice(0, LIMITS.title),
    description: c,
    color,
  }));
  const fields = a.fields.flatMap((f) =>
    splitText(esc(f.value) || '-', LIMITS.fieldValue).map((v, i) => ({ name: `${f.name}${i ? ' (continued)' : ''}`.slice(0, LIMITS.fieldName), value: v, inline: v.length < 40 })),
  );
  // Fields go on the last embed while they fit Discord's 25 fields / 6000 characters, else on extra embeds.
  let target = embeds[embeds.length - 1];
  let total = embeds.reduce((n, e) => n + (e.title?.length ?? 0) + (e.description?.length ?? 0), 0);
  for (const f of fields) {
    const n = f.name.length + f.value.length;
    if ((target.fields?.length ?? 0) >= LIMITS.fields || total + n > LIMITS.messageEmbedText - 200) {
      target = { color, fields: [] };
      embeds.push(target);
      if (total + n > LIMITS.messageEmbedText - 200) total = 0;
    }
    (target.fields ??= []).push(f);
    total += n;
  }
  embeds[embeds.length - 1].timestamp = new Date(a.createdAt).toISOString();
  return embeds;
}

/** The Discord sink for monitoring: POST /channels/{ALERT_CHANNEL_ID}/messages through the bot's REST client. */
export class DiscordAlertSink implements AlertSink {
  private warned = false;
  constructor(private readonly rest: REST, private readonly channelId: string | undefined) {}

  async deliver(a: AlertMessage): Promise<void> {
    if (!this.channelId) {
      if (!this.warned) log.warn('ALERT_CHANNEL_ID is not set: alerts are only written to this log.');
      this.warned = true;
      log.warn(`alert: ${formatAlertText(a)}`);
      return;
    }
    const embeds = alertEmbeds(a);
    // Almost always one message; a huge alert is split so nothing is cut (only the first carries the nonce).
    const batches = packEmbeds(embeds);
    for (const [i, b] of batches.entries()) {
      await this.rest.post(Routes.channelMessages(this.channelId), {
        body: { embeds: b, allowed_mentions: { parse: [] }, ...(i === 0 ? { nonce: a.nonce, enforce_nonce: true } : {}) },
      });
    }
  }
}
