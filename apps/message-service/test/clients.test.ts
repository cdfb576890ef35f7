import { normalizeUserId } from '@astria/events';
import { startWhatsAppSimulator, type WhatsAppSimulator } from '@astria/simulators/whatsapp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphApiError, GraphClient } from '../src/graph/client.js';
import { toGraphPayload } from '../src/graph/payload.js';
import { Throttle } from '../src/graph/throttle.js';
import { PacksClient } from '../src/packs.js';
import { PairPacer } from '../src/pair-pacer.js';
import { startPacksServer } from './packs-server.js';

describe('Astria packs client', () => {
  let server: Awaited<ReturnType<typeof startPacksServer>>;
  beforeAll(async () => {
    server = await startPacksServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('fetches GET /packs with the Bearer key, maps them, and caches for the TTL', async () => {
    let now = 0;
    const client = new PacksClient({ baseUrl: server.url, apiKey: 'astria-key', ttlMs: 1000, now: () => now });
    const before = server.state.requests;
    const [a, b] = await Promise.all([client.list(), client.list()]);
    expect(a).toBe(b);
    expect(server.state.requests - before).toBe(1);
    expect(a[0]).toEqual({
      id: 260,
      slug: 'corporate-headshots-standard',
      title: 'Corporate Headshots',
      coverUrl: 'https://sdbooth2-production.s3.amazonaws.com/covers/260.jpg',
      costs: { man: { cost: 360, numImages: 24 }, woman: { cost: 360, numImages: 24 } },
    });
    now = 500;
    await client.list();
    expect(server.state.requests - before).toBe(1);
    now = 1500;
    await client.list();
    expect(server.state.requests - before).toBe(2);
  });

  it('serves the last good answer when Astria fails, and throws when nothing is cached', async () => {
    let now = 0;
    const retry = { retries: 1, baseMs: 1, maxMs: 2 };
    const client = new PacksClient({ baseUrl: server.url, apiKey: 'astria-key', ttlMs: 10, now: () => now, retry });
    const good = await client.list();
    server.state.failWith = 503;
    now = 100;
    expect(await client.list()).toBe(good);
    const empty = new PacksClient({ baseUrl: server.url, apiKey: 'astria-key', ttlMs: 10, retry });
    await expect(empty.list()).rejects.toThrow(/503/);
    const requests = server.state.requests;
    await expect(empty.list()).rejects.toThrow(/recently/); // fails fast: no webhook waits on a known outage
    expect(server.state.requests).toBe(requests);
    server.state.failWith = 0;
    const bad = new PacksClient({ baseUrl: server.url, apiKey: 'wrong', ttlMs: 10, retry });
    const before = server.state.requests;
    await expect(bad.list()).rejects.toThrow(/401/);
    expect(server.state.requests - before).toBe(1); // 4xx: never retried
  });
});

describe('Graph client against the simulator', () => {
  let sim: WhatsAppSimulator;
  let graph: GraphClient;
  const retried: string[] = [];
  beforeAll(async () => {
    sim = await startWhatsAppSimulator({ phoneNumberId: '111', accessToken: 'tok', appSecret: 's' });
    graph = new GraphClient({
      baseUrl: sim.url,
      accessToken: 'tok',
      phoneNumberId: '111',
      retry: { retries: 3, baseMs: 1, maxMs: 5 },
      onRetry: (error) => retried.push(error.label),
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('sends every kind and returns the wamid', async () => {
    const messages = [
      { kind: 'text', body: 'hi' },
      {
        kind: 'buttons',
        body: 'b',
        buttons: [{ id: 'x:1', title: 'X' }],
        header: { type: 'image', link: 'https://x.y/c.jpg' },
      },
      { kind: 'list', body: 'l', button: 'Menu', sections: [{ rows: [{ id: 'a:1', title: 'A' }] }] },
      { kind: 'cta_url', body: 'pay', displayText: 'Pay', url: 'https://pay.example.com/x' },
      { kind: 'image', link: 'https://x.y/1.jpg', caption: 'c' },
      { kind: 'video', link: 'https://x.y/1.mp4' },
      { kind: 'reaction', messageId: 'wamid.in', emoji: '✅' },
    ] as const;
    for (const message of messages) {
      const result = await graph.send('15550001', message as never, 'wamid.quoted');
      expect(result.wamid).toBe(sim.sent.at(-1)?.wamid);
    }
    expect(sim.sent.slice(-7).map((m) => m.type)).toEqual([
      'text',
      'interactive',
      'interactive',
      'interactive',
      'image',
      'video',
      'reaction',
    ]);
    expect(sim.sent.at(-4)?.payload).toMatchObject({
      context: { message_id: 'wamid.quoted' },
      interactive: {
        type: 'cta_url',
        action: { name: 'cta_url', parameters: { display_text: 'Pay', url: 'https://pay.example.com/x' } },
      },
    });
    const read = await graph.send('15550001', { kind: 'mark_read', messageId: 'wamid.in', typing: true });
    expect(read.wamid).toBeNull();
    expect(toGraphPayload('1', { kind: 'mark_read', messageId: 'w', typing: true })).toEqual({
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'w',
      typing_indicator: { type: 'text' },
    });
  });

  it.each([
    [429, 130429],
    [400, 131056],
    [500, 1],
    [503, 0],
  ])('retries HTTP %i / code %i with backoff, then succeeds', async (status, code) => {
    sim.failNext(2, { status, code });
    const result = await graph.send('15550002', { kind: 'text', body: 'x' });
    expect(result.attempts).toBe(3);
    expect(result.wamid).toMatch(/^wamid\./);
  });

  it.each([
    [400, 131047],
    [400, 131026],
    [401, 190],
  ])('does not retry HTTP %i / code %i', async (status, code) => {
    sim.failNext(1, { status, code });
    const before = sim.sent.length;
    const error = await graph.send('15550003', { kind: 'text', body: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphApiError);
    expect((error as GraphApiError).code).toBe(code);
    expect((error as GraphApiError).retryable).toBe(false);
    // the next send goes through: nothing was left queued
    await graph.send('15550003', { kind: 'text', body: 'y' });
    expect(sim.sent.length).toBe(before + 1);
  });

  it('gives up after the attempts and reports network errors as retryable', async () => {
    sim.failNext(10, { status: 503, code: 2 });
    await expect(graph.send('15550004', { kind: 'text', body: 'x' })).rejects.toMatchObject({
      retryable: true,
      status: 503,
    });
    const offline = new GraphClient({
      baseUrl: 'http://127.0.0.1:9/v21.0',
      accessToken: 't',
      phoneNumberId: '1',
      retry: { retries: 1, baseMs: 1, maxMs: 1 },
    });
    await expect(offline.send('1', { kind: 'text', body: 'x' })).rejects.toMatchObject({
      retryable: true,
      status: null,
      label: 'network',
    });
  });

  it('fetches media metadata', async () => {
    const { mediaId } = sim.addMedia(Buffer.from('abc'), 'image/jpeg');
    expect(await graph.getMedia(mediaId)).toMatchObject({ mimeType: 'image/jpeg', fileSize: 3 });
    sim.expireMedia(mediaId);
    await expect(graph.getMedia(mediaId)).rejects.toMatchObject({ status: 404, retryable: false });
  });
});

describe('throttle', () => {
  it('keeps acquisitions under the rate', async () => {
    const throttle = new Throttle(200, 1);
    const started = performance.now();
    await Promise.all(Array.from({ length: 41 }, () => throttle.acquire()));
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });
});

describe('pair pacer', () => {
  it('lets each user have the burst, then one per interval; a backOff pauses that user only', () => {
    let now = 0;
    const pacer = new PairPacer({ intervalMs: 100, burst: 3, now: () => now });
    expect([1, 2, 3, 4, 5].map(() => pacer.reserve('a'))).toEqual([0, 0, 0, 100, 200]);
    expect(pacer.reserve('b')).toBe(0);
    now = 1000;
    expect([1, 2, 3].map(() => pacer.reserve('a'))).toEqual([0, 0, 0]);
    pacer.backOff('a', 500);
    expect(pacer.reserve('a')).toBe(500);
    expect(pacer.reserve('a')).toBe(600);
    expect(pacer.reserve('b')).toBe(0);
  });
});

describe('normalizeUserId', () => {
  it.each([
    ['972501234567', '972501234567'],
    ['+972 50-123-4567', '972501234567'],
    ['00972501234567', '972501234567'],
    ['US.13491208655302741918', 'US.13491208655302741918'],
    ['', null],
    [null, null],
    ['abc', null],
    ['123', null],
  ])('%s → %s', (input, expected) => {
    expect(normalizeUserId(input)).toBe(expected);
  });
  it('replaces a trunk 0 with a default country code when given', () => {
    expect(normalizeUserId('050-123-4567', { defaultCountryCode: '972' })).toBe('972501234567');
    expect(normalizeUserId('050-123-4567')).toBe('0501234567');
  });
});
