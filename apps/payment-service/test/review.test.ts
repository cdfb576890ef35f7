import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPaymentsCli } from '../src/index.js';
import {
  fixture,
  outboxEnvelopes,
  postStripe,
  postSumit,
  startTestApp,
  storedPayments,
  stripeEvent,
  type TestApp,
} from './helpers.js';

describe('operator review: pnpm payments review / apply', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runPaymentsCli(argv, t.database, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('lists payments needing review and 422 payloads, then applies one once with the missing tier', async () => {
    const body = fixture('sumit-payment.json') as { Properties: Record<string, unknown> };
    body.Properties['Property_M-3'] = [{ Name: 'Gold' }];
    await postSumit(t.app, { ...body, EntityID: 9001 });
    await postSumit(t.app, { ...body, EntityID: 9002, Properties: {} });

    const listed = await cli('review');
    expect(listed.code).toBe(0);
    expect(listed.out).toContain('1 payment(s) need review');
    expect(listed.out).toContain('sumit 9001  unknown_tier: Gold');
    expect(listed.out).toContain('1 webhook(s) answered 422');
    const [row] = (await storedPayments(t.database)).filter((p) => p.provider_payment_id === '9001');
    const id = (row as unknown as { id: string }).id;

    expect(await cli('apply', id)).toMatchObject({ code: 1, err: expect.stringContaining('no tier') });
    expect(await cli('apply', id, '--tier', 'gold')).toMatchObject({ code: 2 });
    const applied = await cli('apply', id, '--tier', 'Standard');
    expect(applied).toMatchObject({ code: 0, out: expect.stringContaining('tier standard') });
    expect(await cli('apply', id, '--tier', 'standard')).toMatchObject({
      code: 1,
      err: expect.stringContaining('not waiting for review'),
    });
    const events = (await outboxEnvelopes(t.database)).filter((e) => e.data.paymentId === '9001');
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ userId: '972501234567', tier: 'standard', amount: 89 });
    expect((await storedPayments(t.database)).find((p) => p.provider_payment_id === '9001')).toMatchObject({
      status: 'applied',
      event_id: events[0]?.id,
    });
    // A provider retry after the review stays a duplicate.
    expect((await postSumit(t.app, { ...body, EntityID: 9001 })).json()).toEqual({ status: 'duplicate' });
  });

  it('applies a Stripe payment without client_reference_id once the operator names the user; concurrent applies publish once', async () => {
    await postStripe(t.app, stripeEvent({ id: 'evt_rev', session: { id: 'cs_review', client_reference_id: null } }));
    const [row] = (await storedPayments(t.database)).filter((p) => p.provider_payment_id === 'cs_review');
    const id = (row as unknown as { id: string }).id;
    expect(await cli('apply', id)).toMatchObject({ code: 1, err: expect.stringContaining('no user') });
    expect(await cli('apply', id, '--user', 'not a phone')).toMatchObject({ code: 2 });
    const results = await Promise.all(Array.from({ length: 5 }, () => cli('apply', id, '--user', '050-111-2233')));
    expect(results.filter((r) => r.code === 0)).toHaveLength(1);
    const events = (await outboxEnvelopes(t.database)).filter((e) => e.data.paymentId === 'cs_review');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ key: '972501112233', data: { tier: 'standard', provider: 'stripe' } });
  });

  it('prints usage for unknown commands', async () => {
    expect(await cli('nope')).toMatchObject({ code: 2, err: expect.stringContaining('Usage') });
    expect(await cli('apply')).toMatchObject({ code: 2 });
    // Arguments go through node:util parseArgs: an unknown option, a missing value or a second id is usage.
    expect(await cli('apply', 'x', '--color', 'red')).toMatchObject({ code: 2, err: expect.stringContaining('Usage') });
    expect(await cli('apply', 'x', '--tier')).toMatchObject({ code: 2 });
    expect(await cli('apply', 'x', 'y')).toMatchObject({ code: 2 });
  });
});
