import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backoffDelay,
  HttpError,
  healthPlugin,
  isRetryable,
  maskPhone,
  NetworkError,
  parseRetryAfter,
  redactUrl,
  request,
  retryAfterOf,
  safeEqual,
  withRetry,
} from '../src/index.js';

describe('redaction and secrets', () => {
  it('compares secrets in constant time and masks what logs must not show', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(maskPhone('972501234567')).toBe('972******567');
    expect(redactUrl('/payment-received?token=supersecret&x=1')).toBe('/payment-received?token=***&x=1');
  });
});

describe('backoffDelay and withRetry', () => {
  it('doubles from baseMs, caps at maxMs, and jitters within [50%, 100%]', () => {
    const policy = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(400);
    expect(backoffDelay(3, policy, () => 0)).toBe(200);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(4, policy);
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });

  it('retries what shouldRetry accepts, up to the retries, and never what it rejects', async () => {
    const seen: number[] = [];
    const value = await withRetry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new HttpError('api', 503, '');
        return 'ok';
      },
      { retries: 3, baseMs: 1, maxMs: 2, shouldRetry: isRetryable },
    );
    expect(value).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);

    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new HttpError('api', 400, 'bad');
        },
        { retries: 3, baseMs: 1, maxMs: 2, shouldRetry: isRetryable },
      ),
    ).rejects.toBeInstanceOf(HttpError);
    expect(calls).toBe(1);

    calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new NetworkError('api', false, new Error('reset'));
        },
        { retries: 2, baseMs: 1, maxMs: 2, shouldRetry: isRetryable },
      ),
    ).rejects.toBeInstanceOf(NetworkError);
    expect(calls).toBe(3);
  });

  it('waits at least what a 429 asked for, capped at maxMs', async () => {
    const delays: number[] = [];
    const limited = new HttpError('api', 429, '');
    limited.retryAfterMs = 40;
    await withRetry(
      async (attempt) => {
        if (attempt === 1) throw limited;
        return 'ok';
      },
      {
        retries: 1,
        baseMs: 1,
        maxMs: 30,
        shouldRetry: isRetryable,
        minDelayMs: retryAfterOf,
        onRetry: (_e, _a, delay) => delays.push(delay),
      },
    );
    expect(delays).toEqual([30]);
  });
});

describe('the HTTP client base', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok') return res.end('{"ok":true}');
      if (req.url === '/limited') {
        res.writeHead(429, { 'retry-after': '2' });
        return res.end('slow down');
      }
      if (req.url === '/missing') {
        res.writeHead(404);
        return res.end('no such thing');
      }
      // /hang: never answers
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('resolves a 2xx, throws a typed HttpError with the Retry-After otherwise', async () => {
    expect(await (await request('api', `${base}/ok`, { timeoutMs: 2000 })).json()).toEqual({ ok: true });
    const limited = await request('api', `${base}/limited`, { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(HttpError);
    expect(limited).toMatchObject({ status: 429, body: 'slow down', retryAfterMs: 2000 });
    expect(isRetryable(limited)).toBe(true);
    const missing = await request('api', `${base}/missing`, { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, retryAfterMs: undefined });
    expect(isRetryable(missing)).toBe(false);
  });

  it('throws a NetworkError on its timeout and on a refused connection', async () => {
    const hung = await request('api', `${base}/hang`, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(hung).toBeInstanceOf(NetworkError);
    expect((hung as NetworkError).timedOut).toBe(true);
    const refused = await request('api', 'http://127.0.0.1:1/', { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'NetworkError', timedOut: false });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('0', now)).toBeUndefined();
  });
});

describe('healthPlugin', () => {
  it('is live without checks, ready only when every check passes, and times a silent check out', async () => {
    let databaseUp = true;
    const app = Fastify();
    await app.register(healthPlugin, {
      service: 'demo',
      version: '1',
      checkTimeoutMs: 50,
      checks: {
        database: async () => (databaseUp ? { ok: true } : { ok: false, detail: 'down' }),
        transport: async () => ({ ok: true }),
      },
    });
    expect((await app.inject('/health/live')).statusCode).toBe(200);
    expect((await app.inject('/health/ready')).json()).toMatchObject({ status: 'ready' });
    databaseUp = false;
    const ready = await app.inject('/health/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({
      checks: { database: { ok: false, detail: 'down' }, transport: { ok: true } },
    });
    await app.close();

    const hanging = Fastify();
    await hanging.register(healthPlugin, {
      service: 'demo',
      version: '1',
      checkTimeoutMs: 50,
      checks: { slow: () => new Promise(() => {}) },
    });
    const summary = await hanging.inject('/health');
    expect(summary.statusCode).toBe(503);
    expect(summary.json()).toMatchObject({
      status: 'degraded',
      checks: { slow: { ok: false, detail: 'no answer in 50 ms' } },
    });
    await hanging.close();
  });
});
