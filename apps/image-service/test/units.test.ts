import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backoffDelay, HttpError, httpRetryPolicy, isRetryable, NetworkError, withRetry } from '@astria/service-kit';
import { describe, expect, it } from 'vitest';
import { LocalBlobStorage } from '../src/blob-storage.js';
import { callbackToken, callbackUrls } from '../src/domain/callback-token.js';
import { deliverableImages, MalformedCallbackError, parseCallbackBody } from '../src/domain/callbacks.js';
import { characteristicsOf, judgeInspection, majorityCharacteristics } from '../src/domain/inspection.js';

describe('inspection verdicts', () => {
  it('accepts a clean photo with its class and string characteristics', () => {
    const verdict = judgeInspection({
      name: 'Woman',
      eye_color: 'brown eyes',
      glasses: '',
      blurry: false,
      selfie: true,
    });
    expect(verdict).toEqual({
      status: 'accepted',
      subjectClass: 'woman',
      characteristics: { eye_color: 'brown eyes' },
    });
  });
  it('rejects by the first flag in priority order', () => {
    expect(judgeInspection({ name: 'man', wearing_hat: true, blurry: true }).reason).toBe('blurry');
    expect(judgeInspection({ name: '' }).reason).toBe('no_person');
    expect(judgeInspection({}).reason).toBe('no_person');
  });
  it('keeps only well-formed string characteristics', () => {
    expect(characteristicsOf({ name: 'x', 'Bad Key': 'v', age: '30-40', flag: true })).toEqual({ age: '30-40' });
  });
  it('takes the values a strict majority agree on', () => {
    expect(
      majorityCharacteristics([
        { eye_color: 'brown', hair: 'dark' },
        { eye_color: 'brown', hair: 'blond' },
        { eye_color: 'green' },
        { eye_color: 'brown', hair: 'red' },
      ]),
    ).toEqual({ eye_color: 'brown' });
    expect(majorityCharacteristics([])).toEqual({});
  });
});

describe('callback tokens and bodies', () => {
  it('binds a token to its request', () => {
    expect(callbackToken('s', 'a')).not.toBe(callbackToken('s', 'b'));
    expect(callbackToken('s', 'a')).not.toBe(callbackToken('t', 'a'));
    const urls = callbackUrls('https://img.example.com/', 's', 'req 1');
    expect(urls.tune).toMatch(/^https:\/\/img\.example\.com\/tune-trained\?request=req%201&token=[\w-]{43}$/);
    expect(urls.prompts).toMatch(/^https:\/\/img\.example\.com\/pack-tune-received\?request=req%201&token=/);
  });
  it('parses every callback shape', () => {
    expect(parseCallbackBody({ tune: { id: 7, trained_at: 'x' } }, 'tune')).toMatchObject({
      kind: 'tune',
      tune: { id: 7 },
    });
    expect(parseCallbackBody({ id: 7, title: 't' }, 'tune')).toMatchObject({ kind: 'tune' });
    expect(parseCallbackBody({ prompt: { id: 1, tune_id: 7, images: [] } }, 'prompts')).toMatchObject({
      kind: 'prompts',
      completeSet: false,
    });
    expect(parseCallbackBody([{ id: '1', images: ['https://a/1.jpg'] }], 'prompts')).toMatchObject({
      kind: 'prompts',
      completeSet: true,
      prompts: [{ id: 1 }],
    });
    expect(parseCallbackBody({ id: 1, tune_id: 7, images: [] }, 'tune')).toMatchObject({ kind: 'prompts' });
    expect(() => parseCallbackBody('x', 'prompts')).toThrow(MalformedCallbackError);
    expect(() => parseCallbackBody({ prompt: { id: -1 } }, 'prompts')).toThrow(MalformedCallbackError);
  });
  it('orders images by prompt and tells videos apart', () => {
    expect(
      deliverableImages([
        { id: 2, images: ['https://a/2.jpg', 'https://a/2.MP4?x=1'] },
        { id: 1, images: ['https://a/1.jpg'] },
      ]),
    ).toEqual([
      { url: 'https://a/1.jpg', kind: 'image', promptId: 1 },
      { url: 'https://a/2.jpg', kind: 'image', promptId: 2 },
      { url: 'https://a/2.MP4?x=1', kind: 'video', promptId: 2 },
    ]);
  });
});

describe('retries', () => {
  it('retries 429, 5xx and network errors only', async () => {
    expect(isRetryable(new HttpError('x', 429, ''))).toBe(true);
    expect(isRetryable(new HttpError('x', 503, ''))).toBe(true);
    expect(isRetryable(new HttpError('x', 422, ''))).toBe(false);
    expect(isRetryable(new NetworkError('x', true, new Error('t')))).toBe(true);
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new HttpError('x', 422, '');
        },
        httpRetryPolicy({ retries: 3, baseMs: 1, maxMs: 60_000 }),
      ),
    ).rejects.toThrow(HttpError);
    expect(calls).toBe(1);
    calls = 0;
    const value = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new HttpError('x', 502, '');
        return 'ok';
      },
      httpRetryPolicy({ retries: 3, baseMs: 1, maxMs: 60_000 }),
    );
    expect([value, calls]).toEqual(['ok', 3]);
  });
  it('backs off exponentially with jitter, capped', () => {
    for (let i = 0; i < 20; i++) {
      const d = backoffDelay(3, { baseMs: 100, maxMs: 1000 });
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
      expect(backoffDelay(10, { baseMs: 100, maxMs: 1000 })).toBeLessThanOrEqual(1000);
    }
  });
});

describe('local blob storage', () => {
  it('stores, reads, deletes and gives stable public URLs; refuses keys that escape', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'blobs-'));
    try {
      const blobs = new LocalBlobStorage(dir, 'https://img.example.com/media/');
      await blobs.put('previews/pack-1-woman.mp4', Buffer.from('video'), 'video/mp4');
      expect(await blobs.get('previews/pack-1-woman.mp4')).toEqual({
        bytes: Buffer.from('video'),
        contentType: 'video/mp4',
      });
      await blobs.put('previews/pack-1-woman.mp4', Buffer.from('video2'), 'video/mp4');
      expect((await blobs.get('previews/pack-1-woman.mp4'))?.bytes.toString()).toBe('video2');
      expect(await blobs.publicUrl('previews/pack-1-woman.mp4')).toBe(
        'https://img.example.com/media/previews/pack-1-woman.mp4',
      );
      await blobs.delete('previews/pack-1-woman.mp4');
      await blobs.delete('previews/pack-1-woman.mp4');
      expect(await blobs.get('previews/pack-1-woman.mp4')).toBeNull();
      for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '.hidden']) {
        await expect(blobs.put(key, Buffer.from('x'), 'text/plain')).rejects.toThrow(/invalid blob key/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
