import type { MaintenanceServiceConfig } from '@astria/config';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { runCommand } from '../jobs.js';
import { createScheduler, type Scheduler } from '../scheduler.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The in-process scheduler of cleanup and reconcile (the CronJobs' expressions, in UTC). */
    scheduler: Scheduler;
  }
}

export interface SchedulerPluginOptions {
  config: MaintenanceServiceConfig;
}

/**
 * Runs cleanup and reconcile on their schedules, started when the app is ready (if SCHEDULER_ENABLED)
 * and stopped when it closes, waiting for a run in progress (which stops between batches).
 */
export const schedulerPlugin = fp(
  async (app: FastifyInstance, options: SchedulerPluginOptions) => {
    const { config } = options;
    const shutdown = new AbortController();
    const scheduler = createScheduler({
      schedules: { cleanup: config.CLEANUP_CRON, reconcile: config.RECONCILE_CRON },
      logger: app.log,
      run: (command) =>
        runCommand(
          {
            database: app.database,
            config,
            imageMaintenance: app.imageMaintenance,
            logger: app.log,
            metrics: app.maintenanceMetrics,
            signal: shutdown.signal,
          },
          command,
          { dryRun: false },
        ),
    });
    app.decorate('scheduler', scheduler);

    app.addHook('onReady', async () => {
      if (config.SCHEDULER_ENABLED) scheduler.start();
    });
    app.addHook('onClose', async () => {
      shutdown.abort();
      await scheduler.stop();
    });
  },
  { name: 'scheduler', dependencies: ['image-maintenance', 'run-history'] },
);
