import { readdir } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageMaintenance } from '../src/index.js';
import { acceptedPhotos, count, type Harness, startHarness, trainingRequest } from './helpers.js';

async function photoFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).filter((f) => /\.(jpg|png|webp)$/.test(f));
}

describe('image maintenance (used by the maintenance service)', () => {
  let h: Harness;
  const maintenance = () => createImageMaintenance({ database: h.database, config: h.config });
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('purges abandoned photos and photos of users whose tune trained (rows and blobs), dry-run first', async () => {
    await acceptedPhotos(h, '972520000001', 2, 'abandoned');
    await acceptedPhotos(h, '972520000002', 1, 'fresh');
    await acceptedPhotos(h, '972520000003', 2, 'trained');
    await h.database.db.execute(
      sql`update imaging.photos set updated_at = now() - interval '40 days' where user_id = '972520000001'`,
    );
    // A trained tune whose callback never deleted the photos (e.g. the service was down).
    await h.database.db.execute(sql`insert into imaging.tunes
      (request_id, user_id, pack_id, tier, subject_class, payment_id, title, tune_id, status, trained_at, requested_at)
      values ('req-trained', '972520000003', 260, 'standard', 'woman', 'pay', 'tr_req-trained', 42, 'trained', now(), now())`);
    expect(await photoFiles(h.blobDir)).toHaveLength(5);

    const dry = await maintenance().purgePhotos({ dryRun: true, abandonedAfterDays: 30, batchSize: 1 });
    expect(dry).toEqual({ rows: 4, blobs: 4 });
    expect(await count(h.database, 'imaging.photos')).toBe(5);

    const done = await maintenance().purgePhotos({ dryRun: false, abandonedAfterDays: 30, batchSize: 1 });
    expect(done).toEqual({ rows: 4, blobs: 4 });
    expect(await count(h.database, 'imaging.photos')).toBe(1);
    expect(await photoFiles(h.blobDir)).toHaveLength(1);
    expect(await maintenance().purgePhotos({ dryRun: false, abandonedAfterDays: 30, batchSize: 10 })).toEqual({
      rows: 0,
      blobs: 0,
    });
  });

  it('deletes Astria tunes past retention once their images were delivered', async () => {
    const photoIds = await acceptedPhotos(h, '972520000004', 1, 'retention');
    await h.publish('training_requested', trainingRequest('req-old', '972520000004', photoIds));
    const created = (await h.published('tune_created')).find((e) => e.data.requestId === 'req-old');
    const tuneId = created?.data.tuneId as number;
    await h.astria.idle();
    expect(await count(h.database, 'imaging.tunes', "request_id = 'req-old' and images_published_at is not null")).toBe(
      1,
    );
    expect((await maintenance().deleteExpiredTunes({ dryRun: false, retentionDays: 30, batchSize: 10 })).tunes).toBe(0);

    await h.database.db.execute(
      sql`update imaging.tunes set trained_at = now() - interval '40 days', created_at = now() - interval '40 days' where request_id = 'req-old'`,
    );
    expect(await maintenance().deleteExpiredTunes({ dryRun: true, retentionDays: 30, batchSize: 10 })).toEqual({
      tunes: 1,
    });
    expect(h.astria.tunes.get(tuneId)?.deleted).toBe(false);
    expect(await maintenance().deleteExpiredTunes({ dryRun: false, retentionDays: 30, batchSize: 10 })).toEqual({
      tunes: 1,
    });
    expect(h.astria.tunes.get(tuneId)?.deleted).toBe(true);
    expect(await count(h.database, 'imaging.tunes', "request_id = 'req-old' and tune_deleted_at is not null")).toBe(1);
    expect((await maintenance().deleteExpiredTunes({ dryRun: false, retentionDays: 30, batchSize: 10 })).tunes).toBe(0);
  });

  it('reconciliation counts a tune it cannot read as pending and goes on', async () => {
    await h.database.db.execute(sql`insert into imaging.tunes
      (request_id, user_id, pack_id, tier, subject_class, payment_id, title, tune_id, status, eta, requested_at)
      values ('req-gone', '972520000005', 260, 'standard', 'woman', 'pay', 'tr_req-gone', 777, 'created',
              now() - interval '2 hours', now() - interval '3 hours')`);
    const result = await maintenance().reconcile({ dryRun: false, graceMinutes: 15, limit: 10 });
    expect(result).toMatchObject({ checked: 1, recovered: 0, pending: 1 });
  });
});
