import { waitFor } from '@astria/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixture,
  outboxEnvelopes,
  postStripe,
  postSumit,
  rows,
  STRIPE_SECRET,
  startTestApp,
  storedPayments,
  stripeEvent,
  stripeHeaders,
  type TestApp,
} from './helpers.js';

describe('payment-service webhooks', () => {
  let t: TestApp;
  const priceLookups: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      stripePriceLookup: {
        async priceIds(sessionId) {
          priceLookups.push(sessionId);
          return sessionId === 'cs_price_premium' ? ['price_other', 'price_premium1'] : ['price_unmapped'];
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function paymentsOf(provider: string, providerPaymentId: string) {
    return (await storedPayments(t.database)).filter(
      (p) => p.provider === provider && p.provider_payment_id === providerPaymentId,
    );
  }

  async function eventsFor(paymentId: string) {
    return (await outboxEnvelopes(t.database)).filter((e) => e.data.paymentId === paymentId);
  }

  describe('SUMIT: POST /payment-received?token=…', () => {
    it('stores the fixture payment and publishes payment_received in the same transaction', async () => {
      const response = await postSumit(t.app, fixture('sumit-payment.json'));
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'applied' });

      const [payment] = await paymentsOf('sumit', '418273645');
      expect(payment).toMatchObject({
        status: 'applied',
        user_id: '972501234567',
        tier: 'standard',
        currency: 'ILS',
        name: 'Dana Levi',
        review_reason: null,
      });
      expect(Number(payment?.amount)).toBe(89);
      const raw = typeof payment?.raw_payload === 'string' ? JSON.parse(payment.raw_payload) : payment?.raw_payload;
      expect(raw).toEqual(fixture('sumit-payment.json'));

      const events = await eventsFor('418273645');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        id: payment?.event_id,
        key: '972501234567',
        type: 'payment_received',
        source: 'payment-service',
        data: {
          provider: 'sumit',
          paymentId: '418273645',
          userId: '972501234567',
          tier: 'standard',
          amount: 89,
          currency: 'ILS',
          name: 'Dana Levi',
        },
      });
    });

    it('answers a replay 200 and does nothing more', async () => {
      const body = { ...fixture('sumit-payment.json'), EntityID: 5001 };
      expect((await postSumit(t.app, body)).json()).toEqual({ status: 'applied' });
      for (let i = 0; i < 3; i++) {
        const replay = await postSumit(t.app, body);
        expect(replay.statusCode).toBe(200);
        expect(replay.json()).toEqual({ status: 'duplicate' });
      }
      expect(await paymentsOf('sumit', '5001')).toHaveLength(1);
      expect(await eventsFor('5001')).toHaveLength(1);
    });

    it('refuses a missing or wrong token with 401 and stores nothing', async () => {
      const body = { ...fixture('sumit-payment.json'), EntityID: 5002 };
      for (const token of [null, '', 'wrong', `${'sumit-test-token-0123456789'}x`]) {
        const response = await postSumit(t.app, body, token);
        expect(response.statusCode).toBe(401);
      }
      const doubled = await t.app.inject({
        method: 'POST',
        url: '/payment-received?token=a&token=b',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      expect(doubled.statusCode).toBe(401);
      expect(await paymentsOf('sumit', '5002')).toHaveLength(0);
      expect(
        await rows(t.database, sql`select 1 from payments.payment_rejections where raw_payload->>'EntityID' = '5002'`),
      ).toHaveLength(0);
    });

    it('answers 400 to a body that is not JSON', async () => {
      for (const payload of ['{"EntityID": 1', 'EntityID=1&x=2', '']) {
        const response = await postSumit(t.app, payload);
        expect(response.statusCode, payload).toBe(400);
        expect(response.json()).toMatchObject({ error: 'invalid_json' });
      }
    });

    it("answers the body schema's 400 to JSON that is not an object, after the token, and stores nothing", async () => {
      for (const payload of ['[1,2]', '"EntityID"', '42']) {
        const response = await postSumit(t.app, payload);
        expect(response.statusCode, payload).toBe(400);
        expect(response.json()).toMatchObject({ error: 'invalid_body' });
        expect(response.json().message).toMatch(/body/);
      }
      expect(
        await rows(
          t.database,
          sql`select 1 from payments.payment_rejections where jsonb_typeof(raw_payload) <> 'object'`,
        ),
      ).toHaveLength(0);
      // The schemas describe both webhooks in the service's OpenAPI document.
      const paths = (t.app.swagger() as { paths?: Record<string, unknown> }).paths ?? {};
      expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/payment-received', '/stripe/webhook']));
    });

    it('answers 422 with the reason when the phone or payment id is missing, and keeps the payload', async () => {
      const noPhone = fixture('sumit-payment.json') as { Properties: Record<string, unknown> };
      noPhone.Properties['Property_M-5'] = [];
      const missingPhone = await postSumit(t.app, { ...noPhone, EntityID: 5003 });
      expect(missingPhone.statusCode).toBe(422);
      expect(missingPhone.json()).toEqual({
        error: 'unprocessable',
        reason: 'missing phone (Properties.Property_M-5[0])',
      });

      const { EntityID: _id, ...noId } = fixture('sumit-payment.json');
      const missingId = await postSumit(t.app, noId);
      expect(missingId.statusCode).toBe(422);
      expect(missingId.json().reason).toBe('missing payment id (EntityID)');

      const kept = await rows<{ reason: string; raw_payload: unknown }>(
        t.database,
        sql`select reason, raw_payload from payments.payment_rejections where provider = 'sumit' order by received_at`,
      );
      expect(kept.map((k) => k.reason)).toEqual([
        'missing phone (Properties.Property_M-5[0])',
        'missing payment id (EntityID)',
      ]);
      expect(await paymentsOf('sumit', '5003')).toHaveLength(0);
      expect(await eventsFor('5003')).toHaveLength(0);
    });

    it('answers 422 and keeps the payload when PostgreSQL refuses a payment for good; 5xx only when a retry can help', async () => {
      // A data error the screening did not foresee, as PostgreSQL reports it (SQLSTATE class 22).
      await t.database.db.execute(
        sql.raw(`create or replace function payments.test_poison() returns trigger language plpgsql as $$
          begin
            if new.provider_payment_id = '5099' then raise exception 'poisoned' using errcode = '22023'; end if;
            return new;
          end $$`),
      );
      await t.database.db.execute(
        sql.raw(`create trigger test_poison before insert on payments.payments
            for each row execute function payments.test_poison()`),
      );
      try {
        const poisoned = await postSumit(t.app, { ...fixture('sumit-payment.json'), EntityID: 5099 });
        expect(poisoned.statusCode).toBe(422);
        expect(poisoned.json()).toEqual({ error: 'unprocessable', reason: 'database refused it (SQLSTATE 22023)' });
        const kept = await rows<{ reason: string }>(
          t.database,
          sql`select reason from payments.payment_rejections where reason like 'database refused%'`,
        );
        expect(kept).toHaveLength(1);
        expect(await paymentsOf('sumit', '5099')).toHaveLength(0);
        expect(await eventsFor('5099')).toHaveLength(0);
      } finally {
        await t.database.db.execute(sql.raw('drop trigger test_poison on payments.payments'));
      }
    });

    it('stores an unknown tier as needs_review, answers 200 and publishes nothing', async () => {
      const body = fixture('sumit-payment.json') as { Properties: Record<string, unknown> };
      body.Properties['Property_M-3'] = [{ ID: 9, Name: 'Gold' }];
      const response = await postSumit(t.app, { ...body, EntityID: 5004 });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'needs_review' });
      const [payment] = await paymentsOf('sumit', '5004');
      expect(payment).toMatchObject({ status: 'needs_review', review_reason: 'unknown_tier: Gold', tier: null });
      expect(payment?.event_id).toBeNull();
      expect(await eventsFor('5004')).toHaveLength(0);
      expect((await postSumit(t.app, { ...body, EntityID: 5004 })).json()).toEqual({ status: 'duplicate' });
    });

    it('matches tier names case-insensitively and normalizes the phone like the message service', async () => {
      const body = fixture('sumit-payment.json') as { Properties: Record<string, unknown> };
      body.Properties['Property_M-3'] = [{ Name: 'PREMIUM' }];
      body.Properties['Property_M-5'] = ['050-765-4321'];
      expect((await postSumit(t.app, { ...body, EntityID: 5005 })).json()).toEqual({ status: 'applied' });
      const [event] = await eventsFor('5005');
      expect(event).toMatchObject({ key: '972507654321', data: { userId: '972507654321', tier: 'premium' } });
    });

    it('refuses hostile payloads with a 4xx and keeps them sanitized and bounded: NUL, lone surrogates, 1e308, deep nesting', async () => {
      const base = fixture('sumit-payment.json') as Record<string, unknown> & { Properties: Record<string, unknown> };
      // 5,000 levels, as bytes (JSON.stringify itself would overflow on it).
      const deep = `${'{"a":['.repeat(5000)}"x"${']}'.repeat(5000)}`;
      const hostile: Array<[string, unknown]> = [
        ['nul in the payment id', { ...base, EntityID: 'P\u0000-6001' }],
        ['lone surrogate in the payment id', { ...base, EntityID: 'P\ud800-6002' }],
        ['amount 1e308', { ...base, EntityID: 6003, Properties: { ...base.Properties, 'Property_M-12': [1e308] } }],
        ['amount -1e308', { ...base, EntityID: 6004, Properties: { ...base.Properties, 'Property_M-12': ['1e308'] } }],
        ['deep nesting, no id', `{"Deep":${deep},"Bad":"a\\u0000\\ud800"}`],
      ];
      for (const [name, body] of hostile) {
        const response = await postSumit(t.app, body);
        expect(response.statusCode, name).toBe(422);
      }
      const kept = await rows<{ reason: string; raw: string }>(
        t.database,
        sql`select reason, raw_payload::text as raw from payments.payment_rejections
            where received_at > now() - interval '1 minute' and reason not like 'missing phone%'
            order by received_at desc limit 5`,
      );
      expect(kept.map((k) => k.reason).sort()).toEqual(
        [
          'amount out of range (limit 100000000000)',
          'amount out of range (limit 100000000000)',
          'missing payment id (EntityID)',
          'payment id: unstorable: control character or lone surrogate',
          'payment id: unstorable: control character or lone surrogate',
        ].sort(),
      );
      expect(kept.every((k) => k.raw.length < 70_000)).toBe(true);
      expect(kept.some((k) => k.raw.includes('…[depth]'))).toBe(true);
      // A hostile name on a good payment is stored sanitized; the payment is applied.
      const named = await postSumit(t.app, {
        ...base,
        EntityID: 6005,
        Properties: { ...base.Properties, 'Property_M-3': [{ Name: 'Lite' }], 'Property_M-10': ['Dana \u0000 \udfff'] },
      });
      expect(named.json()).toEqual({ status: 'applied' });
      expect((await paymentsOf('sumit', '6005'))[0]?.name).toBe('Dana \ufffd \ufffd');
    });
  });

  describe('Stripe: POST /stripe/webhook', () => {
    it('applies the fixture checkout.session.completed signed by Stripe’s own helper', async () => {
      const event = fixture('stripe-checkout-completed.json');
      const response = await postStripe(t.app, event);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'applied' });
      const [payment] = await paymentsOf('stripe', 'cs_test_a1B2c3D4e5F6');
      expect(payment).toMatchObject({
        status: 'applied',
        provider_event_id: 'evt_1QPx2bLkdIwHu7ix',
        user_id: '972501234567',
        tier: 'standard',
        currency: 'USD',
        name: 'Dana Levi',
      });
      expect(Number(payment?.amount)).toBe(24);
      const events = await eventsFor('cs_test_a1B2c3D4e5F6');
      expect(events).toHaveLength(1);
      expect(events[0]?.data).toMatchObject({
        provider: 'stripe',
        userId: '972501234567',
        tier: 'standard',
        amount: 24,
        currency: 'USD',
      });
      expect(priceLookups).toEqual([]);

      const replay = await postStripe(t.app, event);
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toEqual({ status: 'duplicate' });
      expect(await eventsFor('cs_test_a1B2c3D4e5F6')).toHaveLength(1);
    });

    it('rejects a bad, missing, foreign or stale signature with 400 and stores nothing', async () => {
      const event = stripeEvent({ id: 'evt_sig', session: { id: 'cs_sig' } });
      const payload = JSON.stringify(event);
      const cases: Array<Record<string, string>> = [
        { 'content-type': 'application/json' },
        stripeHeaders(payload, 'whsec_someone_else'),
        stripeHeaders(payload, STRIPE_SECRET, Math.floor(Date.now() / 1000) - 301),
        { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=deadbeef' },
      ];
      for (const headers of cases) {
        const response = await t.app.inject({ method: 'POST', url: '/stripe/webhook', headers, payload });
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({ error: 'bad_signature' });
      }
      // A body changed after signing (even re-serialized JSON) fails too: verification is over raw bytes.
      const tampered = await t.app.inject({
        method: 'POST',
        url: '/stripe/webhook',
        headers: stripeHeaders(payload),
        payload: JSON.stringify(event, null, 2),
      });
      expect(tampered.statusCode).toBe(400);
      expect(await paymentsOf('stripe', 'cs_sig')).toHaveLength(0);
    });

    it('applies async_payment_succeeded, and ignores an unpaid completed session', async () => {
      const unpaid = stripeEvent({ id: 'evt_unpaid', session: { id: 'cs_async', payment_status: 'unpaid' } });
      const ignored = await postStripe(t.app, unpaid);
      expect(ignored.statusCode).toBe(200);
      expect(ignored.json()).toMatchObject({ status: 'ignored' });
      expect(await paymentsOf('stripe', 'cs_async')).toHaveLength(0);

      const succeeded = stripeEvent({
        id: 'evt_async_ok',
        type: 'checkout.session.async_payment_succeeded',
        session: { id: 'cs_async', payment_status: 'paid' },
      });
      expect((await postStripe(t.app, succeeded)).json()).toEqual({ status: 'applied' });
      expect(await eventsFor('cs_async')).toHaveLength(1);
    });

    it('answers other event types 200, ignores and counts them', async () => {
      const other = {
        ...stripeEvent({ id: 'evt_other' }),
        type: 'payment_intent.created',
        data: { object: { id: 'pi_1', object: 'payment_intent' } },
      };
      const response = await postStripe(t.app, other);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ status: 'ignored' });
      const metrics = (await t.app.inject('/metrics')).body;
      expect(metrics).toMatch(/payment_webhooks_total\{provider="stripe",outcome="ignored"[^}]*\} [1-9]/);
    });

    it('finds the tier from the price id when the payment link is not mapped', async () => {
      const event = stripeEvent({
        id: 'evt_price',
        session: { id: 'cs_price_premium', payment_link: 'plink_unmapped' },
      });
      expect((await postStripe(t.app, event)).json()).toEqual({ status: 'applied' });
      expect(priceLookups).toContain('cs_price_premium');
      const [published] = await eventsFor('cs_price_premium');
      expect(published?.data.tier).toBe('premium');
    });

    it('keeps an unmapped tier or a missing client_reference_id for review, 200, nothing published', async () => {
      const unknownTier = stripeEvent({ id: 'evt_nt', session: { id: 'cs_no_tier', payment_link: 'plink_unknown' } });
      expect((await postStripe(t.app, unknownTier)).json()).toEqual({ status: 'needs_review' });
      const noUser = stripeEvent({ id: 'evt_nu', session: { id: 'cs_no_user', client_reference_id: null } });
      expect((await postStripe(t.app, noUser)).json()).toEqual({ status: 'needs_review' });
      expect((await paymentsOf('stripe', 'cs_no_tier'))[0]).toMatchObject({
        status: 'needs_review',
        review_reason: 'unknown_tier: plink_unknown',
      });
      expect((await paymentsOf('stripe', 'cs_no_user'))[0]).toMatchObject({
        status: 'needs_review',
        review_reason: 'missing_user',
      });
      expect(await eventsFor('cs_no_tier')).toHaveLength(0);
      expect(await eventsFor('cs_no_user')).toHaveLength(0);
    });

    it('answers 400 to a correctly signed body that is not an event (null, array, number), and 422 to a hostile session', async () => {
      for (const body of [null, [], 42, 'evt', { id: 'evt_1' }, { id: 'evt_2', type: 'x', data: null }]) {
        const response = await postStripe(t.app, body);
        expect(response.statusCode, JSON.stringify(body)).toBe(400);
      }
      const hostile: Array<[string, Record<string, unknown>]> = [
        ['amount 1e308', { id: 'cs_huge', amount_total: 1e308 }],
        ['amount over numeric(14,3)', { id: 'cs_over', amount_total: 9_000_000_000_000_000 }],
        ['nul in the session id', { id: 'cs_\u0000nul' }],
        ['lone surrogate in the session id', { id: 'cs_\ud800' }],
        ['wrong types', { id: 'cs_types', client_reference_id: 42, currency: { x: 1 } }],
      ];
      for (const [name, session] of hostile) {
        const response = await postStripe(t.app, stripeEvent({ id: `evt_${name.replace(/\W/g, '')}`, session }));
        expect(response.statusCode, name).toBe(422);
      }
      for (const id of ['cs_huge', 'cs_over', 'cs_types']) expect(await paymentsOf('stripe', id)).toHaveLength(0);
      const kept = await rows(t.database, sql`select 1 from payments.payment_rejections where provider = 'stripe'`);
      expect(kept.length).toBeGreaterThanOrEqual(hostile.length);
    });
  });

  it('exposes webhook, payment and success-rate metrics', async () => {
    const metrics = await waitFor(async () => {
      const body = (await t.app.inject('/metrics')).body;
      return body.includes('payments_total') ? body : null;
    });
    expect(metrics).toMatch(/payment_webhooks_total\{provider="sumit",outcome="applied"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/payment_webhooks_total\{provider="sumit",outcome="unauthorized"[^}]*\} 5/);
    expect(metrics).toMatch(/payment_webhooks_total\{provider="stripe",outcome="bad_signature"[^}]*\} 5/);
    expect(metrics).toMatch(
      /payment_webhook_duration_seconds_count\{[^}]*provider="sumit",outcome="applied"[^}]*\} [1-9]/,
    );
    expect(metrics).toMatch(/payments_total\{provider="sumit",tier="standard"[^}]*\} 2/);
    expect(metrics).toMatch(/payments_amount_total\{tier="standard",currency="USD"[^}]*\} 48/);
    expect(metrics).toMatch(/payment_webhook_success_ratio\{provider="sumit"[^}]*\} 0\.\d+/);
  });
});
