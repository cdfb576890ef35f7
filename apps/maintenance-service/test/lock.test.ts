import { createDatabase } from '@astria/db';
import { type TestDatabase, waitFor } from '@astria/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../src/jobs.js';
import { LOCK_KEYS, withAdvisoryLock } from '../src/lock.js';
import { silentLogger } from '../src/logger.js';
import { count, gate, maintenanceTestDatabase, recordingImageMaintenance, testConfig } from './helpers.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await maintenanceTestDatabase();
});
afterAll(async () => {
  await database?.destroy();
});

describe('advisory lock', () => {
  it('a second overlapping cleanup exits at once, successfully, saying so', async () => {
    const held = gate();
    let entered = false;
    const images = recordingImageMaintenance({
      purgePhotos: async () => {
        entered = true;
        await held.promise;
        return { rows: 0, blobs: 0 };
      },
    });
    const deps = { database, config: testConfig(), imageMaintenance: images.provider, logger: silentLogger };
    const first = runCommand(deps, 'cleanup', { dryRun: false });
    await waitFor(() => entered, { what: 'the first cleanup to be in progress' });

    const second = await runCommand(deps, 'cleanup', { dryRun: false });
    expect(second.status).toBe('skipped');
    expect(second.reason).toBe('another cleanup run holds the lock; nothing to do');

    // Reconcile has its own lock: it may run while cleanup does.
    const reconcile = await runCommand(deps, 'reconcile', { dryRun: true });
    expect(reconcile.status).toBe('succeeded');

    held.open();
    expect((await first).status).toBe('succeeded');
    expect(images.calls.filter((c) => c.method === 'purgePhotos')).toHaveLength(1);
    expect(await count(database, 'maintenance.runs', `command = 'cleanup'`)).toBe(1);

    // Released: the next run takes it.
    expect((await runCommand(deps, 'cleanup', { dryRun: true })).status).toBe('succeeded');
  });

  it('is released when the work throws', async () => {
    await expect(
      withAdvisoryLock(database, LOCK_KEYS.cleanup, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await withAdvisoryLock(database, LOCK_KEYS.cleanup, async () => 'again')).toEqual({
      acquired: true,
      result: 'again',
    });
  });

  it('a lock held elsewhere (another process on PostgreSQL) skips the run until released', async () => {
    // PostgreSQL: a separate connection, as another pod would. PGlite: one embedded session, so
    // another run in this process holds it.
    let release: () => Promise<void>;
    if (database.url) {
      const other = await createDatabase({ url: database.url, poolMax: 1, applicationName: 'other-pod' });
      const sql = other.postgres;
      if (!sql) throw new Error('no postgres client');
      await sql`select pg_advisory_lock(${LOCK_KEYS.reconcile}::bigint)`;
      release = async () => {
        await sql`select pg_advisory_unlock(${LOCK_KEYS.reconcile}::bigint)`;
        await other.close();
      };
    } else {
      const held = gate();
      let holding = false;
      const holder = withAdvisoryLock(database, LOCK_KEYS.reconcile, async () => {
        holding = true;
        await held.promise;
      });
      await waitFor(() => holding, { what: 'the lock to be held' });
      release = async () => {
        held.open();
        await holder;
      };
    }
    const deps = {
      database,
      config: testConfig(),
      imageMaintenance: recordingImageMaintenance().provider,
      logger: silentLogger,
    };
    try {
      expect((await runCommand(deps, 'reconcile', { dryRun: false })).status).toBe('skipped');
    } finally {
      await release();
    }
    expect((await runCommand(deps, 'reconcile', { dryRun: false })).status).toBe('succeeded');
  });

  it('a run whose process died is marked abandoned by the next run of that command', async () => {
    await database.db.execute(
      sql`insert into maintenance.runs (command, status, started_at) values ('reconcile', 'running', now() - interval '2 hours')`,
    );
    const summary = await runCommand(
      { database, config: testConfig(), imageMaintenance: recordingImageMaintenance().provider, logger: silentLogger },
      'reconcile',
      { dryRun: true },
    );
    expect(summary.status).toBe('succeeded');
    expect(await count(database, 'maintenance.runs', `command = 'reconcile' and status = 'running'`)).toBe(0);
    expect(await count(database, 'maintenance.runs', `command = 'reconcile' and status = 'abandoned'`)).toBe(1);
  });
});
