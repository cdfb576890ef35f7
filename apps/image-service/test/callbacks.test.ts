import { waitFor } from '@astria/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackToken, callbackUrls } from '../src/domain/callback-token.js';
import { createImageMaintenance } from '../src/index.js';
import { acceptedPhotos, count, type Harness, SIGNING_SECRET, startHarness, trainingRequest } from './helpers.js';

/** Creates a tune whose callbacks Astria "forgets", so the test delivers them itself. */
async function silentTune(h: Harness, requestId: string, userId: string): Promise<number> {
  h.astria.setCallbacks(false);
  const photoIds = await acceptedPhotos(h, userId, 1, requestId);
  await h.publish('training_requested', trainingRequest(requestId, userId, photoIds));
  const created = (await h.published('tune_created')).find((e) => e.data.requestId === requestId);
  await h.astria.idle(); // trained, prompts rendered, nobody told
  return created?.data.tuneId as number;
}

function promptsOf(h: Harness, tuneId: number) {
  return [...h.astria.prompts.values()].filter((p) => p.tune_id === tuneId).sort((a, b) => a.id - b.id);
}

describe('Astria callbacks', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const maintenance = () => createImageMaintenance({ database: h.database, config: h.config });
  const post = (path: string, body: unknown, raw?: string) =>
    h.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/json' },
      payload: raw ?? JSON.stringify(body),
    });

  it('401 without a token or with a wrong one, and nothing is stored', async () => {
    const tuneId = await silentTune(h, 'req-auth', '972510000001');
    const [prompt] = promptsOf(h, tuneId);
    const urls = callbackUrls('http://x', SIGNING_SECRET, 'req-auth');
    const path = new URL(urls.prompts).pathname;
    expect((await post(path, { prompt })).statusCode).toBe(401);
    expect((await post(`${path}?request=req-auth&token=forged`, { prompt })).statusCode).toBe(401);
    const otherToken = callbackToken(SIGNING_SECRET, 'req-other');
    expect((await post(`${path}?request=req-auth&token=${otherToken}`, { prompt })).statusCode).toBe(401);
    expect((await post(`/tune-trained?request=req-auth`, { tune: { id: tuneId } })).statusCode).toBe(401);
    expect(await count(h.database, 'imaging.prompts')).toBe(0);
    expect(await count(h.database, 'imaging.tunes', 'trained_at is not null')).toBe(0);
  });

  it('404 for an unknown tune, 400 for a malformed body', async () => {
    const unknown = callbackUrls('http://x', SIGNING_SECRET, 'req-nobody');
    const res = await post(unknown.prompts.replace('http://x', ''), { prompt: { id: 1, tune_id: 1, images: [] } });
    expect(res.statusCode).toBe(404);
    const known = callbackUrls('http://x', SIGNING_SECRET, 'req-auth').prompts.replace('http://x', '');
    expect((await post(known, null, '{not json')).statusCode).toBe(400);
    expect((await post(known, { prompt: { id: 'abc' } })).statusCode).toBe(400);
    expect((await post(known, { prompt: { id: 5, images: 'nope' } })).statusCode).toBe(400);
    expect((await post(known, [])).statusCode).toBe(400);
    const tuneUrl = callbackUrls('http://x', SIGNING_SECRET, 'req-auth').tune.replace('http://x', '');
    expect((await post(tuneUrl, { tune: { id: 999_999 } })).statusCode).toBe(404); // not this request's tune
  });

  it("a body outside the callback schema gets the schema's 400 naming the field, and counts as malformed", async () => {
    const known = callbackUrls('http://x', SIGNING_SECRET, 'req-auth').prompts.replace('http://x', '');
    const tooLong = await post(known, { prompt: { id: 5, text: 'x'.repeat(20_001) } });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toMatchObject({ error: 'FST_ERR_VALIDATION' });
    const notAUrl = await post(known, { prompt: { id: 5, images: ['ftp://x/1.jpg'] } });
    expect(notAUrl.statusCode).toBe(400);
    expect(notAUrl.json().message).toMatch(/body/);
    const metrics = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/image_callbacks_total\{route="pack-tune-received",outcome="malformed"[^}]*\} [1-9]/);
    // The schemas describe the routes in the service's OpenAPI document.
    const paths = (h.app.swagger() as { paths?: Record<string, unknown> }).paths ?? {};
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/tune-trained', '/pack-tune-received', '/update-images', '/previews/{packId}']),
    );
  });

  it('hostile but authentic callbacks get a 4xx or are stored sanitized, never a 5xx', async () => {
    const tuneId = await silentTune(h, 'req-hostile', '972510000009');
    const path = callbackUrls('http://x', SIGNING_SECRET, 'req-hostile').prompts.replace('http://x', '');
    const [p1] = promptsOf(h, tuneId);
    const deep = `${'{"a":['.repeat(5000)}1${']}'.repeat(5000)}`;
    const refused: Array<[string, string]> = [
      ['null', 'null'],
      ['a number', '42'],
      ['NUL in the text', JSON.stringify({ prompt: { ...p1, text: 'a\u0000b' } })],
      ['lone surrogate in an image URL', JSON.stringify({ prompt: { ...p1, images: ['https://x/\ud800.jpg'] } })],
      ['NUL in a timestamp', JSON.stringify({ prompt: { ...p1, created_at: '2026\u0000' } })],
      ['id 1e308', JSON.stringify({ prompt: { ...p1, id: 1e308 } })],
      ['10,000 prompts', JSON.stringify(Array.from({ length: 10_000 }, () => p1))],
    ];
    for (const [name, raw] of refused) {
      const { statusCode } = await post(path, null, raw);
      expect([400, 413], name).toContain(statusCode);
    }
    expect(await count(h.database, 'imaging.prompts', "request_id = 'req-hostile'")).toBe(0);
    // A finished prompt whose user_error is 5,000 levels deep with NUL and lone surrogates: kept, sanitized, cut.
    const withError = `{"prompt":{"id":${p1?.id},"tune_id":${tuneId},"images":[],"user_error":{"x\\u0000":"\\ud800","d":${deep}}}}`;
    const response = await post(path, null, withError);
    expect(response.statusCode).toBeLessThan(300);
    expect(await count(h.database, 'imaging.prompts', "request_id = 'req-hostile' and length(user_error) <= 520")).toBe(
      1,
    );
    // A tune callback whose dates are not dates PostgreSQL can hold: taken, the dates ignored.
    const tunePath = callbackUrls('http://x', SIGNING_SECRET, 'req-hostile').tune.replace('http://x', '');
    const badDates = { id: tuneId, trained_at: 'not a date', eta: '+275760-09-13T00:00:00.000Z', expires_at: '0' };
    const trained = await post(tunePath, { tune: badDates });
    expect(trained.statusCode).toBe(200);
    expect(await count(h.database, 'imaging.tunes', "request_id = 'req-hostile' and trained_at is not null")).toBe(1);
  });

  it('per-prompt callbacks: each prompt recorded once, images_generated once when all are in', async () => {
    const tuneId = await silentTune(h, 'req-each', '972510000002');
    const urls = callbackUrls('http://x', SIGNING_SECRET, 'req-each');
    const path = urls.prompts.replace('http://x', '');
    const tunePath = urls.tune.replace('http://x', '');
    const [p1, p2, p3] = promptsOf(h, tuneId);
    // The tune callback, twice: trained once, the user's photos deleted.
    const tune = h.astria.tunes.get(tuneId);
    expect((await post(tunePath, { tune: { ...tune, trained_at: new Date().toISOString() } })).json()).toMatchObject({
      outcome: 'trained',
    });
    expect((await post(tunePath, { tune })).json()).toMatchObject({ outcome: 'already_trained' });
    expect(await count(h.database, 'imaging.photos', "user_id = '972510000002'")).toBe(0);

    // The last prompt carries a video, and arrives first: order is by prompt, not by arrival.
    const p3video = { ...p3, images: [...(p3?.images ?? []), 'https://cdn.example.com/p/3/clip.mp4'] };
    expect((await post(path, { prompt: p3video })).json()).toMatchObject({ outcome: 'recorded' });
    expect((await post(path, { prompt: p1 })).json()).toMatchObject({ outcome: 'recorded' });
    expect((await post(path, { prompt: p1 })).json()).toMatchObject({ outcome: 'recorded' }); // repeated
    expect(await h.published('images_generated')).toHaveLength(0);
    expect((await post(path, p2)).json()).toMatchObject({ outcome: 'published' }); // a flat prompt object
    // Replays of everything change nothing.
    expect((await post(path, { prompt: p2 })).json()).toMatchObject({ outcome: 'already_published' });
    expect((await post(path, [p1, p2, p3])).json()).toMatchObject({ outcome: 'already_published' });

    const events = (await h.published('images_generated')).filter((e) => e.data.requestId === 'req-each');
    expect(events).toHaveLength(1);
    const images = events[0]?.data.images as Array<{ url: string; kind: string; promptId: number }>;
    expect(images.map((i) => i.promptId)).toEqual([p1?.id, p1?.id, p2?.id, p2?.id, p3?.id, p3?.id, p3?.id]);
    expect(images.at(-1)).toMatchObject({ kind: 'video', url: 'https://cdn.example.com/p/3/clip.mp4' });
    expect(await count(h.database, 'imaging.prompts', "request_id = 'req-each'")).toBe(3);
  });

  it('reconciliation recovers a tune whose callbacks never came, through the callback path', async () => {
    const tuneId = await silentTune(h, 'req-lost', '972510000003');
    expect(await count(h.database, 'imaging.photos', "user_id = '972510000003'")).toBe(1);
    const dry = await maintenance().reconcile({ dryRun: true, graceMinutes: 0 });
    expect(dry.recovered).toBeGreaterThanOrEqual(1);
    expect((await h.published('images_generated')).some((e) => e.data.requestId === 'req-lost')).toBe(false);

    const result = await maintenance().reconcile({ dryRun: false, graceMinutes: 0 });
    expect(result.recovered).toBeGreaterThanOrEqual(1);
    const events = (await h.published('images_generated')).filter((e) => e.data.requestId === 'req-lost');
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ tuneId, userId: '972510000003' });
    expect(await count(h.database, 'imaging.prompts', "request_id = 'req-lost' and source = 'reconciliation'")).toBe(3);
    // Its tune callback never came either: the images prove it trained, so the photos go now.
    expect(await count(h.database, 'imaging.photos', "user_id = '972510000003'")).toBe(0);
    expect(await count(h.database, 'imaging.tunes', "request_id = 'req-lost' and trained_at is not null")).toBe(1);

    // A late callback after reconciliation: nothing more.
    const path = callbackUrls('http://x', SIGNING_SECRET, 'req-lost').prompts.replace('http://x', '');
    expect((await post(path, promptsOf(h, tuneId))).json()).toMatchObject({ outcome: 'already_published' });
    // Nothing left to reconcile.
    const again = await maintenance().reconcile({ dryRun: false, graceMinutes: 0 });
    expect(again.recovered).toBe(0);
  });

  it('a tune within its grace period is left alone', async () => {
    await silentTune(h, 'req-grace', '972510000004');
    const result = await maintenance().reconcile({ dryRun: false, graceMinutes: 60 });
    expect(result.checked).toBe(0);
  });

  it('callback and reconciliation racing publish one images_generated', async () => {
    const tuneId = await silentTune(h, 'req-race', '972510000005');
    const path = callbackUrls('http://x', SIGNING_SECRET, 'req-race').prompts.replace('http://x', '');
    const prompts = promptsOf(h, tuneId);
    const outcomes = await Promise.all([
      post(path, prompts),
      maintenance().reconcile({ dryRun: false, graceMinutes: 0 }),
      post(path, prompts),
      maintenance().reconcile({ dryRun: false, graceMinutes: 0 }),
    ]);
    expect(outcomes.filter((o) => 'statusCode' in o).every((o) => 'statusCode' in o && o.statusCode === 200)).toBe(
      true,
    );
    await waitFor(async () => (await h.published('images_generated')).some((e) => e.data.requestId === 'req-race'), {
      what: 'images_generated',
    });
    expect((await h.published('images_generated')).filter((e) => e.data.requestId === 'req-race')).toHaveLength(1);
  });

  it('prompts that all finished with errors become training_failed, once', async () => {
    const tuneId = await silentTune(h, 'req-errors', '972510000006');
    const path = callbackUrls('http://x', SIGNING_SECRET, 'req-errors').prompts.replace('http://x', '');
    const failed = promptsOf(h, tuneId).map((p) => ({ ...p, images: [], user_error: 'NSFW detected' }));
    expect((await post(path, failed)).json()).toMatchObject({ outcome: 'failed' });
    expect((await post(path, failed)).json()).toMatchObject({ outcome: 'already_published' });
    const events = (await h.published('training_failed')).filter((e) => e.data.requestId === 'req-errors');
    expect(events).toHaveLength(1);
    expect(events[0]?.data.reason).toBe('generation_failed');
  });

  it('the callback URLs work over HTTP, as Astria calls them', async () => {
    h.astria.setCallbacks(true);
    const photoIds = await acceptedPhotos(h, '972510000007', 1, 'http');
    await h.publish('training_requested', trainingRequest('req-http', '972510000007', photoIds));
    await waitFor(async () => (await h.published('images_generated')).some((e) => e.data.requestId === 'req-http'), {
      what: 'images_generated over HTTP',
      timeoutMs: 10_000,
    });
    await h.astria.idle();
    const mine = h.astria.callbacks.filter((c) => c.url.includes('request=req-http'));
    expect(mine.map((c) => c.status)).toEqual([200, 200]);
  });

  it('counts callbacks by route and outcome', async () => {
    const body = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(body).toMatch(/image_callbacks_total\{route="pack-tune-received",outcome="unauthorized"[^}]*\} [1-9]/);
    expect(body).toMatch(/image_callbacks_total\{route="pack-tune-received",outcome="published"[^}]*\} [1-9]/);
    expect(body).toMatch(/image_callbacks_total\{route="pack-tune-received",outcome="malformed"[^}]*\} [1-9]/);
    expect(body).toMatch(/image_callbacks_total\{route="tune-trained",outcome="trained"[^}]*\} [1-9]/);
  });
});
