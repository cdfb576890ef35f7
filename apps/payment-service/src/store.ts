import { randomUUID } from 'node:crypto';
import { type Database, type Executor, payments as schema } from '@astria/db';
import type { EventRuntime } from '@astria/events';
import { boundedJson, sanitizeText } from '@astria/service-kit';
import { and, eq } from 'drizzle-orm';
import type { IncomingPayment, Provider } from './payment.js';
import type { PaymentForward } from './rollout/move-over.js';

const { payments, paymentRejections } = schema;

/** `forwarded`: a payment of a user the old app serves, stored and forwarded to it (the move-over). */
export type RecordOutcome = 'applied' | 'needs_review' | 'duplicate' | 'forwarded';

export interface RecordResult {
  outcome: RecordOutcome;
  /** The stored row's id (also for a duplicate: the original row). */
  paymentId: string | null;
  /** The published `payment_received` event id (applied only). */
  eventId: string | null;
}

/**
 * Stores a payment exactly once per (provider, provider payment id). The row and, when applicable,
 * the `payment_received` outbox row commit in one transaction; a replay (even concurrent: the unique
 * index makes it wait for the first transaction, then do nothing) stores and publishes nothing.
 */
export async function recordPayment(
  database: Database,
  events: EventRuntime,
  input: {
    payment: IncomingPayment;
    reviewReason: string | null;
    rawPayload: unknown;
    correlationId: string;
    /** The move-over: decides, in the payment's transaction, whether it goes to the old app (and at shadow also here). */
    forward?: ((tx: Executor) => Promise<PaymentForward | null>) | null;
  },
): Promise<RecordResult> {
  const { payment, reviewReason, rawPayload, correlationId, forward } = input;
  const status = reviewReason === null ? 'applied' : 'needs_review';
  return database.db.transaction(async (tx) => {
    const id = randomUUID();
    const inserted = await tx
      .insert(payments)
      .values({
        id,
        provider: payment.provider,
        providerPaymentId: payment.providerPaymentId,
        providerEventId: payment.providerEventId,
        status,
        reviewReason,
        userId: payment.userId,
        tier: payment.tier,
        amount: payment.amount,
        currency: payment.currency,
        name: payment.name,
        rawPayload: boundedJson(rawPayload),
      })
      .onConflictDoNothing({ target: [payments.provider, payments.providerPaymentId] })
      .returning({ id: payments.id });
    if (inserted.length === 0) {
      const [existing] = await tx
        .select({ id: payments.id })
        .from(payments)
        .where(eqPayment(payment.provider, payment.providerPaymentId));
      return { outcome: 'duplicate', paymentId: existing?.id ?? null, eventId: null };
    }
    const forwardTo = forward && payment.userId !== null ? await forward(tx) : null;
    if (forwardTo && payment.userId !== null) {
      const forwarded = await events.outbox.add(
        tx,
        'sumit_forward_requested',
        { paymentId: payment.providerPaymentId, userId: payment.userId, body: forwardTo.body },
        { key: payment.userId, correlationId },
      );
      if (!forwardTo.alsoApply) {
        await tx.update(payments).set({ status: 'forwarded', eventId: forwarded.id }).where(eq(payments.id, id));
        return { outcome: 'forwarded', paymentId: id, eventId: forwarded.id };
      }
    }
    if (status === 'needs_review' || payment.userId === null || payment.tier === null) {
      return { outcome: 'needs_review', paymentId: id, eventId: null };
    }
    const envelope = await events.outbox.add(
      tx,
      'payment_received',
      {
        provider: payment.provider,
        paymentId: payment.providerPaymentId,
        userId: payment.userId,
        tier: payment.tier,
        amount: payment.amount,
        currency: payment.currency,
        name: payment.name,
      },
      { key: payment.userId, correlationId },
    );
    await tx.update(payments).set({ eventId: envelope.id }).where(eq(payments.id, id));
    return { outcome: 'applied', paymentId: id, eventId: envelope.id };
  });
}

function eqPayment(provider: Provider, providerPaymentId: string) {
  return and(eq(payments.provider, provider), eq(payments.providerPaymentId, providerPaymentId));
}

/**
 * Keeps a webhook we refused (422) for an operator to review: verbatim when it is an ordinary payload,
 * else sanitized and bounded (boundedJson: no NUL or lone surrogate jsonb would refuse, nesting cut at 32
 * levels so nothing recurses deeper, about 64 kB at most), so keeping it can never fail.
 */
export async function recordRejection(
  database: Database,
  input: { provider: Provider; reason: string; rawPayload: unknown },
): Promise<string> {
  const id = randomUUID();
  await database.db.insert(paymentRejections).values({
    id,
    provider: input.provider,
    reason: sanitizeText(input.reason, 500),
    rawPayload: boundedJson(input.rawPayload),
  });
  return id;
}
