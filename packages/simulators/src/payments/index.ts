import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply } from 'fastify';
import Stripe from 'stripe';

/**
 * A local simulator of the two payment providers, for tests and the sandbox. Each provider gets a
 * small, accessible payment page; its *Pay* button (a real form POST) sends the provider's real
 * webhook to the configured URL, then shows "Payment received":
 * - SUMIT: `GET /sumit/pay?tier=standard&phone=972…` → POSTs SUMIT's JSON (`EntityID`, `Properties`)
 *   to `sumitWebhookUrl` (which carries the secret `?token=`);
 * - Stripe: `GET /stripe/pay/<payment link id>?client_reference_id=972…` → POSTs a
 *   `checkout.session.completed` event signed exactly like Stripe (the stripe package's own
 *   `generateTestHeaderString`) to `stripeWebhookUrl`. It also answers
 *   `GET /v1/checkout/sessions/:id/line_items` so STRIPE_API_URL can point here.
 */

export type SimTier = 'lite' | 'standard' | 'premium';
export type SimProvider = 'sumit' | 'stripe';

const TIERS: SimTier[] = ['lite', 'standard', 'premium'];
const TIER_NAMES: Record<SimTier, string> = { lite: 'Lite', standard: 'Standard', premium: 'Premium' };
/** SUMIT's ids of the tier options (Property_M-3[0].ID) in the simulated account. */
const SUMIT_TIER_IDS: Record<SimTier, number> = { lite: 553200, standard: 553201, premium: 553202 };

export interface PaymentSimulatorOptions {
  /** Where SUMIT webhooks go, with the token: `http://127.0.0.1:7073/payment-received?token=…`. */
  sumitWebhookUrl: string;
  /** Where Stripe webhooks go: `http://127.0.0.1:7073/stripe/webhook`. */
  stripeWebhookUrl: string;
  /** The endpoint's signing secret (`whsec_…`), the same as the service's STRIPE_WEBHOOK_SECRET. */
  stripeWebhookSecret: string;
  host?: string;
  port?: number;
  /** Price per tier in major units (default lite 49, standard 89, premium 129). */
  prices?: Partial<Record<SimTier, number>>;
  /** ISO 4217 (default ILS). */
  currency?: string;
  /** Stripe payment link id per tier (default `plink_sim_<tier>`); price ids are `price_sim_<tier>`. */
  stripePaymentLinkIds?: Partial<Record<SimTier, string>>;
  /** Timeout of one webhook delivery (default 10 s). */
  webhookTimeoutMs?: number;
}

export interface SimPayment {
  provider: SimProvider;
  tier: SimTier;
  userId: string;
  name: string;
  amount: number;
  currency: string;
  /** SUMIT EntityID, or the Stripe checkout session id. */
  paymentId: string;
  /** The Stripe event id (Stripe only). */
  eventId?: string;
  /** Exactly the bytes sent (resend() sends them again). */
  body: string;
  webhookUrl: string;
  /** HTTP status of the last delivery (0: network error / timeout). */
  webhookStatus: number;
  webhookResponse: string;
  deliveries: number;
  at: string;
}

export interface PayInput {
  provider: SimProvider;
  tier: SimTier;
  userId: string;
  name: string;
}

export interface PaymentSimulator {
  url: string;
  /** `…/sumit/pay?tier=<tier>`: the bot appends `&phone=<user id>`. */
  sumitPaymentLink(tier: SimTier): string;
  /** `…/stripe/pay/<plink id>`: the bot appends `?client_reference_id=<user id>`. */
  stripePaymentLink(tier: SimTier): string;
  /** STRIPE_TIER_BY_ID for the service: `plink_sim_lite:lite,…,price_sim_premium:premium`. */
  stripeTierMapping(): string;
  /** Every payment made, oldest first. */
  readonly payments: readonly SimPayment[];
  /** Pays as if the user pressed *Pay* on the page: sends the webhook, resolves once it was answered. */
  pay(input: PayInput): Promise<SimPayment>;
  /** Sends a payment's webhook again, byte for byte (a provider retry). */
  resend(payment: SimPayment): Promise<SimPayment>;
  close(): Promise<void>;
}

