import { maintenanceServiceConfigSchema } from '@astria/config';
import { runService } from '@astria/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import { maintenanceServiceApp } from './app.js';

await runService({
  service: 'maintenance-service',
  configSchema: maintenanceServiceConfigSchema,
  app: (config) => ({
    plugin: maintenanceServiceApp as unknown as FastifyPluginAsync<Record<string, unknown>>,
    options: { config },
  }),
});
