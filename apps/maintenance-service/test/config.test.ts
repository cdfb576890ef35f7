import { ConfigError, loadConfig, maintenanceServiceConfigSchema } from '@astria/config';
import { describe, expect, it } from 'vitest';
import { REQUIRED_ENV } from './helpers.js';

describe('maintenance-service configuration', () => {
  it('defaults to the documented schedules and retention periods', () => {
    const config = loadConfig('maintenance-service', maintenanceServiceConfigSchema, REQUIRED_ENV);
    expect(config).toMatchObject({
      PORT: 7074,
      CLEANUP_CRON: '0 4 * * 3',
      RECONCILE_CRON: '*/10 * * * *',
      SCHEDULER_ENABLED: true,
      CLEANUP_BATCH_SIZE: 5000,
      DEDUP_RETENTION_DAYS: 14,
      OUTBOX_RETENTION_DAYS: 7,
      INBOX_RETENTION_DAYS: 30,
      DEAD_LETTER_RETENTION_DAYS: 30,
      PHOTO_ABANDONED_AFTER_DAYS: 30,
      TUNE_DELETION_ENABLED: false,
      TUNE_RETENTION_DAYS: 30,
      RECONCILE_GRACE_MINUTES: 15,
      STALE_TRAINING_MINUTES: 180,
    });
    // The image service's own settings are part of it (cleanup and reconcile call that service).
    expect(config.ASTRIA_API_URL).toBe('http://127.0.0.1:9');
    expect(config.BLOB_STORAGE).toBe('local');
  });

  it('rejects a malformed cron expression or retention, naming the variable', () => {
    try {
      loadConfig('maintenance-service', maintenanceServiceConfigSchema, {
        ...REQUIRED_ENV,
        CLEANUP_CRON: 'every wednesday',
        DEDUP_RETENTION_DAYS: '0',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const variables = (error as ConfigError).problems.map((p) => p.variable).sort();
      expect(variables).toEqual(['CLEANUP_CRON', 'DEDUP_RETENTION_DAYS']);
    }
  });
});
