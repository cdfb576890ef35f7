import type { PaymentServiceConfig } from '@astria/config';
import type { Executor } from '@astria/db';
import { acceptRawBodies, errorResponseSchema, parseJson, safeEqual, type ZodTypeProvider } from '@astria/service-kit';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { interpretSumit, sumitOptionsFromConfig } from '../sumit.js';
import { measured, refuseForReview, storeAndAnswer } from './webhook-kit.js';
import { describeBodyError, verifyThenParseCompiler, webhookAnswer } from './webhook-schemas.js';

/** SUMIT's webhook: a JSON object; where the payment id, phone, tier, amount and name sit is configured (SUMIT_FIELD_*). */
export const sumitWebhookBody = z
  .record(z.string(), z.unknown())
  .describe(
    'A SUMIT payment webhook (JSON object). Default field paths: EntityID, Properties.Property_M-5[0] (phone), Properties.Property_M-10[0] (name), Properties.Property_M-3[0].Name (tier), Properties.Property_M-12[0] (amount)',
  );

const sumitQuery = z.object({ token: z.string().max(512).describe('The secret SUMIT_WEBHOOK_TOKEN') });

export interface SumitRouteOptions {
  config: PaymentServiceConfig;
}

/**
 * `POST /payment-received?token=…`: SUMIT does not sign its webhooks, so the URL carries a secret,
 * compared in constant time before anything else (401). The raw body is then parsed: not JSON, or not
 * a JSON object → 400; a payment whose phone or id is missing → 422, kept for review.
 */
export async function sumitPaymentRoutes(app: FastifyInstance, options: SumitRouteOptions): Promise<void> {
  acceptRawBodies(app);
  const metrics = app.paymentMetrics;
  const token = options.config.SUMIT_WEBHOOK_TOKEN;
  const sumitOptions = sumitOptionsFromConfig(options.config);

  app.withTypeProvider<ZodTypeProvider>().post(
    '/payment-received',
    {
      bodyLimit: 256 * 1024,
      validatorCompiler: verifyThenParseCompiler,
      schema: {
        description: 'SUMIT payment webhook: one stored payment and one payment_received per SUMIT payment',
        querystring: sumitQuery,
        body: sumitWebhookBody,
        response: { 200: webhookAnswer, 400: errorResponseSchema, 401: errorResponseSchema, 422: errorResponseSchema },
      },
      // The token is checked before anything else is read (a doubled or missing one is a 401).
      onRequest: async (request, reply) => {
        const given = (request.query as Record<string, unknown>).token;
        if (typeof given !== 'string' || !safeEqual(given, token)) {
          metrics.webhook('sumit', 'unauthorized', reply.elapsedTime / 1000);
          request.log.warn('SUMIT webhook with a missing or wrong token');
          return reply.code(401).send({ error: 'unauthorized', message: 'missing or invalid token' });
        }
      },
    },
    async (request, reply) => {
      await measured(metrics, 'sumit', async (setOutcome) => {
        const json = parseJson(request.body);
        if (json === undefined) {
          setOutcome('invalid_json');
          return reply.code(400).send({ error: 'invalid_json', message: 'the body is not JSON' });
        }
        const parsed = sumitWebhookBody.safeParse(json);
        if (!parsed.success) {
          setOutcome('invalid_json');
          return reply.code(400).send({ error: 'invalid_body', message: describeBodyError(parsed.error) });
        }
        const body = parsed.data;
        const interpretation = interpretSumit(body, sumitOptions);
        if (interpretation.kind === 'rejected')
          return refuseForReview(request, reply, setOutcome, 'sumit', interpretation.reason, body);
        if (interpretation.kind === 'ignored') {
          setOutcome('ignored');
          return reply.code(200).send({ status: 'ignored', reason: interpretation.reason });
        }
        // The move-over: a payment of a user the old app serves is forwarded to it (rollout/move-over.ts).
        const raw = Buffer.isBuffer(request.body) ? request.body : JSON.stringify(body);
        const forward = (tx: Executor) => request.server.paymentRouter.forwardOf(tx, interpretation.payment, raw);
        return storeAndAnswer(request, reply, metrics, setOutcome, interpretation, body, forward);
      });
      return reply;
    },
  );
}
