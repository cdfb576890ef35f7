import type { PaymentServiceConfig } from '@astria/config';
import type { FastifyPluginAsync } from 'fastify';
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
 * it in the same transaction, one `payment_received` event. It consumes only its own
 * `sumit_forward_requested` (the move-over) and runs no other background work. Composes the plugins, then the routes.
 */
export const paymentServiceApp: FastifyPluginAsync<PaymentServiceAppOptions> = async (app, options) => {
  const { config } = options;
  await app.register(paymentMetricsPlugin);
  await app.register(paymentMoveOverPlugin, { config });
  await app.register(stripePricesPlugin, {
    config,
    ...(options.stripePriceLookup ? { lookup: options.stripePriceLookup } : {}),
  });

  await app.register(sumitPaymentRoutes, { config });
  await app.register(stripePaymentRoutes, { config });
};
