import { readdir } from 'node:fs/promises';
import { queryRows } from '@astria/db';
import { waitFor } from '@astria/db/testing';
import { userHashOf } from '@astria/events';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedPhotos, count, type Harness, startHarness, trainingRequest } from './helpers.js';

const USER = '972500000777';
const OTHER = '972500000778';
const jpegs = (dir: string) => readdir(dir, { recursive: true }).then((l) => l.filter((f) => f.endsWith('.jpg')));

/** user_data_erased ("Delete my data" in WhatsApp): the user's photos, blobs, Astria tunes and rows go. */
describe('erasure', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it("deletes the user's blobs, Astria tunes, photos, tunes, prompts and events; another user's stay", async () => {
    // A trained tune with its images (its photos are purged once trained), then new photos for a next model.
    const trained = await acceptedPhotos(h, USER, 2, 'a');
    await h.publish('training_requested', trainingRequest('req-erase', USER, trained));
    await waitFor(async () => (await h.published('images_generated')).length > 0, {
      what: 'images_generated',
      timeoutMs: 10_000,
    });
    await h.astria.idle();
    await acceptedPhotos(h, USER, 2, 'b');
    await acceptedPhotos(h, OTHER, 1, 'c');
    const [tune] = await h.published('tune_created');
    const tuneId = tune?.data.tuneId as number;
    expect(h.astria.tunes.get(tuneId)?.deleted).toBe(false);
    expect(await jpegs(h.blobDir)).toHaveLength(3);
    expect(await count(h.database, 'imaging.prompts', "request_id = 'req-erase'")).toBeGreaterThan(0);

    const userHash = userHashOf(USER);
    await h.publish('user_data_erased', { userHash, erasedAt: new Date().toISOString() });
    await waitFor(async () => (await count(h.database, 'imaging.erasures', "status = 'done'")) === 1, {
      what: 'the erasure job',
      timeoutMs: 10_000,
    });

    expect(h.astria.tunes.get(tuneId)?.deleted).toBe(true);
    expect(await jpegs(h.blobDir)).toHaveLength(1); // the other user's photo
    expect(await count(h.database, 'imaging.photos', `user_id = '${USER}'`)).toBe(0);
    expect(await count(h.database, 'imaging.photos', `user_id = '${OTHER}'`)).toBe(1);
    expect(await count(h.database, 'imaging.tunes', `user_id = '${USER}'`)).toBe(0);
    expect(await count(h.database, 'imaging.prompts', "request_id = 'req-erase'")).toBe(0);
    expect(await count(h.database, 'imaging.outbox', `key = '${USER}'`)).toBe(0);
    expect(await count(h.database, 'imaging.outbox', `key = '${OTHER}'`)).toBe(1);
    const [job] = await queryRows<{ counts: Record<string, number> }>(
      h.database.db,
      sql`select counts from imaging.erasures`,
    );
    expect(job?.counts).toMatchObject({ photos: 2, blobs: 2, astria_tunes: 1, tunes: 1 });
  });

  it('the same event again is one job: nothing more is asked of Astria', async () => {
    const deletes = () => h.astria.requests.filter((r) => r.route.startsWith('DELETE')).length;
    const before = deletes();
    await h.publish('user_data_erased', { userHash: userHashOf(USER), erasedAt: new Date().toISOString() });
    expect(await count(h.database, 'imaging.erasures')).toBe(1);
    expect(deletes()).toBe(before);
  });
});
