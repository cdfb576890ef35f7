import type { PaymentServiceConfig } from '@astria/config';
import type { FastifyPluginAsync } from 'fastify';
import { erasureConsumerPlugin } from './plugins/erasure-consumer.js';
import { paymentMetricsPlugin } from './plugins/payment-metrics.js';
import { stripePricesPlugin } from './plugins/stripe-prices.js';
import { paymentMoveOverPlugin } from './rollout/move-over.js';
import { stripePaymentRoutes } from './routes/payments-stripe.js';
import { sumitPaymentRoutes } from './routes/payments-sumit.js';
import type { StripePriceLookup } from './stripe-prices.js';

export interface PaymentServiceAppOptions {
  config: PaymentServiceConfig;
  /** Overrides the Stripe API lookup built from STRIPE_API_KEY / STRIPE_API_URL. */
  stripePriceLookup?: StripePriceLookup;
}

/**
 * payment-service: SUMIT and Stripe webhooks → one stored payment per provider payment id and, with
 * it in the same transaction, one `payment_received` event (or, for a user the old app still serves during
 * the move-over, one `sumit_forward_requested`). It consumes one event, `user_data_erased` (the user's payments
 * reduced to what prevents a double payment), and runs no background work (the outbox relay and the consumer
 * belong to the event runtime). Composes the plugins, then the routes.
 */
export const paymentServiceApp: FastifyPluginAsync<PaymentServiceAppOptions> = async (app, options) => {
  const { config } = options;
  await app.register(paymentMetricsPlugin);
  await app.register(erasureConsumerPlugin);
  await app.register(paymentMoveOverPlugin, { config });
  await app.register(stripePricesPlugin, {
    config,
    ...(options.stripePriceLookup ? { lookup: options.stripePriceLookup } : {}),
  });

  await app.register(sumitPaymentRoutes, { config });
  await app.register(stripePaymentRoutes, { config });
};
