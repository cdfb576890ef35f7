import type { TestDatabase } from '@astria/db/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

// On PostgreSQL (DATABASE_URL set) these are real concurrent transactions on a pool of 25
// connections; on PGlite the same assertions hold with one connection.
describe('exactly once under concurrent replays', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ poolMax: 25 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('20 concurrent SUMIT deliveries of one payment: all 200, one row, one payment_received', async () => {
    const body = { ...fixture('sumit-payment.json'), EntityID: 777001 };
    const answers = await Promise.all(Array.from({ length: 20 }, () => postSumit(t.app, body)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(200));
    const statuses = answers.map((a) => a.json().status);
    expect(statuses.filter((s) => s === 'applied')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(19);
    expect((await storedPayments(t.database)).filter((p) => p.provider_payment_id === '777001')).toHaveLength(1);
    expect((await outboxEnvelopes(t.database)).filter((e) => e.data.paymentId === '777001')).toHaveLength(1);
  });

  it('20 concurrent Stripe deliveries (same event, and the async event of the same session): one payment', async () => {
    const completed = stripeEvent({ id: 'evt_conc_1', session: { id: 'cs_concurrent' } });
    const asyncSucceeded = stripeEvent({
      id: 'evt_conc_2',
      type: 'checkout.session.async_payment_succeeded',
      session: { id: 'cs_concurrent' },
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => postStripe(t.app, i % 2 === 0 ? completed : asyncSucceeded)),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(200));
    expect(answers.filter((a) => a.json().status === 'applied')).toHaveLength(1);
    expect((await storedPayments(t.database)).filter((p) => p.provider_payment_id === 'cs_concurrent')).toHaveLength(1);
    expect((await outboxEnvelopes(t.database)).filter((e) => e.data.paymentId === 'cs_concurrent')).toHaveLength(1);
  });

  it('the same payment id at the other provider is another payment', async () => {
    const body = { ...fixture('sumit-payment.json'), EntityID: 'cs_concurrent' };
    expect((await postSumit(t.app, body)).json()).toEqual({ status: 'applied' });
  });
});

describe('the payment row and its event commit together', () => {
  let t: TestApp;
  let database: TestDatabase;
  let app: FastifyInstance;
  let failNextPublish = true;

  beforeAll(async () => {
    t = await startTestApp({
      // An outbox that fails once after the payment row was inserted (e.g. the connection dropped).
      wrapEvents: (real) => ({
        ...real,
        outbox: {
          service: real.outbox.service,
          add: async (tx, type, data, options) => {
            if (failNextPublish) {
              failNextPublish = false;
              throw new Error('outbox write failed');
            }
            return real.outbox.add(tx, type, data, options);
          },
          addMany: (tx, pending) => real.outbox.addMany(tx, pending),
        },
      }),
    });
    ({ app, database } = t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a failed publish rolls the payment back (500, the provider retries) and the retry applies it once', async () => {
    const body = { ...fixture('sumit-payment.json'), EntityID: 888001 };
    const failed = await postSumit(app, body);
    expect(failed.statusCode).toBe(500);
    expect(failed.body).not.toContain('outbox write failed');
    expect(await storedPayments(database)).toHaveLength(0);

    const retried = await postSumit(app, body);
    expect(retried.json()).toEqual({ status: 'applied' });
    expect(await storedPayments(database)).toHaveLength(1);
    expect(await outboxEnvelopes(database)).toHaveLength(1);
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toMatch(/payment_webhooks_total\{provider="sumit",outcome="error"[^}]*\} 1/);
  });
});
