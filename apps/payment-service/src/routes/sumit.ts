import { parseJson, safeEqual } from '@astria/service-kit';
import type { FastifyInstance } from 'fastify';
import type { PaymentMetrics } from '../metrics.js';
import { recordRejection } from '../store.js';
import { interpretSumit, type SumitOptions } from '../sumit.js';
import { measured, storeAndAnswer } from './webhook-kit.js';

export interface SumitRouteOptions extends SumitOptions {
  token: string;
  metrics: PaymentMetrics;
}

/**
 * `POST /payment-received?token=…`: SUMIT does not sign its webhooks, so the URL carries a secret,
 * compared in constant time. Register inside a plugin that called `acceptRawBodies`.
 */
export function sumitRoutes(app: FastifyInstance, options: SumitRouteOptions): void {
  const { metrics } = options;
  app.post<{ Querystring: { token?: string | string[] } }>(
    '/payment-received',
    { bodyLimit: 256 * 1024 },
    async (request, reply) =>
      measured(metrics, 'sumit', async (setOutcome) => {
        const token = request.query.token;
        if (typeof token !== 'string' || !safeEqual(token, options.token)) {
          setOutcome('unauthorized');
          request.log.warn('SUMIT webhook with a missing or wrong token');
          return reply.code(401).send({ error: 'unauthorized', message: 'missing or invalid token' });
        }
        const body = parseJson(request.body);
        if (body === undefined) {
          setOutcome('invalid_json');
          return reply.code(400).send({ error: 'invalid_json', message: 'the body is not JSON' });
        }
        const interpretation = interpretSumit(body, options);
        if (interpretation.kind === 'rejected') {
          setOutcome('rejected');
          const id = await recordRejection(request.server.database, {
            provider: 'sumit',
            reason: interpretation.reason,
            rawPayload: body,
          });
          request.log.error(
            { alert: 'payment_rejected', reason: interpretation.reason, rejectionId: id },
            'SUMIT webhook rejected; payload kept for review',
          );
          return reply.code(422).send({ error: 'unprocessable', reason: interpretation.reason });
        }
        if (interpretation.kind === 'ignored') {
          setOutcome('ignored');
          return reply.code(200).send({ status: 'ignored', reason: interpretation.reason });
        }
        return storeAndAnswer(request, reply, metrics, setOutcome, interpretation, body);
      }),
  );
}
