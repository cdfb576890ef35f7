import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@astria/db/testing';
import { resolveFfprobe } from '@astria/dev-programs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePreviewFrame } from '../src/previews.js';
import { type Harness, jpeg, startHarness, UPDATE_TOKEN } from './helpers.js';

const run = promisify(execFile);

describe('pack preview videos', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      schedulePreviews: true,
      astria: {
        packs: [
          {
            id: 900,
            slug: 'preview-test-standard',
            title: 'Preview test',
            costs: { woman: { cost: 1, num_images: 6 } },
            prompts_per_class: {
              woman: [
                { id: 1, text: 'one', images: ['/_sim/images/one.jpg', '/_sim/images/one-b.jpg'] },
                { id: 2, text: 'dark', images: ['/_sim/images/black.jpg'] },
                { id: 3, text: 'broken', images: ['/_sim/images/broken.jpg'] },
                { id: 4, text: 'missing', images: ['/_sim/images/missing.jpg'] },
                { id: 5, text: 'two', images: ['/_sim/images/two.jpg'] },
                { id: 6, text: 'three', images: ['/_sim/images/three.jpg'] },
              ],
            },
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('builds the previews at startup when none exist yet', async () => {
    const event = await waitFor(async () => (await h.published('pack_images_updated'))[0], {
      what: 'pack_images_updated from the startup build',
      timeoutMs: 20_000,
    });
    expect(event.data).toMatchObject({ packId: 900, subjectClass: 'woman' });
  });

  it('POST /update-images needs its token', async () => {
    expect((await h.app.inject({ method: 'POST', url: '/update-images' })).statusCode).toBe(401);
    const wrong = await h.app.inject({
      method: 'POST',
      url: '/update-images',
      headers: { authorization: 'Bearer no' },
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('rebuilds a real MP4 (H.264 baseline, yuv420p, 720x1280, ~1 image/s, faststart), skipping dark and broken images', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/update-images',
      headers: { authorization: `Bearer ${UPDATE_TOKEN}` },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'started' });
    const event = await waitFor(async () => (await h.published('pack_images_updated'))[1], {
      what: 'pack_images_updated',
      timeoutMs: 20_000,
    });
    expect(event.data).toEqual({
      packId: 900,
      subjectClass: 'woman',
      url: `${h.publicUrl}/media/previews/pack-900-woman.mp4`,
    });

    const media = await h.app.inject({ method: 'GET', url: '/media/previews/pack-900-woman.mp4' });
    expect(media.statusCode).toBe(200);
    expect(media.headers['content-type']).toBe('video/mp4');
    const mp4 = media.rawPayload;
    expect(mp4.indexOf('moov')).toBeLessThan(mp4.indexOf('mdat')); // +faststart
    const file = join(h.blobDir, 'probe.mp4');
    await writeFile(file, mp4);
    const { stdout } = await run(resolveFfprobe().path, [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name,profile,pix_fmt,width,height:format=duration',
      '-of',
      'json',
      file,
    ]);
    const probe = JSON.parse(stdout) as {
      streams: Array<{ codec_name: string; profile: string; pix_fmt: string; width: number; height: number }>;
      format: { duration: string };
    };
    expect(probe.streams[0]).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', width: 720, height: 1280 });
    expect(probe.streams[0]?.profile).toMatch(/Baseline/);
    // Three usable images (one, two, three): black, broken and missing were skipped.
    expect(Number(probe.format.duration)).toBeGreaterThanOrEqual(2.9);
    expect(Number(probe.format.duration)).toBeLessThanOrEqual(3.2);
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/image_preview_failed_images_total\{cause="near_black"[^}]*\} 2/);
    expect(metrics.body).toMatch(/image_preview_failed_images_total\{cause="broken"[^}]*\} 2/);
    expect(metrics.body).toMatch(/image_preview_failed_images_total\{cause="download"[^}]*\} 2/);
  });

  it('serves previews only: no photos, no path tricks', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/media/photos/abc/x.jpg' })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/media/previews/../photos/x.jpg' })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/media/previews/nothing.mp4' })).statusCode).toBe(404);
  });

  it("a pack id that is not a positive integer gets the schema's 400", async () => {
    for (const packId of ['abc', '1.5', '-3']) {
      const response = await h.app.inject({ method: 'GET', url: `/previews/${packId}` });
      expect(response.statusCode, packId).toBe(400);
      expect(response.json()).toMatchObject({ error: 'FST_ERR_VALIDATION' });
    }
    const none = await h.app.inject({ method: 'GET', url: '/previews/424242' });
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual([]);
  });

  it('letterboxes a landscape image into the portrait frame', async () => {
    const prepared = await preparePreviewFrame(await jpeg(2, 800, 400));
    expect('frame' in prepared).toBe(true);
    const sharp = (await import('sharp')).default;
    const meta = await sharp((prepared as { frame: Buffer }).frame).metadata();
    expect([meta.width, meta.height]).toEqual([720, 1280]);
  });
});
