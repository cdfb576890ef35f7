import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EVENT_TABLES } from '@astria/db';
import { createTestDatabase, type TestDatabase } from '@astria/db/testing';
import { EPHEMERAL_PORTS, SANDBOX_SECRETS, type Sandbox, startSandbox } from '@astria/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTable, parseValidateArgs, runChecklist, type Target } from '../src/index.js';

function targetOf(
  urls: Record<'message' | 'image' | 'payment' | 'maintenance', string>,
  verifyToken: string,
  extra: Partial<Target> = {},
): Target {
  return {
    services: urls,
    publicUrls: { whatsapp: urls.message, payments: urls.payment, astria: urls.image },
    verifyToken,
    allowNoRuns: true,
    timeoutMs: 5000,
    pingTimeoutMs: 5000,
    deadLetterWindowMs: 300,
    ...extra,
  };
}

describe('pnpm validate against the sandbox', () => {
  let sandbox: Sandbox;
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = process.env.DATABASE_URL ? await createTestDatabase({ migrate: false, poolMax: 2 }) : undefined;
    sandbox = await startSandbox({
      ports: EPHEMERAL_PORTS,
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
      'broker round trip (ops_ping)',
      'no dead letters growing',
    ]) {
      expect(names).toContain(expected);
    }
    const byCheck = Object.fromEntries(results.map((r) => [r.check, r]));
    expect(byCheck['whatsapp handshake with the verify token']?.result).toBe('pass');
    expect(byCheck['broker round trip (ops_ping)']).toMatchObject({
      result: 'pass',
      detail: expect.stringMatching(/handled: broker latency \d+ ms/),
    });
    expect(byCheck['no dead letters growing']).toMatchObject({
      result: 'pass',
      detail: expect.stringContaining('message 0 → 0'),
    });
  });

  it('sees dead letters that grow during the window', async () => {
    const { database: db } = sandbox;
    const target = targetOf(urls(), SANDBOX_SECRETS.whatsappVerifyToken, { deadLetterWindowMs: 1500 });
    const running = runChecklist(target);
    // A dead letter arrives while validate watches (the window is read at its start and its end).
    await new Promise((resolve) => setTimeout(resolve, 500));
    await db.db.insert(EVENT_TABLES['image-service'].deadLetters).values({
      subscription: 'image-service',
      eventId: '0190a5b2-0000-7000-8000-0000000000aa',
      type: 'user_message_received',
      envelope: {},
      reason: 'invalid_payload',
      deliveryCount: 1,
    });
    const results = await running;
    expect(results.find((r) => r.check === 'no dead letters growing')).toMatchObject({
      result: 'fail',
      detail: expect.stringMatching(/growing: image; .*image 0 → 1/),
    });
  });

  it('fails the handshake with the wrong verify token', async () => {
    const results = await runChecklist(targetOf(urls(), 'not-the-token'));
    expect(results.filter((r) => r.result === 'fail').map((r) => r.check)).toEqual([
      'whatsapp handshake with the verify token',
    ]);
  });

  // Last: it breaks the sandbox.
  it('detects a sandbox whose message-service went down', async () => {
    const message = sandbox.services.find((s) => s.service === 'message-service');
    await message?.app.close();
    const results = await runChecklist(targetOf(urls(), SANDBOX_SECRETS.whatsappVerifyToken));
    const failed = results.filter((r) => r.result === 'fail').map((r) => r.check);
    expect(failed.sort()).toEqual(
      [
        'message: live',
        'message: ready',
        'message: metrics',
        'whatsapp handshake with the verify token',
        'whatsapp unsigned POST refused',
        'broker round trip (ops_ping)',
        'no dead letters growing',
      ].sort(),
    );
    expect(results.find((r) => r.check === 'payment: ready')?.result).toBe('pass');
  });
});

/**
 * A broken deployment: answers everything wrong (200 to unsigned webhooks, 503 ready, bare metrics, a failed
 * run, a ping that is never handled, dead letters that grow) — and a Kubernetes API whose maintenance
 * CronJobs failed or succeeded too long ago.
 */
