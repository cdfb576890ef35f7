import type { MaintenanceServiceConfig } from '@astria/config';
import type { FastifyPluginAsync } from 'fastify';
import { type ImageMaintenanceProvider, imageMaintenanceFromPackage } from './image-maintenance.js';
import { runCommand } from './jobs.js';
import { createMaintenanceMetrics } from './metrics.js';
import { createRunHistory } from './runs.js';
import { createScheduler } from './scheduler.js';

export interface MaintenanceServiceAppOptions {
  config: MaintenanceServiceConfig;
  /** The image service's maintenance; by default loaded from `@astria/image-service`. */
  imageMaintenance?: ImageMaintenanceProvider;
}

/**
 * The long-running mode: health and metrics (from service-kit), the run history at `GET /runs`,
 * and an in-process scheduler started when the app is ready and stopped (waiting for a run in
 * progress, which stops between batches) when it closes.
 */
export const maintenanceServiceApp: FastifyPluginAsync<MaintenanceServiceAppOptions> = async (app, options) => {
  const { config } = options;
  const database = app.database;
  const history = createRunHistory(database);
  const metrics = createMaintenanceMetrics(app.metrics, history);
  const imageMaintenance =
    options.imageMaintenance ?? imageMaintenanceFromPackage({ database, config, logger: app.log });
  const shutdown = new AbortController();
  const scheduler = createScheduler({
    schedules: { cleanup: config.CLEANUP_CRON, reconcile: config.RECONCILE_CRON },
    logger: app.log,
    run: (command) =>
      runCommand({ database, config, imageMaintenance, logger: app.log, metrics, signal: shutdown.signal }, command, {
        dryRun: false,
      }),
  });

  app.get('/runs', async (request) => {
    const query = request.query as { limit?: string };
    const limit = Math.min(100, Math.max(1, Number.parseInt(query.limit ?? '20', 10) || 20));
    return { schedule: scheduler.next(), runs: await history.recent(limit) };
  });

  app.addHook('onReady', async () => {
    if (config.SCHEDULER_ENABLED) scheduler.start();
  });
  app.addHook('onClose', async () => {
    shutdown.abort();
    await scheduler.stop();
  });
};
