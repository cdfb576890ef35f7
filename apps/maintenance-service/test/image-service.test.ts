import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestDatabase } from '@astria/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageMaintenanceFromPackage } from '../src/image-maintenance.js';
import { runCommand } from '../src/jobs.js';
import { silentLogger } from '../src/logger.js';
import { count, maintenanceTestDatabase, testConfig } from './helpers.js';

// The real image service's maintenance, loaded the way production loads it: the contract end to end.
let database: TestDatabase;
let blobDir: string;

beforeAll(async () => {
  database = await maintenanceTestDatabase();
  blobDir = await mkdtemp(join(tmpdir(), 'maintenance-blobs-'));
});
afterAll(async () => {
  await database?.destroy();
  await rm(blobDir, { recursive: true, force: true });
});

describe('with @astria/image-service', () => {
  it('cleanup purges abandoned photos (rows and blobs) and keeps recent ones', async () => {
    await mkdir(join(blobDir, 'photos'), { recursive: true });
    await writeFile(join(blobDir, 'photos', 'old.jpg'), 'jpeg');
    await writeFile(join(blobDir, 'photos', 'new.jpg'), 'jpeg');
    await database.db.execute(sql`insert into imaging.photos
      (id, user_id, message_id, media_id, blob_key, status, created_at, updated_at) values
      (gen_random_uuid(), '972500000010', 'wamid.p1', 'm1', 'photos/old.jpg', 'accepted', now() - interval '40 days', now() - interval '40 days'),
      (gen_random_uuid(), '972500000011', 'wamid.p2', 'm2', 'photos/new.jpg', 'accepted', now() - interval '1 day', now() - interval '1 day')`);
    const config = testConfig({ BLOB_STORAGE: 'local', BLOB_LOCAL_DIR: blobDir, PHOTO_ABANDONED_AFTER_DAYS: '30' });
    const deps = {
      database,
      config,
      imageMaintenance: imageMaintenanceFromPackage({ database, config, logger: silentLogger }),
      logger: silentLogger,
    };

    const dry = await runCommand(deps, 'cleanup', { dryRun: true });
    expect(dry.steps?.find((s) => s.kind === 'photos')).toMatchObject({ rows: 1, blobs: 1 });
    expect(await count(database, 'imaging.photos')).toBe(2);

    const real = await runCommand(deps, 'cleanup', { dryRun: false });
    expect(real.status).toBe('succeeded');
    expect(real.steps?.find((s) => s.kind === 'photos')).toMatchObject({ rows: 1, blobs: 1 });
    expect(await count(database, 'imaging.photos')).toBe(1);
    expect(existsSync(join(blobDir, 'photos', 'old.jpg'))).toBe(false);
    expect(existsSync(join(blobDir, 'photos', 'new.jpg'))).toBe(true);
  });

  it('reconcile runs against it (nothing overdue: nothing asked of Astria)', async () => {
    const config = testConfig();
    const summary = await runCommand(
      {
        database,
        config,
        imageMaintenance: imageMaintenanceFromPackage({ database, config, logger: silentLogger }),
        logger: silentLogger,
      },
      'reconcile',
      { dryRun: false },
    );
    expect(summary.status).toBe('succeeded');
    expect(summary.tunes).toEqual({ checked: 0, recovered: 0, pending: 0 });
  });
});
