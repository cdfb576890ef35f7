import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '@astria/db/testing';
import { SANDBOX_SECRETS, type Sandbox, startSandbox } from '@astria/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTable, parseValidateArgs, runChecklist, type Target } from '../src/index.js';

function targetOf(urls: Record<'message' | 'image' | 'payment' | 'maintenance', string>, verifyToken: string): Target {
  return {
    services: urls,
    publicUrls: { whatsapp: urls.message, payments: urls.payment, astria: urls.image },
    verifyToken,
    allowNoRuns: true,
    timeoutMs: 5000,
  };
}

describe('pnpm validate against the sandbox', () => {
  let sandbox: Sandbox;
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = process.env.DATABASE_URL ? await createTestDatabase({ migrate: false, poolMax: 2 }) : undefined;
    sandbox = await startSandbox({
      ports: {
        page: 0,
        'message-service': 0,
        'image-service': 0,
        'payment-service': 0,
        'maintenance-service': 0,
        'whatsapp-simulator': 0,
        'astria-simulator': 0,
        'payment-simulator': 0,
      },
      print: null,
      logLevel: 'silent',
      buildPreviews: false,
      env: {},
      dataDir: 'memory',
      ...(database?.url ? { databaseUrl: database.url } : {}),
    });
  });
  afterAll(async () => {
    await sandbox?.close();
    await database?.destroy();
  });

  const urls = () => ({
    message: sandbox.urls.services['message-service'],
    image: sandbox.urls.services['image-service'],
    payment: sandbox.urls.services['payment-service'],
    maintenance: sandbox.urls.services['maintenance-service'],
  });

  it('passes every check on a healthy sandbox', async () => {
    const results = await runChecklist(targetOf(urls(), SANDBOX_SECRETS.whatsappVerifyToken));
    expect(
      results.filter((r) => r.result === 'fail'),
      formatTable(results),
    ).toEqual([]);
    const names = results.map((r) => r.check);
    for (const expected of [
      'message: ready',
      'maintenance: live',
      'whatsapp handshake with the verify token',
      'whatsapp unsigned POST refused',
      'SUMIT webhook without token refused',
      'Stripe webhook unsigned refused',
      'Astria callback with a bad token refused',
      'payment: metrics',
    ]) {
      expect(names).toContain(expected);
    }
    expect(results.find((r) => r.check === 'whatsapp handshake with the verify token')?.result).toBe('pass');
  });

  it('fails the handshake with the wrong verify token', async () => {
    const results = await runChecklist(targetOf(urls(), 'not-the-token'));
    expect(results.filter((r) => r.result === 'fail').map((r) => r.check)).toEqual([
      'whatsapp handshake with the verify token',
    ]);
  });
});

/** A broken deployment: answers everything wrong (200 to unsigned webhooks, 503 ready, bare metrics, a failed run). */
describe('pnpm validate against a broken deployment', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      if (url.pathname === '/health/live') return void response.writeHead(200).end('{}');
      if (url.pathname === '/health/ready') return void response.writeHead(503).end('{"database":"down"}');
      if (url.pathname === '/metrics')
        return void response.writeHead(200).end('# TYPE process_cpu_seconds_total counter\n');
      if (url.pathname === '/runs') {
        const at = new Date().toISOString();
        const old = new Date(Date.now() - 3 * 60 * 60_000).toISOString();
        return void response.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            schedule: { cleanup: null, reconcile: null },
            runs: [
              { command: 'reconcile', status: 'succeeded', dryRun: false, startedAt: old, finishedAt: old },
              { command: 'cleanup', status: 'failed', dryRun: false, startedAt: at, finishedAt: at },
            ],
          }),
        );
      }
      response.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('detects each failure', async () => {
    const results = await runChecklist(
      targetOf({ message: base, image: base, payment: base, maintenance: base }, 'token'),
    );
    const byCheck = Object.fromEntries(results.map((r) => [r.check, r]));
    for (const service of ['message', 'image', 'payment', 'maintenance']) {
      expect(byCheck[`${service}: live`]?.result).toBe('pass');
      expect(byCheck[`${service}: ready`]).toMatchObject({ result: 'fail', detail: expect.stringContaining('503') });
    }
    for (const service of ['message', 'image', 'payment']) {
      expect(byCheck[`${service}: metrics`]).toMatchObject({
        result: 'fail',
        detail: expect.stringContaining('http_requests_total'),
      });
    }
    for (const check of [
      'whatsapp handshake with the verify token',
      'whatsapp unsigned POST refused',
      'SUMIT webhook without token refused',
      'Stripe webhook unsigned refused',
      'Astria callback with a bad token refused',
    ]) {
      expect(byCheck[check]?.result, check).toBe('fail');
    }
    expect(byCheck['maintenance: last cleanup and reconcile succeeded recently']).toMatchObject({
      result: 'fail',
      detail: expect.stringMatching(/reconcile: last success \d+ min ago; cleanup: last run failed/),
    });
  });

  it('fails a service that does not answer at all', async () => {
    const results = await runChecklist({
      services: { message: 'http://127.0.0.1:9' },
      publicUrls: {},
      timeoutMs: 2000,
    });
    expect(results.map((r) => [r.check, r.result])).toEqual([
      ['message: live', 'fail'],
      ['message: ready', 'fail'],
      ['message: metrics', 'fail'],
    ]);
  });
});

describe('command line', () => {
  it('--local is the sandbox on its default ports', () => {
    const target = parseValidateArgs(['--local'], {});
    expect(target.services.message).toBe('http://127.0.0.1:7071');
    expect(target.services.maintenance).toBe('http://127.0.0.1:7074');
    expect(target.verifyToken).toBe(SANDBOX_SECRETS.whatsappVerifyToken);
  });

  it('--ingress sends the public checks through the base URL; --services takes URLs or ports', () => {
    const target = parseValidateArgs(
      ['--base-url', 'https://bot.example.org/', '--ingress', '--services', 'm=8081,p=http://localhost:8083'],
      { WHATSAPP_VERIFY_TOKEN: 'v' },
    );
    expect(target.publicUrls).toEqual({
      whatsapp: 'https://bot.example.org',
      payments: 'https://bot.example.org',
      astria: 'https://bot.example.org',
    });
    expect(target.services).toEqual({ message: 'https://bot.example.org:8081', payment: 'http://localhost:8083' });
    expect(target.verifyToken).toBe('v');
    expect(() => parseValidateArgs(['--base-url', 'https://x'], {})).toThrow(/--ingress or --services/);
    expect(() => parseValidateArgs([], {})).toThrow(/--base-url or --local/);
  });
});
