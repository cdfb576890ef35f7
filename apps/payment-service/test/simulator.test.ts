import { type PaymentSimulator, startPaymentSimulator } from '@astria/simulators/payments';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripePriceLookup, type StripePriceLookup } from '../src/index.js';
import {
  outboxEnvelopes,
  postStripe,
  STRIPE_SECRET,
  SUMIT_TOKEN,
  startTestApp,
  storedPayments,
  stripeEvent,
  type TestApp,
} from './helpers.js';

// The service listening on 127.0.0.1:0, paid through the payment simulator's pages and its
// programmatic pay(); the tier of Stripe payments comes from the price ids the official client
// reads from the simulator (STRIPE_API_URL), since only price ids are mapped here.
describe('payment-service with the payment simulator', () => {
  let t: TestApp;
  let sim: PaymentSimulator;
  let lookup: StripePriceLookup | undefined;

  beforeAll(async () => {
    t = await startTestApp({
      env: { STRIPE_TIER_BY_ID: 'price_sim_lite:lite,price_sim_standard:standard,price_sim_premium:premium' },
      stripePriceLookup: { priceIds: (id) => (lookup as StripePriceLookup).priceIds(id) },
    });
    const serviceUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    sim = await startPaymentSimulator({
      sumitWebhookUrl: `${serviceUrl}/payment-received?token=${SUMIT_TOKEN}`,
      stripeWebhookUrl: `${serviceUrl}/stripe/webhook`,
      stripeWebhookSecret: STRIPE_SECRET,
    });
    lookup = createStripePriceLookup({ apiKey: 'rk_test_sim', apiUrl: sim.url, timeoutMs: 5000, maxNetworkRetries: 0 });
  });
  afterAll(async () => {
    await sim?.close();
    await t?.close();
  });

  it('a SUMIT payment made on the simulated page is applied once, also when SUMIT retries', async () => {
    const page = await (await fetch(`${sim.sumitPaymentLink('premium')}&phone=972501234567`)).text();
    expect(page).toContain('Premium');
    const done = await fetch(`${sim.url}/sumit/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ tier: 'premium', phone: '972501234567', name: 'Dana Levi' }).toString(),
    });
    expect(await done.text()).toContain('Payment received');
    const payment = sim.payments.at(-1);
    expect(payment).toMatchObject({ webhookStatus: 200 });
    expect(JSON.parse(payment?.webhookResponse ?? '{}')).toEqual({ status: 'applied' });

    await sim.resend(payment as NonNullable<typeof payment>);
    expect(JSON.parse(payment?.webhookResponse ?? '{}')).toEqual({ status: 'duplicate' });
    const events = (await outboxEnvelopes(t.database)).filter((e) => e.data.paymentId === payment?.paymentId);
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ provider: 'sumit', userId: '972501234567', tier: 'premium', amount: 129 });
  });

  it('a Stripe payment is verified, its tier found through the Stripe API, and a retry is a duplicate', async () => {
    const payment = await sim.pay({ provider: 'stripe', tier: 'standard', userId: '972509998877', name: 'Noa' });
    expect(payment.webhookStatus).toBe(200);
    expect(JSON.parse(payment.webhookResponse)).toEqual({ status: 'applied' });
    await sim.resend(payment);
    expect(JSON.parse(payment.webhookResponse)).toEqual({ status: 'duplicate' });
    const [stored] = (await storedPayments(t.database)).filter((p) => p.provider_payment_id === payment.paymentId);
    expect(stored).toMatchObject({ status: 'applied', tier: 'standard', user_id: '972509998877', currency: 'ILS' });
    expect(Number(stored?.amount)).toBe(89);
  });

  it('a session the Stripe API does not know goes to review (not a 500 Stripe would retry for days)', async () => {
    const event = stripeEvent({
      id: 'evt_unknown_session',
      session: { id: 'cs_not_at_stripe', payment_link: 'plink_x' },
    });
    const response = await postStripe(t.app, event);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'needs_review' });
  });
});
