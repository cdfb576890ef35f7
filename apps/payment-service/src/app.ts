import type { PaymentServiceConfig } from '@astria/config';
import { acceptRawBodies } from '@astria/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import { registerPaymentMetrics } from './metrics.js';
import { stripeRoutes } from './routes/stripe.js';
import { sumitRoutes } from './routes/sumit.js';
import { createStripePriceLookup, type StripePriceLookup } from './stripe-prices.js';
import { sumitOptionsFromConfig } from './sumit.js';

export interface PaymentServiceAppOptions {
  config: PaymentServiceConfig;
  /** Overrides the Stripe API lookup built from STRIPE_API_KEY / STRIPE_API_URL. */
  stripePriceLookup?: StripePriceLookup;
}

/**
 * payment-service: SUMIT and Stripe webhooks → one stored payment per provider payment id and, with
 * it in the same transaction, one `payment_received` event. It consumes no events and runs no
 * background work (the outbox relay belongs to the event runtime).
 */
export const paymentServiceApp: FastifyPluginAsync<PaymentServiceAppOptions> = async (app, options) => {
  const { config } = options;
  const metrics = registerPaymentMetrics(app.metrics);
  const priceLookup =
    options.stripePriceLookup ??
    (config.STRIPE_API_KEY
      ? createStripePriceLookup({
          apiKey: config.STRIPE_API_KEY,
          apiUrl: config.STRIPE_API_URL,
          timeoutMs: config.STRIPE_API_TIMEOUT_MS,
        })
      : undefined);

  // Webhooks get raw bodies: the token / signature is checked before anything is parsed.
  await app.register(async (webhooks) => {
    acceptRawBodies(webhooks);
    sumitRoutes(webhooks, {
      token: config.SUMIT_WEBHOOK_TOKEN,
      ...sumitOptionsFromConfig(config),
      metrics,
    });
    stripeRoutes(webhooks, {
      webhookSecret: config.STRIPE_WEBHOOK_SECRET,
      toleranceSeconds: config.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
      tierById: config.STRIPE_TIER_BY_ID,
      priceLookup,
      defaultCountryCode: config.DEFAULT_COUNTRY_CODE,
      metrics,
    });
  });
};
