import { secondsBuckets } from '@astria/service-kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Provider } from './payment.js';

/**
 * Webhook outcomes. Successful: `applied`, `duplicate` (a replay, answered 200), `ignored` (not a
 * payment). Failed: everything else.
 */
export type WebhookOutcome =
  | 'applied'
  | 'forwarded'
  | 'duplicate'
  | 'ignored'
  | 'needs_review'
  | 'rejected'
  | 'unauthorized'
  | 'bad_signature'
  | 'invalid_json'
  | 'error';

const SUCCESSFUL: ReadonlySet<WebhookOutcome> = new Set(['applied', 'forwarded', 'duplicate', 'ignored']);
const PROVIDERS: Provider[] = ['sumit', 'stripe'];

export interface PaymentMetrics {
  webhook(provider: Provider, outcome: WebhookOutcome, seconds: number): void;
  payment(provider: Provider, tier: string, amount: number | null, currency: string | null): void;
}

export function registerPaymentMetrics(registry: Registry): PaymentMetrics {
  const webhooks = new Counter({
    name: 'payment_webhooks_total',
    help: 'Payment webhooks received, by provider and outcome',
    labelNames: ['provider', 'outcome'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'payment_webhook_duration_seconds',
    help: 'Time to process a payment webhook (verify, store, publish), by provider and outcome',
    labelNames: ['provider', 'outcome'],
    buckets: secondsBuckets(0.001, 5),
    registers: [registry],
  });
  const paymentsTotal = new Counter({
    name: 'payments_total',
    help: 'Payments applied (payment_received published), by provider and tier',
    labelNames: ['provider', 'tier'],
    registers: [registry],
  });
  const amountTotal = new Counter({
    name: 'payments_amount_total',
    help: 'Sum of applied payment amounts in major units, by tier and currency',
    labelNames: ['tier', 'currency'],
    registers: [registry],
  });
  const counts = new Map<Provider, { ok: number; all: number }>(PROVIDERS.map((p) => [p, { ok: 0, all: 0 }]));
  new Gauge({
    name: 'payment_webhook_success_ratio',
    help: 'Share of webhooks answered successfully (applied, duplicate or ignored) since start, by provider',
    labelNames: ['provider'],
    registers: [registry],
    collect() {
      for (const [provider, c] of counts) this.set({ provider }, c.all === 0 ? 1 : c.ok / c.all);
    },
  });
  return {
    webhook(provider, outcome, seconds) {
      webhooks.inc({ provider, outcome });
      latency.observe({ provider, outcome }, seconds);
      const c = counts.get(provider);
      if (c) {
        c.all += 1;
        if (SUCCESSFUL.has(outcome)) c.ok += 1;
      }
    },
    payment(provider, tier, amount, currency) {
      paymentsTotal.inc({ provider, tier });
      if (amount !== null) amountTotal.inc({ tier, currency: currency ?? 'unknown' }, amount);
    },
  };
}
