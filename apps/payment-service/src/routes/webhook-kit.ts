import { type Executor, permanentStoreError } from '@astria/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PaymentMetrics, WebhookOutcome } from '../metrics.js';
import type { Interpretation, Provider } from '../payment.js';
import type { PaymentForward } from '../rollout/move-over.js';
import { recordPayment, recordRejection } from '../store.js';

/** The caller's correlation id (as the service kit logs it), or the request id. */
export function correlationIdOf(request: FastifyRequest): string {
  const header = request.headers['x-correlation-id'];
  return typeof header === 'string' && /^[\w.:-]{1,128}$/.test(header) ? header : request.id;
}

/** Times a webhook and counts its outcome, also when it throws (`error`). */
export async function measured(
  metrics: PaymentMetrics,
  provider: Provider,
  handle: (setOutcome: (outcome: WebhookOutcome) => void) => Promise<unknown>,
): Promise<unknown> {
  const started = process.hrtime.bigint();
  let outcome: WebhookOutcome = 'error';
  try {
    return await handle((o) => {
      outcome = o;
    });
  } finally {
    metrics.webhook(provider, outcome, Number(process.hrtime.bigint() - started) / 1e9);
  }
}

/** Stores an interpreted payment and answers: 200 for applied, duplicate and needs_review alike. */
export async function storeAndAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  metrics: PaymentMetrics,
  setOutcome: (outcome: WebhookOutcome) => void,
  interpretation: Extract<Interpretation, { kind: 'payment' }>,
  rawPayload: unknown,
  forward: ((tx: Executor) => Promise<PaymentForward | null>) | null = null,
) {
  const { payment, reviewReason } = interpretation;
  let result: Awaited<ReturnType<typeof recordPayment>>;
  try {
    result = await recordPayment(request.server.database, request.server.events, {
      payment,
      reviewReason,
      rawPayload,
      correlationId: correlationIdOf(request),
      forward,
    });
  } catch (error) {
    // PostgreSQL refused the payment for good (a data error the screening missed): a retry would fail the
    // same way, so it is kept for review and answered 422, never a 5xx the provider retries for days.
    // Anything else (the database unreachable, a deadline) stays a 503 through the error handler.
    const sqlState = permanentStoreError(error);
    if (sqlState === null) throw error;
    return refuseForReview(
      request,
      reply,
      setOutcome,
      payment.provider,
      `database refused it (SQLSTATE ${sqlState})`,
      rawPayload,
    );
  }
  setOutcome(result.outcome);
  const context = {
    provider: payment.provider,
    providerPaymentId: payment.providerPaymentId,
    userId: payment.userId,
    tier: payment.tier,
    amount: payment.amount,
    currency: payment.currency,
  };
  if (result.outcome === 'applied') {
    metrics.payment(payment.provider, payment.tier ?? 'unknown', payment.amount, payment.currency);
    request.log.info({ ...context, eventId: result.eventId }, 'payment applied; payment_received published');
  } else if (result.outcome === 'forwarded') {
    request.log.info({ ...context, eventId: result.eventId }, 'payment of a user the old app serves; forwarded to it');
  } else if (result.outcome === 'needs_review') {
    // Alert-worthy: a customer paid and nothing happens until an operator acts (see docs/operations).
    request.log.error(
      { ...context, alert: 'payment_needs_review', reason: reviewReason },
      'payment needs review: paid, but it cannot be applied automatically',
    );
  } else {
    request.log.info(context, 'payment already recorded; replay ignored');
  }
  return reply.code(200).send({ status: result.outcome });
}

/** A webhook that can never be applied: kept for review (sanitized, bounded), alerted, answered 422. */
export async function refuseForReview(
  request: FastifyRequest,
  reply: FastifyReply,
  setOutcome: (outcome: WebhookOutcome) => void,
  provider: Provider,
  reason: string,
  rawPayload: unknown,
) {
  setOutcome('rejected');
  const id = await recordRejection(request.server.database, { provider, reason, rawPayload });
  request.log.error(
    { alert: 'payment_rejected', provider, reason: reason.slice(0, 300), rejectionId: id },
    'payment webhook rejected; payload kept for review',
  );
  return reply.code(422).send({ error: 'unprocessable', reason: reason.slice(0, 300) });
}