describe('pnpm validate against a broken deployment', () => {
  let server: Server;
  let base: string;
  let deadLetters = 0;
  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      const json = (body: unknown, status = 200) =>
        void response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname === '/ops/ping' && request.method === 'POST')
        return json({ id: '0190a5b2-0000-7000-8000-0000000000bb', occurredAt: new Date().toISOString() }, 202);
      if (url.pathname.startsWith('/ops/ping/'))
        return json({ id: '0190a5b2-0000-7000-8000-0000000000bb', handled: false, handledAt: null });
      if (url.pathname === '/ops/dead-letters') return json({ deadLetters: deadLetters++, store: 'broker' });
      if (url.pathname === '/apis/batch/v1/namespaces/astria-bot/cronjobs') {
        const hoursAgo = (h: number) => new Date(Date.now() - h * 60 * 60_000).toISOString();
        return json({
          items: [
            // Scheduled after its last success and not running: the last run failed.
            {
              metadata: { name: 'maintenance-reconcile' },
              status: { lastScheduleTime: hoursAgo(0.2), lastSuccessfulTime: hoursAgo(0.7), active: [] },
            },
            {
              metadata: { name: 'maintenance-cleanup' },
              status: { lastScheduleTime: hoursAgo(24 * 9), lastSuccessfulTime: hoursAgo(24 * 9) },
            },
          ],
        });
      }
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
      if (url.pathname.startsWith('/apis/')) return json({ kind: 'Status', code: 404 }, 404);
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
      targetOf({ message: base, image: base, payment: base, maintenance: base }, 'token', {
        pingTimeoutMs: 600,
        kube: { apiUrl: base, namespace: 'astria-bot' },
      }),
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
    expect(byCheck['broker round trip (ops_ping)']).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('not handled within 600 ms'),
    });
    expect(byCheck['no dead letters growing']).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('growing: message, image, payment, maintenance'),
    });
    expect(byCheck['kubernetes: maintenance CronJobs succeeded recently']).toMatchObject({
      result: 'fail',
      detail: expect.stringMatching(/reconcile: last run failed; cleanup: last success \d+ min ago/),
    });
  });

  it('passes CronJobs that succeeded recently, and fails a namespace without them', async () => {
    const ok = createServer((_request, response) => {
      const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          items: [
            {
              metadata: { name: 'maintenance-reconcile' },
              status: { lastScheduleTime: minutesAgo(5), lastSuccessfulTime: minutesAgo(4) },
            },
            // Running now: its schedule is newer than its last success, which is not a failure.
            {
              metadata: { name: 'maintenance-cleanup' },
              status: { lastScheduleTime: minutesAgo(1), lastSuccessfulTime: minutesAgo(60 * 24), active: [{}] },
            },
          ],
        }),
      );
    });
    await new Promise<void>((resolve) => ok.listen(0, '127.0.0.1', resolve));
    const apiUrl = `http://127.0.0.1:${(ok.address() as AddressInfo).port}`;
    try {
      const [passed] = await runChecklist({ services: {}, publicUrls: {}, kube: { apiUrl, namespace: 'astria-bot' } });
      expect(passed).toMatchObject({ result: 'pass', detail: 'reconcile 4 min ago, cleanup 1440 min ago' });
      const [missing] = await runChecklist({
        services: {},
        publicUrls: {},
        kube: { apiUrl: base, namespace: 'other' },
      });
      expect(missing).toMatchObject({ result: 'fail', detail: expect.stringContaining('404') });
    } finally {
      await new Promise((resolve) => ok.close(resolve));
    }
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
      ['no dead letters growing', 'fail'],
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

  it('takes the ping timeout, the dead-letter window and the Kubernetes API', () => {
    const target = parseValidateArgs(
      [
        '--local',
        '--ping-timeout-ms',
        '5000',
        '--dead-letter-window-ms',
        '1000',
        '--kube-api',
        'http://127.0.0.1:8001',
      ],
      { KUBE_TOKEN: 'k' },
    );
    expect(target).toMatchObject({
      pingTimeoutMs: 5000,
      deadLetterWindowMs: 1000,
      kube: { apiUrl: 'http://127.0.0.1:8001', namespace: 'astria-bot', token: 'k' },
    });
    expect(() => parseValidateArgs(['--local', '--dead-letter-window-ms', 'soon'], {})).toThrow(/milliseconds/);
    expect(() => parseValidateArgs(['--local', '--namespace', 'x'], {})).toThrow(/--kube-api/);
  });
});
