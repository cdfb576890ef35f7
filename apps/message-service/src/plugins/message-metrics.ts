import fp from 'fastify-plugin';
import { type MessageMetrics, registerMessageMetrics } from '../metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The message service's own metrics (webhook, ingest, transitions, sends), on `/metrics`. */
    messageMetrics: MessageMetrics;
  }
}

/** Registers the message service's metrics on the service's registry (`app.metrics`). */
export const messageMetricsPlugin = fp(
  async (app) => {
    app.decorate('messageMetrics', registerMessageMetrics(app.metrics));
  },
  { name: 'message-metrics', fastify: '5.x', dependencies: ['astria-metrics'] },
);
