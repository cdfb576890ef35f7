import type { MaintenanceServiceConfig } from '@astria/config';
import type { Database } from '@astria/db';
import { findStaleTrainings, sendTemplateReminders } from '@astria/message-service/maintenance';
import type { Logger } from '@astria/service-kit';
import { maskPhone } from '@astria/service-kit';
import type { ImageMaintenanceProvider } from './image-maintenance.js';
import type { MaintenanceMetrics } from './metrics.js';

export type ReconcileSettings = Pick<
  MaintenanceServiceConfig,
  | 'RECONCILE_GRACE_MINUTES'
  | 'RECONCILE_LIMIT'
  | 'STALE_TRAINING_MINUTES'
  | 'WHATSAPP_TEMPLATE_REMINDERS'
  | 'WHATSAPP_TEMPLATE_REMINDER_HOURS'
>;

export interface StaleTrainingReport {
  count: number;
  oldestMinutes: number | null;
  /** Masked user ids (phone numbers), at most 20, oldest first. */
  users: string[];
  skipped?: string;
  error?: string;
}

export interface ReconcileResult {
  ok: boolean;
  tunes: { checked: number; recovered: number; pending: number; error?: string };
  staleTraining: StaleTrainingReport;
  /** Users reminded of a template they had not answered (due: found due; in a dry run nothing is sent). */
  templateReminders: {
    due: number;
    reminded: number;
    byPurpose: Record<string, number>;
    skipped?: string;
    error?: string;
  };
}

export interface ReconcileDeps {
  database: Database;
  settings: ReconcileSettings;
  imageMaintenance: ImageMaintenanceProvider;
  logger: Logger;
  metrics?: MaintenanceMetrics;
  now?: Date;
}

const REPORTED_USERS = 20;

/** Conversations stuck in `training` longer than the threshold (the query is the message service's). */
export async function findStaleTraining(
  database: Database,
  staleMinutes: number,
  now: Date,
): Promise<StaleTrainingReport> {
  const stale = await findStaleTrainings(database, { olderThanMinutes: staleMinutes, limit: REPORTED_USERS, now });
  if (!stale) return { count: 0, oldestMinutes: null, users: [], skipped: 'messaging.conversations does not exist' };
  const oldest = stale.oldestUpdatedAt;
  return {
    count: stale.count,
    oldestMinutes: oldest ? Math.floor((now.getTime() - oldest.getTime()) / 60_000) : null,
    users: stale.userIds.map((userId) => maskPhone(userId)),
  };
}

/**
 * Tunes past ETA + grace without images are checked at Astria by the image service, which delivers
 * finished ones through its callback path; stale `training` conversations are reported; users who have
 * not answered a WhatsApp template are reminded (at most WHATSAPP_TEMPLATE_REMINDERS times).
 */
export async function runReconcile(deps: ReconcileDeps, dryRun: boolean): Promise<ReconcileResult> {
  const { logger, metrics, settings } = deps;
  const now = deps.now ?? new Date();
  const tunes: ReconcileResult['tunes'] = { checked: 0, recovered: 0, pending: 0 };
  try {
    const images = await deps.imageMaintenance();
    const result = await images.reconcile({
      dryRun,
      graceMinutes: settings.RECONCILE_GRACE_MINUTES,
      limit: settings.RECONCILE_LIMIT,
    });
    Object.assign(tunes, { checked: result.checked, recovered: result.recovered, pending: result.pending });
    if (!dryRun) {
      metrics?.tunesRecovered.inc(result.recovered);
      metrics?.tunesPending.set(result.pending);
    }
  } catch (error) {
    tunes.error = error instanceof Error ? error.message : String(error);
    logger.error({ err: tunes.error }, 'tune reconciliation failed');
  }

  let staleTraining: StaleTrainingReport;
  try {
    staleTraining = await findStaleTraining(deps.database, settings.STALE_TRAINING_MINUTES, now);
    metrics?.staleTraining.set(staleTraining.count);
    if (staleTraining.count > 0) {
      logger.warn(
        { count: staleTraining.count, oldestMinutes: staleTraining.oldestMinutes, users: staleTraining.users },
        'conversations stuck in training',
      );
    }
  } catch (error) {
    staleTraining = {
      count: 0,
      oldestMinutes: null,
      users: [],
      error: error instanceof Error ? error.message : String(error),
    };
    logger.error({ err: staleTraining.error }, 'stale training check failed');
  }
  const templateReminders: ReconcileResult['templateReminders'] = { due: 0, reminded: 0, byPurpose: {} };
  try {
    const run = await sendTemplateReminders(deps.database, {
      maxReminders: settings.WHATSAPP_TEMPLATE_REMINDERS,
      intervalHours: settings.WHATSAPP_TEMPLATE_REMINDER_HOURS,
      limit: settings.RECONCILE_LIMIT,
      now,
      dryRun,
    });
    if (!run) templateReminders.skipped = 'messaging.conversations does not exist';
    else {
      Object.assign(templateReminders, run);
      for (const [purpose, n] of Object.entries(run.byPurpose)) metrics?.templateReminders.inc({ purpose }, n);
    }
  } catch (error) {
    templateReminders.error = error instanceof Error ? error.message : String(error);
    logger.error({ err: templateReminders.error }, 'template reminders failed');
  }
  return {
    ok: !tunes.error && !staleTraining.error && !templateReminders.error,
    tunes,
    staleTraining,
    templateReminders,
  };
}
