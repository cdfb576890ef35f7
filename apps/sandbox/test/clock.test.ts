import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../src/sandbox.js';
import { botMessages, hasChoice, startTestSandbox, type TestSandbox, waitFor, waitForBot } from './helpers.js';

/**
 * The page's "+25 h" and opted-out users over its API (PGlite, or PostgreSQL with DATABASE_URL): after the
 * clock moves, the bot's answer to a payment waits behind a template, delivered once the user taps it; a
 * user who sent STOP is listed as opted out until START.
 */
describe('the sandbox clock and opted-out users', () => {
  let harness: TestSandbox;
  let sandbox: Sandbox;

  beforeAll(async () => {
    harness = await startTestSandbox();
    sandbox = harness.sandbox;
  });
  afterAll(async () => {
    await harness?.close();
  });

  const api = async (path: string, body?: unknown) => {
    const response = await fetch(`${sandbox.urls.page}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('STOP → listed as opted out (API and state) → START → not any more', async () => {
    const phone = '15551110031';
    await sandbox.user.text(phone, 'hello');
    await waitForBot(sandbox, phone, 'the welcome menu', hasChoice('menu:begin'));
    const seen = botMessages(sandbox, phone).length;
    await sandbox.user.text(phone, 'STOP');
    await waitForBot(sandbox, phone, 'the confirmation', (m) => m.kind === 'text', { after: seen });
    await waitFor(async () => ((await api('/api/opted-out')).body.users as string[]).includes(phone), {
      what: 'the user listed as opted out',
    });
    expect((await api('/api/state')).body.optedOut).toContain(phone);
    await sandbox.user.text(phone, 'START');
    await waitFor(async () => !((await api('/api/opted-out')).body.users as string[]).includes(phone), {
      what: 'the user no longer opted out',
    });
  });

  it('"+25 h" closes the window: a payment then → the template → tap → the held answer', async () => {
    const phone = '15551110032';
    await sandbox.user.text(phone, 'hello', 'Noa');
    await waitForBot(sandbox, phone, 'the welcome menu', hasChoice('menu:begin'));
    expect((await api('/api/state')).body.clock).toEqual({ offsetHours: 0 });
    expect((await api('/api/clock/advance', { hours: 0 })).status).toBe(400);
    expect(await api('/api/clock/advance', { hours: 25 })).toEqual({ status: 200, body: { offsetHours: 25 } });

    let seen = botMessages(sandbox, phone).length;
    const link = new URL(sandbox.payments?.sumitPaymentLink('lite') as string);
    await fetch(new URL(link.pathname, link), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ tier: 'lite', phone, name: 'Noa Levi' }),
    });
    const template = await waitForBot(sandbox, phone, 'the window template', (m) => m.kind === 'template', {
      after: seen,
    });
    expect(
      botMessages(sandbox, phone)
        .slice(seen, -1)
        .some((m) => m.kind === 'text'),
    ).toBe(false);
    seen = botMessages(sandbox, phone).length;
    await sandbox.user.button(phone, 'window:open', template.buttons?.[0]?.title ?? 'Continue');
    const held = await waitForBot(sandbox, phone, 'the held answer to the payment', (m) => m.kind === 'text', {
      after: seen,
    });
    expect(held.text).toContain('Noa');
    expect((await api('/api/state')).body.clock).toEqual({ offsetHours: 25 });
  });
});
