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
  WHATSAPP_TEMPLATE_REMINDERS: z.coerce
    .number()
    .int('a whole number')
    .min(0, 'zero or more reminders')
    .max(10, 'at most 10 reminders')
    .default(2)
    .describe('reminders at most for a user who has not answered a WhatsApp window template (0: none)'),
  WHATSAPP_TEMPLATE_REMINDER_HOURS: positiveInt(24).describe(
    'hours after a window template (or the previous reminder) before a reminder',
  ),
  MAINTENANCE_RUN_HISTORY_DAYS: positiveInt(90).describe('maintenance run history kept this long'),
};

// The image service's own settings (Astria, blobs) are reused as they are, not duplicated: cleanup and
// reconcile call that service's maintenance functions. The janitor never talks to WhatsApp, never signs
// callback URLs and never serves POST /update-images, so those secrets are optional here (the CronJobs
// share the image service's ConfigMap, so the keys stay known). ASTRIA_API_KEY is required only by the
// commands that call Astria: see `maintenanceCommandConfigSchema`.
const {
  PORT: _imagePort,
  WHATSAPP_API_URL,
  WHATSAPP_NUMBER_ID,
  WHATSAPP_API_KEY,
  ASTRIA_API_KEY,
  PUBLIC_BASE_URL,
  CALLBACK_SIGNING_SECRET,
  UPDATE_IMAGES_TOKEN,
  ...imageShape
} = imageServiceConfigSchema.shape;

const maintenanceObject = z.object({
  ...imageShape,
  WHATSAPP_API_URL: WHATSAPP_API_URL.optional().describe('not used by maintenance'),
  WHATSAPP_NUMBER_ID: WHATSAPP_NUMBER_ID.optional().describe('not used by maintenance'),
  WHATSAPP_API_KEY: WHATSAPP_API_KEY.optional().describe('not used by maintenance'),
  ASTRIA_API_KEY: ASTRIA_API_KEY.optional().describe(
    'the Astria API key: needed by reconcile, serve, and cleanup when TUNE_DELETION_ENABLED (not for --dry-run)',
  ),
  PUBLIC_BASE_URL: PUBLIC_BASE_URL.optional().describe('not used by maintenance (it only deletes blobs)'),
  CALLBACK_SIGNING_SECRET: CALLBACK_SIGNING_SECRET.optional().describe('not used by maintenance'),
  UPDATE_IMAGES_TOKEN: UPDATE_IMAGES_TOKEN.optional().describe('not used by maintenance'),
  PORT: port(7074),
  ...maintenanceShape,
});

/** Every setting the maintenance service knows, with nothing command-specific required (use for documentation and manifests). */
export const maintenanceServiceConfigSchema = maintenanceObject.superRefine(requireTransportSettings);

export type MaintenanceServiceConfig = z.output<typeof maintenanceServiceConfigSchema>;

export type MaintenanceCommandName = 'cleanup' | 'reconcile' | 'serve';

/** Why a command needs the Astria key, or undefined when it does not. */
export function astriaNeededBy(
  command: MaintenanceCommandName,
  options: { dryRun: boolean; tuneDeletionEnabled: boolean },
): string | undefined {
  if (command === 'reconcile') return '`maintenance reconcile` polls Astria for late tunes';
  if (command === 'serve') return '`maintenance serve` runs reconcile on its schedule, which polls Astria';
  if (options.tuneDeletionEnabled && !options.dryRun) {
    return '`maintenance cleanup` deletes Astria tunes when TUNE_DELETION_ENABLED=true';
  }
  return undefined;
}

/**
 * The settings one maintenance command needs: `cleanup --dry-run` needs only the database, while
 * reconcile and serve (and cleanup with tune deletion) also need ASTRIA_API_KEY. The error names the
 * command that needs the variable.
 */
export function maintenanceCommandConfigSchema(command: MaintenanceCommandName, options: { dryRun: boolean }) {
  return maintenanceObject.superRefine(requireTransportSettings).superRefine((value, ctx) => {
    const why = astriaNeededBy(command, { dryRun: options.dryRun, tuneDeletionEnabled: value.TUNE_DELETION_ENABLED });
    if (why && !value.ASTRIA_API_KEY) {
      ctx.addIssue({ code: 'custom', path: ['ASTRIA_API_KEY'], message: `needed because ${why}` });
    }
  });
}
