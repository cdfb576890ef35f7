import type { FastifyBaseLogger } from 'fastify';
import type { MessageMetrics } from '../metrics.js';
import type { Refusal } from './notification.js';

/**
 * Records what a webhook carried that was refused: counted by part and reason
 * (`whatsapp_webhook_refused_total`) and logged once per POST with the first few reasons. The details are
 * paths and limits (sanitized and cut by the parser), never the refused values, so no phone number or text
 * reaches the log. Refusals are permanent: the POST is still answered 200 for what was stored.
 */
export function recordRefusals(
  log: Pick<FastifyBaseLogger, 'warn'>,
  metrics: Pick<MessageMetrics, 'webhookRefused'>,
  refused: readonly Refusal[],
): void {
  if (refused.length === 0) return;
  for (const r of refused) metrics.webhookRefused.inc({ part: r.part, reason: r.reason });
  log.warn(
    { refused: refused.length, first: refused.slice(0, 5).map((r) => `${r.part} ${r.reason} ${r.detail}`) },
    'webhook messages or statuses refused; the rest stored',
  );
}

/**
 * A verified notification the screening let through but PostgreSQL refused for good (a case the limits
 * in notification.ts missed): answered 200 so Meta stops retrying it for days, counted
 * (`whatsapp_webhook_refused_total{part="notification",reason="store_failed"}`) and alerted.
 */
export function refusedForGood(
  log: Pick<FastifyBaseLogger, 'error'>,
  metrics: Pick<MessageMetrics, 'webhookRefused' | 'webhookRequests'>,
  parsed: { messages: readonly unknown[]; statuses: readonly unknown[]; refused: readonly Refusal[] },
  sqlState: string,
) {
  const items = parsed.messages.length + parsed.statuses.length;
  metrics.webhookRefused.inc({ part: 'notification', reason: 'store_failed' }, Math.max(items, 1));
  metrics.webhookRequests.inc({ outcome: 'refused' });
  log.error(
    { alert: true, sqlState, messages: parsed.messages.length, statuses: parsed.statuses.length },
    'webhook can never be stored (PostgreSQL data error): answered 200, not retried',
  );
  return { ok: true as const, accepted: 0, duplicates: 0, statuses: 0, refused: items + parsed.refused.length };
}
