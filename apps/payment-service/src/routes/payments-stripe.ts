import type { PaymentServiceConfig } from '@astria/config';
import { acceptRawBodies, errorResponseSchema, type ZodTypeProvider } from '@astria/service-kit';
import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import { z } from 'zod';
import { interpretStripeSession, paidSession, paymentLinkId } from '../stripe-event.js';
import type { Tier } from '../tiers.js';
import { measured, refuseForReview, storeAndAnswer } from './webhook-kit.js';
import { describeBodyError, verifyThenParseCompiler, webhookAnswer } from './webhook-schemas.js';

/** A Stripe event (only `checkout.session.completed` / `checkout.session.async_payment_succeeded` are payments). */
export const stripeWebhookBody = z
  .looseObject({
    id: z.string().max(255),
    type: z.string().max(255),
    data: z.looseObject({ object: z.looseObject({}) }),
  })
  .describe('A Stripe event, signed (Stripe-Signature) over its raw bytes');

const stripeHeaders = z.looseObject({
  'stripe-signature': z.string().max(4096).optional().describe('t=…,v1=… (checked over the raw body)'),
});

export interface StripeRouteOptions {
  config: PaymentServiceConfig;
}

/**
 * `POST /stripe/webhook`: `Stripe-Signature` verified by the official package over the raw body first
 * (400 when invalid, as Stripe expects), which then parses the event.
 */
export async function stripePaymentRoutes(app: FastifyInstance, options: StripeRouteOptions): Promise<void> {
  acceptRawBodies(app);
  const metrics = app.paymentMetrics;
  const { config } = options;
  const tierById: Readonly<Record<string, Tier>> = config.STRIPE_TIER_BY_ID;
  const priceLookup = app.stripePriceLookup;

  async function tierOf(session: Stripe.Checkout.Session): Promise<Tier | null> {
    const link = paymentLinkId(session);
    if (link && tierById[link]) return tierById[link];
    if (!priceLookup) return null;
    let prices: string[];
    try {
      prices = await priceLookup.priceIds(session.id);
    } catch (error) {
      // Stripe refused the lookup (unknown session, key without access): retrying will not help, so the
      // payment goes to review. Network errors, 429 and 5xx throw on: 500, and Stripe retries the webhook.
      const status = (error as { statusCode?: number }).statusCode;
      if (status === undefined || status === 429 || status >= 500) throw error;
      app.log.warn({ sessionId: session.id, status }, 'Stripe line items lookup refused; tier unknown');
      return null;
    }
    for (const price of prices) {
      if (tierById[price]) return tierById[price];
    }
    return null;
  }

  app.withTypeProvider<ZodTypeProvider>().post(
    '/stripe/webhook',
    {
      bodyLimit: 512 * 1024,
      validatorCompiler: verifyThenParseCompiler,
      schema: {
        description: 'Stripe webhook: one stored payment and one payment_received per paid Checkout Session',
        headers: stripeHeaders,
        body: stripeWebhookBody,
        response: { 200: webhookAnswer, 400: errorResponseSchema, 422: errorResponseSchema },
      },
    },
    async (request, reply) => {
      await measured(metrics, 'stripe', async (setOutcome) => {
        const signature = request.headers['stripe-signature'];
        // The official package (some 150 modules) loads with the first Stripe webhook, not at start.
        const { default: Stripe } = await import('stripe');
        let event: Stripe.Event;
        try {
          if (!Buffer.isBuffer(request.body) || typeof signature !== 'string')
            throw new Error('missing body or signature');
          event = Stripe.webhooks.constructEvent(
            request.body,
            signature,
            config.STRIPE_WEBHOOK_SECRET,
            config.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
          );
        } catch (error) {
          setOutcome('bad_signature');
          request.log.warn(
            { reason: error instanceof Error ? error.message : String(error) },
            'Stripe webhook rejected',
          );
          return reply.code(400).send({ error: 'bad_signature', message: 'invalid Stripe-Signature' });
        }
        // Signed is not well formed: `null`, an array or an event without its fields is a 400, stored nowhere.
        const envelope = stripeWebhookBody.safeParse(event);
        if (!envelope.success) {
          setOutcome('invalid_json');
          return reply.code(400).send({ error: 'invalid_body', message: describeBodyError(envelope.error) });
        }
        const found = paidSession(event);
        if (found.kind === 'rejected')
          return refuseForReview(request, reply, setOutcome, 'stripe', found.reason, event);
        if (found.kind === 'ignored') {
          setOutcome('ignored');
          request.log.info({ eventId: event.id, type: event.type, reason: found.reason }, 'Stripe event ignored');
          return reply.code(200).send({ status: 'ignored', reason: found.reason });
        }
        const tier = await tierOf(found.session);
        const interpretation = interpretStripeSession(event.id, found.session, tier, {
          defaultCountryCode: config.DEFAULT_COUNTRY_CODE,
        });
        if (interpretation.kind === 'rejected')
          return refuseForReview(request, reply, setOutcome, 'stripe', interpretation.reason, event);
        if (interpretation.kind !== 'payment') {
          setOutcome('ignored');
          return reply.code(200).send({ status: 'ignored' });
        }
        return storeAndAnswer(request, reply, metrics, setOutcome, interpretation, event);
      });
      return reply;
    },
  );
}
