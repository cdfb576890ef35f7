import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RunHistory } from './runs.js';

/** The janitor's metrics. Last success comes from the run history, so CronJob runs count too. */
export function createMaintenanceMetrics(registry: Registry, history?: RunHistory) {
  const deletedRows = new Counter({
    name: 'maintenance_deleted_rows_total',
    help: 'Rows deleted by cleanup, by kind and table',
    labelNames: ['kind', 'table'],
    registers: [registry],
  });
  const deletedBlobs = new Counter({
    name: 'maintenance_deleted_blobs_total',
    help: 'Stored blobs deleted by cleanup, by kind',
    labelNames: ['kind'],
    registers: [registry],
  });
  const deletedTunes = new Counter({
    name: 'maintenance_deleted_tunes_total',
    help: 'Astria tunes deleted by cleanup',
    registers: [registry],
  });
  const runs = new Counter({
    name: 'maintenance_runs_total',
    help: 'Maintenance runs by command and status (succeeded, failed, skipped: another run held the lock)',
    labelNames: ['command', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'maintenance_run_duration_seconds',
    help: 'Duration of maintenance runs by command and status',
    labelNames: ['command', 'status'],
    buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 900],
    registers: [registry],
  });
  const tunesRecovered = new Counter({
    name: 'maintenance_reconcile_tunes_recovered_total',
    help: 'Tunes whose images reconciliation fetched from Astria and delivered',
    registers: [registry],
  });
  const tunesPending = new Gauge({
    name: 'maintenance_reconcile_tunes_pending',
    help: 'Tunes past ETA + grace still without images at the last reconcile',
    registers: [registry],
  });
  const staleTraining = new Gauge({
    name: 'maintenance_stale_training_conversations',
    help: "Conversations in 'training' for longer than STALE_TRAINING_MINUTES at the last reconcile",
    registers: [registry],
  });
  const templateReminders = new Counter({
    name: 'maintenance_template_reminders_total',
    help: 'WhatsApp template reminders put in the outbox for users who had not answered, by template purpose',
    labelNames: ['purpose'],
    registers: [registry],
  });
  const lastSuccessInProcess: Record<string, number> = {};
  new Gauge({
    name: 'maintenance_last_success_timestamp_seconds',
    help: 'When each command last succeeded (not a dry run), from the run history; alert when too old',
    labelNames: ['command'],
    registers: [registry],
    async collect() {
      let stored: Record<string, number> = {};
      try {
        stored = history ? await history.lastSuccess() : {};
      } catch {
        // The database is unreachable: report what this process saw itself.
      }
      for (const command of ['cleanup', 'reconcile']) {
        const at = Math.max(stored[command] ?? 0, lastSuccessInProcess[command] ?? 0);
        if (at > 0) this.set({ command }, at);
      }
    },
  });
  return {
    deletedRows,
    deletedBlobs,
    deletedTunes,
    runs,
    duration,
    tunesRecovered,
    tunesPending,
    staleTraining,
    templateReminders,
    recordSuccess(command: string, at: Date) {
      lastSuccessInProcess[command] = at.getTime() / 1000;
    },
  };
}

export type MaintenanceMetrics = ReturnType<typeof createMaintenanceMetrics>;
