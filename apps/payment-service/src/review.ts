import { type Database, payments as schema } from '@astria/db';
import type { Outbox } from '@astria/events';
import { and, asc, eq } from 'drizzle-orm';
import type { Tier } from './tiers.js';

const { payments, paymentRejections } = schema;

export interface ReviewItem {
  id: string;
  provider: string;
  providerPaymentId: string;
  reason: string | null;
  userId: string | null;
  tier: string | null;
  amount: number | null;
  currency: string | null;
  name: string | null;
  receivedAt: Date;
}

/** Payments that were paid but could not be applied automatically, oldest first. */
export async function listNeedsReview(database: Database, limit = 100): Promise<ReviewItem[]> {
  return database.db
    .select({
      id: payments.id,
      provider: payments.provider,
      providerPaymentId: payments.providerPaymentId,
      reason: payments.reviewReason,
      userId: payments.userId,
      tier: payments.tier,
      amount: payments.amount,
      currency: payments.currency,
      name: payments.name,
      receivedAt: payments.receivedAt,
    })
    .from(payments)
    .where(eq(payments.status, 'needs_review'))
    .orderBy(asc(payments.receivedAt))
    .limit(limit);
}

/** Webhooks answered 422 (no payment id / phone), newest last. */
export async function listRejections(database: Database, limit = 100) {
  return database.db.select().from(paymentRejections).orderBy(asc(paymentRejections.receivedAt)).limit(limit);
}

export type ApplyResult =
  | { ok: true; eventId: string; userId: string; tier: Tier }
  | { ok: false; reason: 'not_found' | 'not_in_review' | 'missing_user' | 'missing_tier' };

/**
 * An operator applies a payment that needed review, filling in what was missing (tier, user): the row
 * becomes `applied` and `payment_received` is published, in one transaction. Only a `needs_review`
 * row can be applied (checked under a row lock), so applying twice publishes once.
 */
export async function applyReviewedPayment(
  database: Database,
  outbox: Outbox,
  id: string,
  fill: { tier?: Tier; userId?: string },
  correlationId = `review:${id}`,
): Promise<ApplyResult> {
  return database.db.transaction(async (tx) => {
    const [row] = await tx.select().from(payments).where(eq(payments.id, id)).for('update');
    if (!row) return { ok: false, reason: 'not_found' };
    if (row.status !== 'needs_review') return { ok: false, reason: 'not_in_review' };
    const userId = fill.userId ?? row.userId;
    const tier = fill.tier ?? row.tier;
    if (!userId) return { ok: false, reason: 'missing_user' };
    if (!tier) return { ok: false, reason: 'missing_tier' };
    const envelope = await outbox.add(
      tx,
      'payment_received',
      {
        provider: row.provider,
        paymentId: row.providerPaymentId,
        userId,
        tier,
        amount: row.amount,
        currency: row.currency,
        name: row.name,
      },
      { key: userId, correlationId },
    );
    await tx
      .update(payments)
      .set({ status: 'applied', userId, tier, eventId: envelope.id })
      .where(and(eq(payments.id, id), eq(payments.status, 'needs_review')));
    return { ok: true, eventId: envelope.id, userId, tier };
  });
}
