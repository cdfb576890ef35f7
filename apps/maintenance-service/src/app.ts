import type { MaintenanceServiceConfig } from '@astria/config';
import type { FastifyPluginAsync } from 'fastify';
import type { ImageMaintenanceProvider } from './image-maintenance.js';
import { imageMaintenancePlugin } from './plugins/image-maintenance.js';
import { runHistoryPlugin } from './plugins/run-history.js';
import { schedulerPlugin } from './plugins/scheduler.js';
import { runsRoutes } from './routes/runs.js';

export interface MaintenanceServiceAppOptions {
  config: MaintenanceServiceConfig;
  /** The image service's maintenance; by default `@astria/image-service/maintenance`'s. */
  imageMaintenance?: ImageMaintenanceProvider;
}

/**
 * The long-running mode: health and metrics (from service-kit), the run history at `GET /runs`,
 * and an in-process scheduler. Composes the plugins (adapters), then the routes.
 */
export const maintenanceServiceApp: FastifyPluginAsync<MaintenanceServiceAppOptions> = async (app, options) => {
  const { config } = options;
  await app.register(imageMaintenancePlugin, {
    config,
    ...(options.imageMaintenance ? { provider: options.imageMaintenance } : {}),
  });
  await app.register(runHistoryPlugin);
  await app.register(schedulerPlugin, { config });

  await app.register(runsRoutes);
};
