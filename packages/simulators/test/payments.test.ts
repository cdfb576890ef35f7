import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PaymentSimulator, startPaymentSimulator } from '../src/payments/index.js';

const SECRET = 'whsec_sim_test_secret';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
}

/** A tiny webhook receiver; answers with `status` (changeable). */
function startReceiver(): Promise<{ url: string; received: Received[]; server: Server; status: { code: number } }> {
  const received: Received[] = [];
  const status = { code: 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status.code, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server, status }),
    ),
  );
}

async function submitForm(url: string, fields: Record<string, string>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, html: await response.text() };
}

describe('payment simulator', () => {
  let sim: PaymentSimulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    sim = await startPaymentSimulator({
      sumitWebhookUrl: `${receiver.url}/payment-received?token=tok`,
      stripeWebhookUrl: `${receiver.url}/stripe/webhook`,
      stripeWebhookSecret: SECRET,
      prices: { standard: 89.9 },
    });
  });
  afterAll(async () => {
    await sim?.close();
    await new Promise((r) => receiver?.server.close(r));
  });

  it('serves an accessible SUMIT page whose Pay button sends SUMIT’s webhook', async () => {
    const link = `${sim.sumitPaymentLink('standard')}&phone=972501234567`;
    const pageResponse = await fetch(link);
    expect(pageResponse.status).toBe(200);
    const html = await pageResponse.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<label for="name">Full name</label>');
    expect(html).toContain('value="972501234567"');
    expect(html).toMatch(/<button type="submit">Pay 89\.90 ILS<\/button>/);
    const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1];
    expect(action).toBe('/sumit/pay');

    const before = receiver.received.length;
    const done = await submitForm(`${sim.url}${action}`, {
      tier: 'standard',
      phone: '972501234567',
      name: 'Dana Levi',
    });
    expect(done.status).toBe(200);
    expect(done.html).toContain('<h1>Payment received</h1>');
    expect(done.html).toContain('role="status"');

    const delivered = receiver.received[before];
    expect(delivered?.path).toBe('/payment-received?token=tok');
    const body = JSON.parse(delivered?.raw ?? '{}');
    expect(body).toMatchObject({
      EntityID: expect.any(Number),
      Properties: {
        'Property_M-3': [{ Name: 'Standard' }],
        'Property_M-5': ['972501234567'],
        'Property_M-10': ['Dana Levi'],
        'Property_M-12': [89.9],
      },
    });
    expect(sim.payments.at(-1)).toMatchObject({ provider: 'sumit', tier: 'standard', webhookStatus: 200 });
  });

  it('serves a Stripe payment-link page whose Pay button sends a checkout.session.completed signed like Stripe', async () => {
    const link = `${sim.stripePaymentLink('premium')}?client_reference_id=972501234567`;
    const html = await (await fetch(link)).text();
    expect(html).toContain('Stripe checkout (simulated)');
    const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1] ?? '';
    const before = receiver.received.length;
    const done = await submitForm(`${sim.url}${action}`, { client_reference_id: '972501234567', name: 'Dana' });
    expect(done.html).toContain('Payment received');

    const delivered = receiver.received[before];
    expect(delivered?.path).toBe('/stripe/webhook');
    const event = Stripe.webhooks.constructEvent(
      delivered?.raw ?? '',
      String(delivered?.headers['stripe-signature']),
      SECRET,
      300,
    );
    expect(event.type).toBe('checkout.session.completed');
    const session = event.data.object as Stripe.Checkout.Session;
    expect(session).toMatchObject({
      object: 'checkout.session',
      client_reference_id: '972501234567',
      payment_link: 'plink_sim_premium',
      payment_status: 'paid',
      amount_total: 12900,
      currency: 'ils',
      customer_details: { name: 'Dana' },
    });
    expect(() =>
      Stripe.webhooks.constructEvent(
        delivered?.raw ?? '',
        String(delivered?.headers['stripe-signature']),
        'whsec_other',
      ),
    ).toThrow();
    expect(sim.stripeTierMapping()).toContain('plink_sim_premium:premium');
  });

  it('pays programmatically, resends byte for byte, and reports a webhook that failed', async () => {
    const payment = await sim.pay({ provider: 'stripe', tier: 'lite', userId: '14155550100', name: 'Sam' });
    expect(payment).toMatchObject({ webhookStatus: 200, deliveries: 1, amount: 49, currency: 'ILS' });
    const resent = await sim.resend(payment);
    expect(resent.deliveries).toBe(2);
    const [first, second] = receiver.received.slice(-2);
    expect(second?.raw).toBe(first?.raw);

    receiver.status.code = 500;
    try {
      const failed = await submitForm(`${sim.url}/sumit/pay`, { tier: 'lite', phone: '972501234567', name: 'X' });
      expect(failed.html).toContain('did not confirm');
      expect(sim.payments.at(-1)?.webhookStatus).toBe(500);
    } finally {
      receiver.status.code = 200;
    }
  });

  it('takes phone= on a Stripe link as the client reference (a bot that does not know the host)', async () => {
    const html = await (await fetch(`${sim.stripePaymentLink('lite')}?phone=972501234567`)).text();
    expect(html).toContain('name="client_reference_id" autocomplete="off" value="972501234567"');
  });

  it('escapes what it echoes and refuses unknown tiers and links', async () => {
    const html = await (
      await fetch(`${sim.sumitPaymentLink('lite')}&phone=${encodeURIComponent('"><script>x</script>')}`)
    ).text();
    expect(html).not.toContain('<script>x');
    expect((await fetch(`${sim.url}/sumit/pay?tier=gold`)).status).toBe(404);
    expect((await fetch(`${sim.url}/stripe/pay/plink_nope`)).status).toBe(404);
  });

  it('answers the Stripe line_items call for its own sessions', async () => {
    const payment = await sim.pay({ provider: 'stripe', tier: 'standard', userId: '972501234567', name: 'D' });
    const response = await fetch(`${sim.url}/v1/checkout/sessions/${payment.paymentId}/line_items`);
    expect(((await response.json()) as { data: Array<{ price: { id: string } }> }).data[0]?.price.id).toBe(
      'price_sim_standard',
    );
    expect((await fetch(`${sim.url}/v1/checkout/sessions/cs_unknown/line_items`)).status).toBe(404);
  });
});
