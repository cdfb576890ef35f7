import { z } from 'zod';
import { bool, port, positiveInt } from '../fields.js';
import { imageServiceConfigSchema } from './image-service.js';
import { requireTransportSettings } from './shared.js';

/** A five-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC. */
const cron = (fallback: string) =>
  z
    .string()
    .regex(/^\s*\S+(\s+\S+){4}\s*$/, 'a five-field cron expression, e.g. 0 4 * * 3')
    .default(fallback)
    .transform((v) => v.trim().replace(/\s+/g, ' '));

/** What the janitor adds to the image service's settings (it calls the image service's purge and reconcile). */
export const maintenanceShape = {
  CLEANUP_CRON: cron('0 4 * * 3').describe('when cleanup runs in scheduler mode (UTC); the CronJob uses the same'),
  RECONCILE_CRON: cron('*/10 * * * *').describe('when reconcile runs in scheduler mode (UTC)'),
  SCHEDULER_ENABLED: bool(true).describe('scheduler mode: run the cron jobs (false: health and metrics only)'),
  CLEANUP_BATCH_SIZE: positiveInt(5000).describe('rows deleted per transaction, so ingest is never blocked'),
  CLEANUP_BATCH_PAUSE_MS: z.coerce
    .number()
    .int('a whole number')
    .min(0, 'zero or more milliseconds')
    .default(0)
    .describe('pause between two delete batches, to leave room for live traffic'),
  DEDUP_RETENTION_DAYS: positiveInt(14).describe('WhatsApp message de-duplication records kept this long'),
  OUTBOX_RETENTION_DAYS: positiveInt(7).describe('published outbox rows kept this long (every service)'),
  INBOX_RETENTION_DAYS: positiveInt(30).describe('consumer inbox rows kept this long (every service)'),
  DEAD_LETTER_RETENTION_DAYS: positiveInt(30).describe(
    'dead letters kept this long: replayed ones from their replay, unresolved ones from their failure',
  ),
  PHOTO_ABANDONED_AFTER_DAYS: positiveInt(30).describe(
    'photos of users who never trained are deleted after this many days without activity',
  ),
  TUNE_DELETION_ENABLED: bool(false).describe('delete Astria tunes past TUNE_RETENTION_DAYS (DELETE /tunes/{id})'),
  TUNE_RETENTION_DAYS: positiveInt(30).describe('Astria tunes kept this long when TUNE_DELETION_ENABLED'),
  RECONCILE_GRACE_MINUTES: positiveInt(15).describe("tunes this long past Astria's ETA without images are polled"),
  RECONCILE_LIMIT: positiveInt(100).describe('tunes polled at Astria per reconcile run at most'),
  STALE_TRAINING_MINUTES: positiveInt(180).describe("conversations in 'training' this long are reported as stale"),
  MAINTENANCE_RUN_HISTORY_DAYS: positiveInt(90).describe('maintenance run history kept this long'),
};

// The image service's own settings (Astria, blobs, callbacks) are reused as they are, not duplicated:
// cleanup and reconcile call that service's maintenance functions with an ImageServiceConfig.
const { PORT: _imagePort, ...imageShape } = imageServiceConfigSchema.shape;

export const maintenanceServiceConfigSchema = z
  .object({
    ...imageShape,
    PORT: port(7074),
    ...maintenanceShape,
  })
  .superRefine(requireTransportSettings);

export type MaintenanceServiceConfig = z.output<typeof maintenanceServiceConfigSchema>;
