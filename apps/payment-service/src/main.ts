import { paymentServiceConfigSchema } from '@astria/config';
import { runService } from '@astria/service-host';
import type { FastifyPluginAsync } from 'fastify';
import { paymentServiceApp } from './app.js';

await runService({
  service: 'payment-service',
  configSchema: paymentServiceConfigSchema,
  app: (config) => ({
    plugin: paymentServiceApp as unknown as FastifyPluginAsync<Record<string, unknown>>,
    options: { config },
  }),
});
