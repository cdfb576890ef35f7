import type { MaintenanceServiceConfig } from '@astria/config';
import type { Database } from '@astria/db';
import type { Logger } from '@astria/service-kit';
import { type CleanupResult, runCleanup } from './cleanup.js';
import type { ImageMaintenanceProvider } from './image-maintenance.js';
import { LOCK_KEYS, withAdvisoryLock } from './lock.js';
import type { MaintenanceMetrics } from './metrics.js';
import { type ReconcileResult, runReconcile } from './reconcile.js';
import { createRunHistory, type MaintenanceCommand } from './runs.js';

export const COMMANDS: readonly MaintenanceCommand[] = ['cleanup', 'reconcile'];

/** The one JSON object a run prints and stores. */
export type RunSummary = {
  command: MaintenanceCommand;
  status: 'succeeded' | 'failed' | 'skipped';
  dryRun: boolean;
  startedAt: string;
  durationMs: number;
  runId?: number;
  reason?: string;
  error?: string;
} & Partial<CleanupResult & ReconcileResult>;

export interface JobDeps {
  database: Database;
  config: MaintenanceServiceConfig;
  imageMaintenance: ImageMaintenanceProvider;
  logger: Logger;
  metrics?: MaintenanceMetrics;
  /** Fixed clock for tests. */
  now?: () => Date;
  signal?: AbortSignal;
}

/**
 * Runs one command under its advisory lock and records it in the run history. A run that finds
 * the lock taken does nothing and reports `skipped` (a success: the other run does the work).
 */
export async function runCommand(
  deps: JobDeps,
  command: MaintenanceCommand,
  options: { dryRun: boolean },
): Promise<RunSummary> {
  const { database, config, logger, metrics } = deps;
  const startedAt = deps.now?.() ?? new Date();
  const clock = performance.now();
  const history = createRunHistory(database);
  const base = { command, dryRun: options.dryRun, startedAt: startedAt.toISOString() };
  let summary: RunSummary;
  try {
    const outcome = await withAdvisoryLock(database, LOCK_KEYS[command], async () => {
      const runId = await history.start(command, options.dryRun, startedAt);
      let result: CleanupResult | ReconcileResult;
      try {
        result =
          command === 'cleanup'
            ? await runCleanup(
                {
                  database,
                  settings: config,
                  imageMaintenance: deps.imageMaintenance,
                  logger,
                  ...(metrics ? { metrics } : {}),
                  now: startedAt,
                  ...(deps.signal ? { signal: deps.signal } : {}),
                },
                options.dryRun,
              )
            : await runReconcile(
                {
                  database,
                  settings: config,
                  imageMaintenance: deps.imageMaintenance,
                  logger,
                  ...(metrics ? { metrics } : {}),
                  now: startedAt,
                },
                options.dryRun,
              );
      } catch (error) {
        const failed: RunSummary = {
          ...base,
          status: 'failed',
          durationMs: Math.round(performance.now() - clock),
          runId,
          error: error instanceof Error ? error.message : String(error),
        };
        await history.finish(runId, 'failed', failed);
        return failed;
      }
      const done: RunSummary = {
        ...base,
        status: result.ok ? 'succeeded' : 'failed',
        durationMs: Math.round(performance.now() - clock),
        runId,
        ...result,
      };
      await history.finish(runId, result.ok ? 'succeeded' : 'failed', done);
      return done;
    });
    summary = outcome.acquired
      ? outcome.result
      : {
          ...base,
          status: 'skipped',
          durationMs: Math.round(performance.now() - clock),
          reason: `another ${command} run holds the lock; nothing to do`,
        };
  } catch (error) {
    summary = {
      ...base,
      status: 'failed',
      durationMs: Math.round(performance.now() - clock),
      error: error instanceof Error ? error.message : String(error),
    };
  }

  metrics?.runs.inc({ command, status: summary.status });
  if (summary.status !== 'skipped')
    metrics?.duration.observe({ command, status: summary.status }, summary.durationMs / 1000);
  if (summary.status === 'succeeded' && !options.dryRun) metrics?.recordSuccess(command, new Date());
  const level = summary.status === 'failed' ? 'error' : 'info';
  logger[level](
    { command, status: summary.status, dryRun: options.dryRun, durationMs: summary.durationMs, totals: summary.totals },
    summary.status === 'skipped' ? `${command} skipped: another run holds the lock` : `${command} ${summary.status}`,
  );
  return summary;
}
