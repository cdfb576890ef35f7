import { messageServiceConfigSchema } from '@astria/config';
import { runService } from '@astria/service-host';
import type { FastifyPluginAsync } from 'fastify';
import { messageServiceApp } from './app.js';

await runService({
  service: 'message-service',
  configSchema: messageServiceConfigSchema,
  app: (config) => ({
    plugin: messageServiceApp as FastifyPluginAsync<Record<string, unknown>>,
    options: { config },
  }),
});
