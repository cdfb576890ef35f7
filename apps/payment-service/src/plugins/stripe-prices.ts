import type { PaymentServiceConfig } from '@astria/config';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createStripePriceLookup, type StripePriceLookup } from '../stripe-prices.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Finds a Checkout Session's price ids when its payment link is not mapped; undefined without STRIPE_API_KEY. */
    stripePriceLookup: StripePriceLookup | undefined;
  }
}

export interface StripePricesPluginOptions {
  config: PaymentServiceConfig;
  /** Overrides the Stripe API lookup built from STRIPE_API_KEY / STRIPE_API_URL. */
  lookup?: StripePriceLookup;
}

export const stripePricesPlugin = fp(
  async (app: FastifyInstance, options: StripePricesPluginOptions) => {
    const { config } = options;
    app.decorate(
      'stripePriceLookup',
      options.lookup ??
        (config.STRIPE_API_KEY
          ? createStripePriceLookup({
              apiKey: config.STRIPE_API_KEY,
              apiUrl: config.STRIPE_API_URL,
              timeoutMs: config.STRIPE_API_TIMEOUT_MS,
            })
          : undefined),
    );
  },
  { name: 'stripe-prices' },
);
