import { acceptRawBodies, hmacSha256Hex, verifySha256Signature, type ZodTypeProvider } from '@astria/service-kit';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildTestService, type TestService } from '../src/testing.js';

const demoApp: FastifyPluginAsync = async (app) => {
  app.get('/boom', async () => {
    throw new Error('secret internal detail');
  });
  app.get('/bad', async (_req, reply) => reply.code(422).send({ error: 'bad', message: 'bad input' }));
  app.withTypeProvider<ZodTypeProvider>().post(
    '/typed',
    {
      schema: {
        summary: 'A typed route',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(10).default(5) }),
        body: z.object({ name: z.string().min(1).max(20) }),
        response: { 200: z.object({ greeting: z.string(), limit: z.number() }) },
      },
    },
    async (request) => ({ greeting: `hi ${request.body.name}`, limit: request.query.limit }),
  );
  await app.register(async (signed) => {
    acceptRawBodies(signed);
    signed.post('/signed', { bodyLimit: 64 }, async (request, reply) => {
      const ok = verifySha256Signature(
        's3cret',
        request.body as Buffer,
        request.headers['x-hub-signature-256'] as string,
      );
      if (!ok) return reply.code(401).send({ error: 'bad_signature' });
      return { bytes: (request.body as Buffer).length };
    });
  });
};

describe('createService (through buildTestService)', () => {
  let service: TestService;
  let app: FastifyInstance;

  beforeAll(async () => {
    service = await buildTestService({ service: 'payment-service', plugin: demoApp, options: {} });
    app = service.app;
  });
  afterAll(async () => {
    await service.close();
  });

  it('answers liveness without I/O and readiness with the database and transport', async () => {
    expect((await app.inject('/health/live')).statusCode).toBe(200);
    const ready = await app.inject('/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'ready',
      checks: { database: { ok: true }, transport: { ok: true } },
    });
    const summary = await app.inject('/health');
    expect(summary.json()).toMatchObject({ status: 'ok', service: 'payment-service' });
  });

  it('exposes Prometheus metrics with HTTP requests by route and status and the outbox backlog', async () => {
    await app.inject('/bad');
    const metrics = await app.inject('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain(
      'http_requests_total{method="GET",route="/bad",status="422",service="payment-service"} 1',
    );
    expect(metrics.body).toContain('process_cpu_seconds_total');
  });

  it('never leaks internals on a 5xx, and sets security headers', async () => {
    const res = await app.inject('/boom');
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret internal detail');
    expect(res.json()).toMatchObject({ error: 'internal_error', requestId: expect.any(String) });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers 404 in JSON for unknown routes', async () => {
    const res = await app.inject('/nope?token=abc');
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('not_found');
  });

  it('verifies signatures over the raw bytes and enforces body limits', async () => {
    const body = '{"name":"\\u05d3\\u05e0\\u05d4 \\ud83d\\ude00","u":"a\\/b"}';
    const good = await app.inject({
      method: 'POST',
      url: '/signed',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${hmacSha256Hex('s3cret', body)}` },
      payload: body,
    });
    expect(good.statusCode).toBe(200);
    const bad = await app.inject({
      method: 'POST',
      url: '/signed',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
      payload: body,
    });
    expect(bad.statusCode).toBe(401);
    const big = await app.inject({
      method: 'POST',
      url: '/signed',
      headers: { 'content-type': 'application/json' },
      payload: 'x'.repeat(100),
    });
    expect(big.statusCode).toBe(413);
  });

  it('validates with the route schema (zod): a malformed query or body gets a 400 naming the field', async () => {
    const ok = await app.inject({ method: 'POST', url: '/typed?limit=3', payload: { name: 'Ada' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ greeting: 'hi Ada', limit: 3 });
    const badQuery = await app.inject({ method: 'POST', url: '/typed?limit=99', payload: { name: 'Ada' } });
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json().message).toMatch(/limit/);
    const badBody = await app.inject({ method: 'POST', url: '/typed', payload: { name: 42 } });
    expect(badBody.statusCode).toBe(400);
    expect(badBody.json().message).toMatch(/name/);
  });

  it('describes its routes as OpenAPI from the same schemas', async () => {
    await app.ready();
    const document = app.swagger() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe('3.1.0');
    expect(document.paths['/typed']?.post).toMatchObject({ summary: 'A typed route' });
  });
});
