import { imageServiceConfigSchema } from '@astria/config';
import { runService } from '@astria/service-host';
import type { FastifyPluginAsync } from 'fastify';
import { imageServiceApp } from './app.js';

await runService({
  service: 'image-service',
  configSchema: imageServiceConfigSchema,
  app: (config) => ({
    plugin: imageServiceApp as unknown as FastifyPluginAsync<Record<string, unknown>>,
    options: { config },
  }),
});
