import { readdir } from 'node:fs/promises';
import { waitFor } from '@astria/db/testing';
import { ACCEPTED_INSPECTION } from '@astria/simulators/astria';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acceptedPhotos, count, type Harness, startHarness, trainingRequest } from './helpers.js';

describe('training', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.astria.setCallbacks(true);
  });

  it('trains a new tune on the stored photos, then delivers the images once the callbacks come', async () => {
    h.astria.setInspectResults([
      { ...ACCEPTED_INSPECTION, eye_color: 'green eyes' },
      ACCEPTED_INSPECTION,
      ACCEPTED_INSPECTION,
    ]);
    const photoIds = await acceptedPhotos(h, '972500000001', 3);
    await h.publish('training_requested', trainingRequest('req-new', '972500000001', photoIds));
    const [created] = await h.published('tune_created');
    expect(created?.data).toMatchObject({ requestId: 'req-new', userId: '972500000001', packId: 260 });
    expect(created?.data.eta).toEqual(expect.any(String));
    const tune = h.astria.tunes.get(created?.data.tuneId as number);
    expect(tune?.title).toBe('tr_req-new');
    expect(tune?.name).toBe('woman');
    expect(tune?.uploads).toHaveLength(3);
    // The majority's characteristics: 2 of 3 photos say brown eyes.
    expect(tune?.characteristics).toMatchObject({ eye_color: 'brown eyes', hair_color: 'dark brown hair' });
    expect(tune?.callback).toMatch(/\/tune-trained\?request=req-new&token=/);
    expect(tune?.prompts_callback).toMatch(/\/pack-tune-received\?request=req-new&token=/);

    const [generated] = await waitFor(
      async () => {
        const events = await h.published('images_generated');
        return events.length > 0 ? events : undefined;
      },
      { what: 'images_generated', timeoutMs: 10_000 },
    );
    const images = generated?.data.images as Array<{ url: string; kind: string; promptId: number }>;
    expect(images).toHaveLength(6); // 3 prompts × 2 images
    const promptIds = images.map((i) => i.promptId);
    expect(promptIds).toEqual([...promptIds].sort((a, b) => a - b));
    expect(images.every((i) => i.kind === 'image')).toBe(true);
    await h.astria.idle();
    expect(h.astria.callbacks.map((c) => c.status)).toEqual([200, 200]);
    // The user's photos are gone once the tune trained: rows and blobs.
    expect(await count(h.database, 'imaging.photos', "user_id = '972500000001'")).toBe(0);
    expect(await readdir(h.blobDir, { recursive: true }).then((l) => l.filter((f) => f.endsWith('.jpg')))).toEqual([]);
    expect(await count(h.database, 'imaging.tunes', "request_id = 'req-new' and status = 'completed'")).toBe(1);
  });

  it('the same request twice makes one tune', async () => {
    const before = h.astria.tunes.size;
    const photoIds = await acceptedPhotos(h, '972500000002', 1);
    await h.publish('training_requested', trainingRequest('req-dup', '972500000002', photoIds));
    await h.publish('training_requested', trainingRequest('req-dup', '972500000002', photoIds));
    expect(h.astria.tunes.size).toBe(before + 1);
    expect((await h.published('tune_created')).filter((e) => e.data.requestId === 'req-dup')).toHaveLength(1);
    await h.astria.idle();
  });

  it('renders a pack on an existing tune: no photos, no training', async () => {
    const existing = [...h.astria.tunes.values()][0];
    const tunesBefore = h.astria.tunes.size;
    await h.publish(
      'training_requested',
      trainingRequest('req-existing', '972500000001', [], { packId: 310, existingTuneId: existing?.id }),
    );
    const created = (await h.published('tune_created')).find((e) => e.data.requestId === 'req-existing');
    expect(created?.data).toMatchObject({ tuneId: existing?.id, packId: 310 });
    expect(h.astria.tunes.size).toBe(tunesBefore);
    const generated = await waitFor(
      async () => (await h.published('images_generated')).find((e) => e.data.requestId === 'req-existing'),
      { what: 'images_generated for the existing tune', timeoutMs: 10_000 },
    );
    expect(generated.data).toMatchObject({ tuneId: existing?.id, packId: 310 });
  });

  it('a 422 fails at once with astria_rejected (no retry)', async () => {
    const photoIds = await acceptedPhotos(h, '972500000003', 1);
    const posts = () => h.astria.requests.filter((r) => r.route === 'POST /p/:id/tunes').length;
    const before = posts();
    h.astria.failNext('POST /p/:id/tunes', 422);
    await h.publish('training_requested', trainingRequest('req-422', '972500000003', photoIds));
    const failed = (await h.published('training_failed')).find((e) => e.data.requestId === 'req-422');
    expect(failed?.data).toMatchObject({ reason: 'astria_rejected', userId: '972500000003' });
    expect(posts() - before).toBe(1);
    expect((await h.published('tune_created')).some((e) => e.data.requestId === 'req-422')).toBe(false);
  });

  it('retries 429 with backoff and succeeds; gives up after the retries with astria_unavailable', async () => {
    const photoIds = await acceptedPhotos(h, '972500000004', 1);
    h.astria.failNext('POST /p/:id/tunes', 429, 2);
    await h.publish('training_requested', trainingRequest('req-429', '972500000004', photoIds));
    expect((await h.published('tune_created')).some((e) => e.data.requestId === 'req-429')).toBe(true);

    h.astria.failNext('POST /p/:id/tunes', 500, 3);
    await h.publish('training_requested', trainingRequest('req-500', '972500000004', photoIds));
    const failed = (await h.published('training_failed')).find((e) => e.data.requestId === 'req-500');
    expect(failed?.data.reason).toBe('astria_unavailable');
    await h.astria.idle();
  });

  it('a 504 means "probably created": the tune is looked up by title, not created twice', async () => {
    const photoIds = await acceptedPhotos(h, '972500000005', 1);
    const before = h.astria.tunes.size;
    h.astria.failNext('POST /p/:id/tunes', 504);
    await h.publish('training_requested', trainingRequest('req-504', '972500000005', photoIds));
    const created = (await h.published('tune_created')).find((e) => e.data.requestId === 'req-504');
    expect(h.astria.tunes.size).toBe(before + 1);
    expect(h.astria.tunes.get(created?.data.tuneId as number)?.title).toBe('tr_req-504');
    expect(h.astria.requests.some((r) => r.url === '/tunes?title=tr_req-504')).toBe(true);
    expect(h.astria.requests.filter((r) => r.route === 'POST /p/:id/tunes' && r.status === 201).length).toBeGreaterThan(
      0,
    );
    await h.astria.idle();
  });

  it('fails with photos_missing when the photos are gone', async () => {
    await h.publish(
      'training_requested',
      trainingRequest('req-nophotos', '972500000006', ['00000000-0000-5000-a000-000000000000']),
    );
    const failed = (await h.published('training_failed')).find((e) => e.data.requestId === 'req-nophotos');
    expect(failed?.data.reason).toBe('photos_missing');
  });

  it('counts tunes created and failed, retries, and the time to images', async () => {
    const body = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(body).toMatch(/image_tunes_created_total\{kind="new"[^}]*\} [1-9]/);
    expect(body).toMatch(/image_tunes_created_total\{kind="existing"[^}]*\} 1/);
    expect(body).toMatch(/image_tunes_failed_total\{reason="astria_rejected"[^}]*\} 1/);
    expect(body).toMatch(/image_tunes_failed_total\{reason="astria_unavailable"[^}]*\} 1/);
    expect(body).toMatch(/image_astria_retries_total\{[^}]*\} [1-9]/);
    expect(body).toMatch(/image_training_to_images_seconds_count\{[^}]*\} [1-9]/);
  });
});
