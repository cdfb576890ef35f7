import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createMaintenanceMetrics, type MaintenanceMetrics } from '../metrics.js';
import { createRunHistory, type RunHistory } from '../runs.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The run history (maintenance.runs), shared with the CronJob runs. */
    runHistory: RunHistory;
    /** The janitor's metrics; last success is read from the run history. */
    maintenanceMetrics: MaintenanceMetrics;
  }
}

export const runHistoryPlugin = fp(
  async (app: FastifyInstance) => {
    const history = createRunHistory(app.database);
    app.decorate('runHistory', history);
    app.decorate('maintenanceMetrics', createMaintenanceMetrics(app.metrics, history));
  },
  { name: 'run-history', dependencies: ['astria-metrics'] },
);
