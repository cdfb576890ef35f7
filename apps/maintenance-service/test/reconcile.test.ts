import type { TestDatabase } from '@astria/db/testing';
import { sql } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../src/jobs.js';
import { silentLogger } from '../src/logger.js';
import { createMaintenanceMetrics } from '../src/metrics.js';
import { createRunHistory } from '../src/runs.js';
import { maintenanceTestDatabase, recordingImageMaintenance, testConfig } from './helpers.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await maintenanceTestDatabase();
  await database.db.execute(sql`insert into messaging.conversations (user_id, state, updated_at) values
    ('972501234567', 'training', now() - interval '5 hours'),
    ('972507654321', 'training', now() - interval '4 hours'),
    ('972500000001', 'training', now() - interval '10 minutes'),
    ('972500000002', 'idle', now() - interval '3 days')`);
});
afterAll(async () => {
  await database?.destroy();
});

describe('reconcile', () => {
  it('has the image service poll overdue tunes and reports stale trainings, masked', async () => {
    const images = recordingImageMaintenance({ reconcile: async () => ({ checked: 3, recovered: 2, pending: 1 }) });
    const registry = new Registry();
    const history = createRunHistory(database);
    const metrics = createMaintenanceMetrics(registry, history);
    const summary = await runCommand(
      {
        database,
        config: testConfig({ RECONCILE_GRACE_MINUTES: '20', RECONCILE_LIMIT: '50', STALE_TRAINING_MINUTES: '180' }),
        imageMaintenance: images.provider,
        logger: silentLogger,
        metrics,
      },
      'reconcile',
      { dryRun: false },
    );
    expect(summary.status).toBe('succeeded');
    expect(images.calls).toEqual([{ method: 'reconcile', options: { dryRun: false, graceMinutes: 20, limit: 50 } }]);
    expect(summary.tunes).toEqual({ checked: 3, recovered: 2, pending: 1 });
    expect(summary.staleTraining?.count).toBe(2);
    expect(summary.staleTraining?.oldestMinutes).toBeGreaterThanOrEqual(299);
    expect(summary.staleTraining?.users).toHaveLength(2);
    const printed = JSON.stringify(summary);
    expect(printed).not.toContain('972501234567');
    expect(printed).not.toContain('972507654321');

    const text = await registry.metrics();
    expect(text).toMatch(/maintenance_reconcile_tunes_recovered_total 2/);
    expect(text).toMatch(/maintenance_stale_training_conversations 2/);
    expect(text).toMatch(/maintenance_reconcile_tunes_pending 1/);
    expect(text).toMatch(/maintenance_last_success_timestamp_seconds\{command="reconcile"\} \d+/);
    expect(text).toMatch(/maintenance_runs_total\{command="reconcile",status="succeeded"\} 1/);
  });

  it('--dry-run passes through to the image service and records no success', async () => {
    const images = recordingImageMaintenance();
    const registry = new Registry();
    const metrics = createMaintenanceMetrics(registry);
    const summary = await runCommand(
      { database, config: testConfig(), imageMaintenance: images.provider, logger: silentLogger, metrics },
      'reconcile',
      { dryRun: true },
    );
    expect(summary.status).toBe('succeeded');
    expect(images.calls[0]?.options).toMatchObject({ dryRun: true, graceMinutes: 15, limit: 100 });
    expect(await registry.metrics()).not.toMatch(/maintenance_last_success_timestamp_seconds\{/);
  });

  it('fails (non-zero) when Astria polling fails, still reporting stale trainings', async () => {
    const images = recordingImageMaintenance({
      reconcile: async () => {
        throw new Error('Astria answered 503');
      },
    });
    const summary = await runCommand(
      { database, config: testConfig(), imageMaintenance: images.provider, logger: silentLogger },
      'reconcile',
      { dryRun: false },
    );
    expect(summary.status).toBe('failed');
    expect(summary.tunes?.error).toBe('Astria answered 503');
    expect(summary.staleTraining?.count).toBe(2);
  });
});
