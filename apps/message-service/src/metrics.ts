import { secondsBuckets } from '@astria/service-kit';
import { Counter, Histogram, type Registry } from 'prom-client';

export interface MessageMetrics {
  webhookRequests: Counter<'outcome'>;
  webhookRefused: Counter<'part' | 'reason'>;
  inboundMessages: Counter<'type' | 'outcome'>;
  statuses: Counter<'status' | 'outcome'>;
  ingestDuration: Histogram<'outcome'>;
  groupSize: Histogram<string>;
  transitions: Counter<'transition' | 'input'>;
  sends: Counter<'kind' | 'outcome' | 'code'>;
  sendDuration: Histogram<'outcome'>;
  sendRetries: Counter<'code'>;
  sendRedeliveries: Counter<'kind' | 'action'>;
  alerts: Counter<'kind'>;
  templates: Counter<'purpose'>;
  templateSends: Counter<'purpose' | 'outcome'>;
  optedOutDropped: Counter<'input'>;
  deliveryFailures: Counter<'code' | 'kind' | 'action'>;
}

/** The message service's metrics, on the service's own registry (outbox pending comes from @astria/events). */
export function registerMessageMetrics(registry: Registry): MessageMetrics {
  const existing = registry.getSingleMetric('whatsapp_webhook_requests_total');
  if (existing) return (registry as unknown as { __messageMetrics: MessageMetrics }).__messageMetrics;
  const metrics: MessageMetrics = {
    webhookRequests: new Counter({
      name: 'whatsapp_webhook_requests_total',
      help: 'WhatsApp webhook POSTs by outcome (accepted, bad_signature, bad_payload, too_large, unavailable, refused: a PostgreSQL data error no retry can fix)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    webhookRefused: new Counter({
      name: 'whatsapp_webhook_refused_total',
      help: 'Messages and statuses of a webhook refused (the rest is stored and answered 200), by part and reason (malformed, too_long, unstorable)',
      labelNames: ['part', 'reason'],
      registers: [registry],
    }),
    inboundMessages: new Counter({
      name: 'whatsapp_inbound_messages_total',
      help: 'Inbound WhatsApp messages by type and outcome (accepted, duplicate)',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    }),
    statuses: new Counter({
      name: 'whatsapp_status_updates_total',
      help: 'Delivery status callbacks by status',
      labelNames: ['status', 'outcome'],
      registers: [registry],
    }),
    ingestDuration: new Histogram({
      name: 'whatsapp_ingest_duration_seconds',
      help: 'Webhook POST: from verified body to committed transaction',
      labelNames: ['outcome'],
      buckets: secondsBuckets(0.001, 2.5),
      registers: [registry],
    }),
    groupSize: new Histogram({
      name: 'whatsapp_ingest_group_size',
      help: 'Webhooks committed together in one transaction (group commit)',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers: [registry],
    }),
    transitions: new Counter({
      name: 'conversation_transitions_total',
      help: 'Conversation turns by what happened',
      labelNames: ['transition', 'input'],
      registers: [registry],
    }),
    sends: new Counter({
      name: 'whatsapp_sends_total',
      help: 'Outbound WhatsApp sends by kind, outcome (sent, failed, retry_later) and Graph error code',
      labelNames: ['kind', 'outcome', 'code'],
      registers: [registry],
    }),
    sendDuration: new Histogram({
      name: 'whatsapp_send_duration_seconds',
      help: 'One outbound send, throttle and retries included',
      labelNames: ['outcome'],
      buckets: secondsBuckets(0.005, 10),
      registers: [registry],
    }),
    sendRetries: new Counter({
      name: 'whatsapp_send_retries_total',
      help: 'Graph requests retried, by error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    sendRedeliveries: new Counter({
      name: 'whatsapp_send_redeliveries_total',
      help: 'Sends redelivered after an attempt that was cut short (crash or failed commit after the Graph call may have succeeded), by kind and action: resent (possible duplicate) or skipped (read receipts, never repeated)',
      labelNames: ['kind', 'action'],
      registers: [registry],
    }),
    alerts: new Counter({
      name: 'message_service_alerts_total',
      help: 'Alert-worthy events (training failed, bad token, undeliverable)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    templates: new Counter({
      name: 'whatsapp_window_templates_total',
      help: 'Templates sent because the 24-hour window was closed, by purpose',
      labelNames: ['purpose'],
      registers: [registry],
    }),
    templateSends: new Counter({
      name: 'whatsapp_template_sends_total',
      help: 'Template messages sent to WhatsApp (window templates and their reminders), by purpose and outcome',
      labelNames: ['purpose', 'outcome'],
      registers: [registry],
    }),
    optedOutDropped: new Counter({
      name: 'whatsapp_opted_out_dropped_total',
      help: 'Business-initiated messages not sent because the user opted out, by the input that produced them',
      labelNames: ['input'],
      registers: [registry],
    }),
    deliveryFailures: new Counter({
      name: 'whatsapp_delivery_failures_total',
      help: 'Messages WhatsApp accepted and later reported failed (status webhook), by error code, kind and what we did (retry, tell_user, hold_for_window, record, pending_send)',
      labelNames: ['code', 'kind', 'action'],
      registers: [registry],
    }),
  };
  (registry as unknown as { __messageMetrics: MessageMetrics }).__messageMetrics = metrics;
  return metrics;
}
