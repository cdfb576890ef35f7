import type { MaintenanceServiceConfig } from '@astria/config';
import type { Database } from '@astria/db';
import { verifyErasures } from '@astria/message-service/maintenance';
import type { Logger } from '@astria/service-kit';
import type { ImageMaintenanceProvider } from './image-maintenance.js';
import type { MaintenanceMetrics } from './metrics.js';
import { type CleanupKind, rowRules } from './retention.js';
import { cleanRows } from './row-cleanup.js';

export type CleanupSettings = Pick<
  MaintenanceServiceConfig,
  | 'CLEANUP_BATCH_SIZE'
  | 'CLEANUP_BATCH_PAUSE_MS'
  | 'DEDUP_RETENTION_DAYS'
  | 'OUTBOX_RETENTION_DAYS'
  | 'INBOX_RETENTION_DAYS'
  | 'DEAD_LETTER_RETENTION_DAYS'
  | 'MAINTENANCE_RUN_HISTORY_DAYS'
  | 'PHOTO_ABANDONED_AFTER_DAYS'
  | 'TUNE_DELETION_ENABLED'
  | 'TUNE_RETENTION_DAYS'
>;

/** One line of a cleanup summary: a kind on a table (or the image service's blobs and tunes). */
export interface CleanupStep {
  kind: CleanupKind;
  target: string;
  /** Rows deleted, or in a dry run the rows that would be. */
  rows: number;
  blobs?: number;
  tunes?: number;
  /** erasure_check: erasures found complete, erasures with something left, and what is left by table. */
  verified?: number;
  failing?: number;
  leftovers?: Record<string, number>;
  batches?: number;
  cutoff?: string;
  skipped?: string;
  error?: string;
}

export interface CleanupResult {
  ok: boolean;
  steps: CleanupStep[];
  totals: { rows: number; blobs: number; tunes: number };
}

export interface CleanupDeps {
  database: Database;
  settings: CleanupSettings;
  imageMaintenance: ImageMaintenanceProvider;
  logger: Logger;
  metrics?: MaintenanceMetrics;
  now?: Date;
  signal?: AbortSignal;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Deletes everything past retention, kind by kind, each in batches of short transactions. A kind
 * that fails is reported and the others still run; the run then fails as a whole.
 */
export async function runCleanup(deps: CleanupDeps, dryRun: boolean): Promise<CleanupResult> {
  const { database, settings, logger, metrics } = deps;
  const now = deps.now ?? new Date();
  const steps: CleanupStep[] = [];

  for (const rule of rowRules(settings, now)) {
    const target = `${rule.schema}.${rule.table}`;
    const step: CleanupStep = { kind: rule.kind, target, rows: 0, cutoff: rule.cutoff.toISOString() };
    try {
      const result = await cleanRows(database, rule, {
        dryRun,
        batchSize: settings.CLEANUP_BATCH_SIZE,
        pauseMs: settings.CLEANUP_BATCH_PAUSE_MS,
        onBatch: (deleted) => metrics?.deletedRows.inc({ kind: rule.kind, table: target }, deleted),
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
      step.rows = result.rows;
      step.batches = result.batches;
      if (result.skipped) step.skipped = result.skipped;
    } catch (error) {
      step.error = message(error);
      logger.error({ kind: rule.kind, target, err: step.error }, 'cleanup step failed');
    }
    steps.push(step);
  }

  // Photos and tunes belong to the image service: its maintenance deletes rows and blobs / tunes.
  const photos: CleanupStep = { kind: 'photos', target: 'imaging photos and blobs', rows: 0, blobs: 0 };
  try {
    const images = await deps.imageMaintenance();
    const result = await images.purgePhotos({
      dryRun,
      abandonedAfterDays: settings.PHOTO_ABANDONED_AFTER_DAYS,
      batchSize: settings.CLEANUP_BATCH_SIZE,
    });
    photos.rows = result.rows;
    photos.blobs = result.blobs;
    if (!dryRun) {
      metrics?.deletedRows.inc({ kind: 'photos', table: 'imaging.photos' }, result.rows);
      metrics?.deletedBlobs.inc({ kind: 'photos' }, result.blobs);
    }
  } catch (error) {
    photos.error = message(error);
    logger.error({ kind: 'photos', err: photos.error }, 'cleanup step failed');
  }
  steps.push(photos);

  const tunes: CleanupStep = { kind: 'tunes', target: 'Astria tunes', rows: 0, tunes: 0 };
  if (!settings.TUNE_DELETION_ENABLED) {
    tunes.skipped = 'TUNE_DELETION_ENABLED is false';
  } else {
    try {
      const images = await deps.imageMaintenance();
      const result = await images.deleteExpiredTunes({
        dryRun,
        retentionDays: settings.TUNE_RETENTION_DAYS,
        batchSize: settings.CLEANUP_BATCH_SIZE,
      });
      tunes.tunes = result.tunes;
      if (!dryRun) metrics?.deletedTunes.inc(result.tunes);
    } catch (error) {
      tunes.error = message(error);
      logger.error({ kind: 'tunes', err: tunes.error }, 'cleanup step failed');
    }
  }
  steps.push(tunes);

  // "Delete my data": nothing of an erased user older than the erasure may remain, in any table.
  const erasures: CleanupStep = { kind: 'erasure_check', target: 'every table of every service schema', rows: 0 };
  try {
    const check = await verifyErasures(database, { dryRun });
    if (!check) erasures.skipped = 'messaging.erasures does not exist';
    else {
      erasures.verified = check.verified;
      erasures.failing = check.failing;
      if (check.failing > 0) {
        erasures.leftovers = check.leftovers;
        erasures.error = `data of ${check.failing} erased user(s) remains in ${Object.keys(check.leftovers).join(', ')}`;
        logger.error({ alert: true, kind: 'erasure_check', leftovers: check.leftovers }, 'erased data remains');
      }
    }
  } catch (error) {
    erasures.error = message(error);
    logger.error({ kind: 'erasure_check', err: erasures.error }, 'cleanup step failed');
  }
  steps.push(erasures);

  const totals = {
    rows: steps.reduce((n, s) => n + s.rows, 0),
    blobs: steps.reduce((n, s) => n + (s.blobs ?? 0), 0),
    tunes: steps.reduce((n, s) => n + (s.tunes ?? 0), 0),
  };
  return { ok: steps.every((s) => !s.error), steps, totals };
}
