import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type PaymentMetrics, registerPaymentMetrics } from '../metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Webhook outcomes and durations, payments by tier (on the service's registry, served at /metrics). */
    paymentMetrics: PaymentMetrics;
  }
}

export const paymentMetricsPlugin = fp(
  async (app: FastifyInstance) => {
    app.decorate('paymentMetrics', registerPaymentMetrics(app.metrics));
  },
  { name: 'payment-metrics', dependencies: ['astria-metrics'] },
);
