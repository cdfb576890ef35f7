import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import type { PaymentMetrics } from '../metrics.js';
import { interpretStripeSession, paidSession, paymentLinkId } from '../stripe-event.js';
import type { StripePriceLookup } from '../stripe-prices.js';
import type { Tier } from '../tiers.js';
import { measured, storeAndAnswer } from './webhook-kit.js';

export interface StripeRouteOptions {
  webhookSecret: string;
  toleranceSeconds: number;
  /** Payment link or price id → tier. */
  tierById: Readonly<Record<string, Tier>>;
  /** Finds price ids when the payment link is not mapped (needs STRIPE_API_KEY). */
  priceLookup: StripePriceLookup | undefined;
  defaultCountryCode: string;
  metrics: PaymentMetrics;
}

/**
 * `POST /stripe/webhook`: `Stripe-Signature` verified by the official package over the raw body
 * (400 when invalid, as Stripe expects). Register inside a plugin that called `acceptRawBodies`.
 */
export function stripeRoutes(app: FastifyInstance, options: StripeRouteOptions): void {
  const { metrics } = options;

  async function tierOf(session: Stripe.Checkout.Session): Promise<Tier | null> {
    const link = paymentLinkId(session);
    if (link && options.tierById[link]) return options.tierById[link];
    if (!options.priceLookup) return null;
    let prices: string[];
    try {
      prices = await options.priceLookup.priceIds(session.id);
    } catch (error) {
      // Stripe refused the lookup (unknown session, key without access): retrying will not help, so the
      // payment goes to review. Network errors, 429 and 5xx throw on: 500, and Stripe retries the webhook.
      const status = (error as { statusCode?: number }).statusCode;
      if (status === undefined || status === 429 || status >= 500) throw error;
      app.log.warn({ sessionId: session.id, status }, 'Stripe line items lookup refused; tier unknown');
      return null;
    }
    for (const price of prices) {
      if (options.tierById[price]) return options.tierById[price];
    }
    return null;
  }

  app.post('/stripe/webhook', { bodyLimit: 512 * 1024 }, async (request, reply) =>
    measured(metrics, 'stripe', async (setOutcome) => {
      const signature = request.headers['stripe-signature'];
      let event: Stripe.Event;
      try {
        if (!Buffer.isBuffer(request.body) || typeof signature !== 'string')
          throw new Error('missing body or signature');
        event = Stripe.webhooks.constructEvent(
          request.body,
          signature,
          options.webhookSecret,
          options.toleranceSeconds,
        );
      } catch (error) {
        setOutcome('bad_signature');
        request.log.warn({ reason: error instanceof Error ? error.message : String(error) }, 'Stripe webhook rejected');
        return reply.code(400).send({ error: 'bad_signature', message: 'invalid Stripe-Signature' });
      }
      const found = paidSession(event);
      if (found.kind === 'ignored') {
        setOutcome('ignored');
        request.log.info({ eventId: event.id, type: event.type, reason: found.reason }, 'Stripe event ignored');
        return reply.code(200).send({ status: 'ignored', reason: found.reason });
      }
      const tier = await tierOf(found.session);
      const interpretation = interpretStripeSession(event.id, found.session, tier, {
        defaultCountryCode: options.defaultCountryCode,
      });
      if (interpretation.kind !== 'payment') {
        setOutcome('ignored');
        return reply.code(200).send({ status: 'ignored' });
      }
      return storeAndAnswer(request, reply, metrics, setOutcome, interpretation, event);
    }),
  );
}