const DEFAULT_PRICES: Record<SimTier, number> = { lite: 49, standard: 89, premium: 129 };

function isTier(value: unknown): value is SimTier {
  return typeof value === 'string' && (TIERS as string[]).includes(value);
}

function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1a1a1a; }
  main { max-width: 26rem; margin: 3rem auto; background: #fff; padding: 1.5rem 2rem; border-radius: 12px;
         box-shadow: 0 1px 4px rgb(0 0 0 / 15%); }
  h1 { font-size: 1.4rem; margin-top: 0; }
  label { display: block; margin: 1rem 0 .25rem; font-weight: 600; }
  input { width: 100%; box-sizing: border-box; padding: .6rem; font: inherit; border: 1px solid #767676; border-radius: 6px; }
  button { margin-top: 1.5rem; width: 100%; padding: .8rem; font: inherit; font-weight: 700; color: #fff;
           background: #0b57d0; border: 0; border-radius: 6px; cursor: pointer; }
  button:focus-visible, input:focus-visible { outline: 3px solid #f9ab00; outline-offset: 2px; }
  .price { font-size: 1.6rem; font-weight: 700; }
  .note { color: #444; font-size: .9rem; }
  .error { color: #a50e0e; }
</style>
</head>
<body><main>${body}</main></body>
</html>`;
}

function formatPrice(amount: number, currency: string): string {
  return `${amount.toFixed(2)} ${currency}`;
}

export async function startPaymentSimulator(options: PaymentSimulatorOptions): Promise<PaymentSimulator> {
  const prices: Record<SimTier, number> = { ...DEFAULT_PRICES, ...options.prices };
  const currency = (options.currency ?? 'ILS').toUpperCase();
  const linkIds: Record<SimTier, string> = {
    lite: 'plink_sim_lite',
    standard: 'plink_sim_standard',
    premium: 'plink_sim_premium',
    ...options.stripePaymentLinkIds,
  };
  const tierByLink = new Map(TIERS.map((t) => [linkIds[t], t] as const));
  const payments: SimPayment[] = [];
  const sessions = new Map<string, SimTier>();
  let nextEntityId = 418_300_000 + Math.floor(Math.random() * 10_000) * 100;

  async function deliver(payment: SimPayment): Promise<SimPayment> {
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (payment.provider === 'stripe') {
      headers['user-agent'] = 'Stripe/1.0 (+https://stripe.com/docs/webhooks)';
      // Signed at each delivery, as Stripe does (a retry carries a fresh timestamp).
      headers['stripe-signature'] = Stripe.webhooks.generateTestHeaderString({
        payload: payment.body,
        secret: options.stripeWebhookSecret,
      });
    }
    payment.deliveries += 1;
    try {
      const response = await fetch(payment.webhookUrl, {
        method: 'POST',
        headers,
        body: payment.body,
        signal: AbortSignal.timeout(options.webhookTimeoutMs ?? 10_000),
      });
      payment.webhookStatus = response.status;
      payment.webhookResponse = (await response.text()).slice(0, 2000);
    } catch (error) {
      payment.webhookStatus = 0;
      payment.webhookResponse = error instanceof Error ? error.message : String(error);
    }
    return payment;
  }

  function sumitBody(paymentId: string, tier: SimTier, userId: string, name: string): string {
    return JSON.stringify({
      EntityID: Number(paymentId),
      FolderID: 1120045,
      Properties: {
        'Property_M-3': [{ ID: SUMIT_TIER_IDS[tier], Name: TIER_NAMES[tier] }],
        'Property_M-5': [userId],
        'Property_M-10': [name],
        'Property_M-12': [prices[tier]],
      },
    });
  }

  function stripeBody(eventId: string, sessionId: string, tier: SimTier, userId: string, name: string): string {
    const now = Math.floor(Date.now() / 1000);
    return JSON.stringify({
      id: eventId,
      object: 'event',
      api_version: '2025-10-29.clover',
      created: now,
      type: 'checkout.session.completed',
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: {
        object: {
          id: sessionId,
          object: 'checkout.session',
          amount_subtotal: Math.round(prices[tier] * 100),
          amount_total: Math.round(prices[tier] * 100),
          created: now,
          currency: currency.toLowerCase(),
          client_reference_id: userId || null,
          customer_details: { email: null, name: name || null, phone: null },
          livemode: false,
          metadata: {},
          mode: 'payment',
          payment_link: linkIds[tier],
          payment_status: 'paid',
          status: 'complete',
        },
      },
    });
  }

  async function pay(input: PayInput): Promise<SimPayment> {
    if (!isTier(input.tier)) throw new Error(`unknown tier ${String(input.tier)}`);
    const base = {
      provider: input.provider,
      tier: input.tier,
      userId: input.userId,
      name: input.name,
      amount: prices[input.tier],
      currency,
      webhookStatus: 0,
      webhookResponse: '',
      deliveries: 0,
      at: new Date().toISOString(),
    };
    let payment: SimPayment;
    if (input.provider === 'sumit') {
      nextEntityId += 1;
      const paymentId = String(nextEntityId);
      payment = {
        ...base,
        paymentId,
        body: sumitBody(paymentId, input.tier, input.userId, input.name),
        webhookUrl: options.sumitWebhookUrl,
      };
    } else {
      const sessionId = `cs_test_sim${randomBytes(12).toString('hex')}`;
      const eventId = `evt_sim${randomBytes(12).toString('hex')}`;
      sessions.set(sessionId, input.tier);
      payment = {
        ...base,
        paymentId: sessionId,
        eventId,
        body: stripeBody(eventId, sessionId, input.tier, input.userId, input.name),
        webhookUrl: options.stripeWebhookUrl,
      };
    }
    payments.push(payment);
    return deliver(payment);
  }

  const app = Fastify({ logger: false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  const html = (reply: FastifyReply, status: number, title: string, body: string) =>
    reply.code(status).type('text/html; charset=utf-8').send(page(title, body));

  const notFound = (reply: FastifyReply, what: string) =>
    html(reply, 404, 'Not found', `<h1>Not found</h1><p class="error" role="alert">${escapeHtml(what)}</p>`);

  function payForm(
    action: string,
    provider: SimProvider,
    tier: SimTier,
    userId: string,
    userField: string,
    hidden: Record<string, string> = {},
  ): string {
    const providerName = provider === 'sumit' ? 'SUMIT' : 'Stripe';
    const userLabel = provider === 'sumit' ? 'Phone' : 'Customer reference';
    return `<h1>${providerName} checkout (simulated)</h1>
<p>Astria portraits — <strong>${TIER_NAMES[tier]}</strong></p>
<p class="price" aria-label="Price">${escapeHtml(formatPrice(prices[tier], currency))}</p>
<form method="post" action="${escapeHtml(action)}">
  ${Object.entries(hidden)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('')}
  <label for="name">Full name</label>
  <input id="name" name="name" autocomplete="name" required value="Sandbox User">
  <label for="user">${userLabel}</label>
  <input id="user" name="${userField}" autocomplete="${provider === 'sumit' ? 'tel' : 'off'}" value="${escapeHtml(userId)}">
  <button type="submit">Pay ${escapeHtml(formatPrice(prices[tier], currency))}</button>
</form>
<p class="note">No money moves: this page only sends the provider's webhook to the bot.</p>`;
  }

  function receipt(payment: SimPayment): string {
    const ok = payment.webhookStatus >= 200 && payment.webhookStatus < 300;
    return `<h1>${ok ? 'Payment received' : 'Payment taken, but the shop did not confirm it'}</h1>
<div role="status">
  <p>${escapeHtml(TIER_NAMES[payment.tier])} — ${escapeHtml(formatPrice(payment.amount, payment.currency))}</p>
  <p>Payment id: <code>${escapeHtml(payment.paymentId)}</code></p>
  <p class="${ok ? 'note' : 'error'}">Webhook answered ${payment.webhookStatus || 'nothing (unreachable)'}.</p>
</div>
<p class="note">You can close this page and go back to WhatsApp.</p>`;
  }

  const receiptHtml = (reply: FastifyReply, payment: SimPayment) =>
    html(
      reply,
      200,
      payment.webhookStatus < 300 && payment.webhookStatus >= 200 ? 'Payment received' : 'Payment not confirmed',
      receipt(payment),
    );

  app.get<{ Querystring: { tier?: string; phone?: string } }>('/sumit/pay', async (request, reply) => {
    const { tier, phone } = request.query;
    if (!isTier(tier)) return notFound(reply, 'Unknown tier: use ?tier=lite, standard or premium.');
    return html(
      reply,
      200,
      `Pay ${TIER_NAMES[tier]} — SUMIT`,
      payForm('/sumit/pay', 'sumit', tier, phone ?? '', 'phone', { tier }),
    );
  });

  app.post<{ Body: { tier?: string; phone?: string; name?: string } }>('/sumit/pay', async (request, reply) => {
    const { tier, phone, name } = request.body ?? {};
    if (!isTier(tier)) return notFound(reply, 'Unknown tier.');
    const payment = await pay({ provider: 'sumit', tier, userId: phone ?? '', name: name ?? '' });
    return receiptHtml(reply, payment);
  });

  // `phone=` is accepted too: a bot that does not recognise the simulator's host as Stripe's appends it.
  app.get<{ Params: { link: string }; Querystring: { client_reference_id?: string; phone?: string } }>(
    '/stripe/pay/:link',
    async (request, reply) => {
      const tier = tierByLink.get(request.params.link);
      if (!tier) return notFound(reply, 'Unknown payment link.');
      const action = `/stripe/pay/${encodeURIComponent(request.params.link)}`;
      return html(
        reply,
        200,
        `Pay ${TIER_NAMES[tier]} — Stripe`,
        payForm(
          action,
          'stripe',
          tier,
          request.query.client_reference_id ?? request.query.phone ?? '',
          'client_reference_id',
        ),
      );
    },
  );

  app.post<{ Params: { link: string }; Body: { client_reference_id?: string; name?: string } }>(
    '/stripe/pay/:link',
    async (request, reply) => {
      const tier = tierByLink.get(request.params.link);
      if (!tier) return notFound(reply, 'Unknown payment link.');
      const { client_reference_id: userId, name } = request.body ?? {};
      const payment = await pay({ provider: 'stripe', tier, userId: userId ?? '', name: name ?? '' });
      return receiptHtml(reply, payment);
    },
  );

  // The one Stripe API call the payment service may make (tier by price id).
  app.get<{ Params: { id: string } }>('/v1/checkout/sessions/:id/line_items', async (request, reply) => {
    const tier = sessions.get(request.params.id);
    if (!tier) {
      return reply.code(404).send({
        error: {
          type: 'invalid_request_error',
          code: 'resource_missing',
          message: `No such checkout.session: '${request.params.id}'`,
        },
      });
    }
    return {
      object: 'list',
      url: `/v1/checkout/sessions/${request.params.id}/line_items`,
      has_more: false,
      data: [
        {
          id: `li_sim_${tier}`,
          object: 'item',
          amount_total: Math.round(prices[tier] * 100),
          currency: currency.toLowerCase(),
          description: `Astria portraits — ${TIER_NAMES[tier]}`,
          quantity: 1,
          price: {
            id: `price_sim_${tier}`,
            object: 'price',
            currency: currency.toLowerCase(),
            unit_amount: Math.round(prices[tier] * 100),
          },
        },
      ],
    };
  });

  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const url = address.replace('[::1]', 'localhost');

  return {
    url,
    sumitPaymentLink: (tier) => `${url}/sumit/pay?tier=${tier}`,
    stripePaymentLink: (tier) => `${url}/stripe/pay/${encodeURIComponent(linkIds[tier])}`,
    stripeTierMapping: () =>
      [...TIERS.map((t) => `${linkIds[t]}:${t}`), ...TIERS.map((t) => `price_sim_${t}:${t}`)].join(','),
    payments,
    pay,
    resend: deliver,
    async close() {
      await app.close();
    },
  };
}
