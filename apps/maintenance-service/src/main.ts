import { maintenanceCommandConfigSchema } from '@astria/config';
import { runService } from '@astria/service-host';
import type { FastifyPluginAsync } from 'fastify';
import { maintenanceServiceApp } from './app.js';

await runService({
  service: 'maintenance-service',
  // Serve runs cleanup and reconcile on their schedules: reconcile needs Astria's key.
  configSchema: maintenanceCommandConfigSchema('serve', { dryRun: false }),
  app: (config) => ({
    plugin: maintenanceServiceApp as unknown as FastifyPluginAsync<Record<string, unknown>>,
    options: { config },
  }),
});
