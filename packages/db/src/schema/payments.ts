import { index, jsonb, numeric, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createEventTables } from '../event-tables.js';

/** Owned by payment-service: no other service reads or writes these tables. */
export const paymentsSchema = pgSchema('payments');

export const {
  outbox: paymentsOutbox,
  inbox: paymentsInbox,
  deadLetters: paymentsDeadLetters,
} = createEventTables(paymentsSchema);

/**
 * One row per payment a provider told us about: `(provider, provider_payment_id)` is unique, so a
 * provider's retry (or 20 concurrent ones) finds the row and does nothing more. `applied` payments
 * published `payment_received` in the same transaction; `needs_review` ones (unknown tier, no user)
 * wait for an operator and published nothing.
 */
export const payments = paymentsSchema.table(
  'payments',
  {
    id: uuid('id').primaryKey(),
    provider: text('provider', { enum: ['sumit', 'stripe'] }).notNull(),
    /** SUMIT `EntityID`; Stripe checkout session id (`cs_…`). */
    providerPaymentId: text('provider_payment_id').notNull(),
    /** Stripe event id (`evt_…`) of the event that created the row; null for SUMIT. */
    providerEventId: text('provider_event_id'),
    /** `forwarded`: the move-over sent it to the old app, which applies it (no payment_received here). */
    status: text('status', { enum: ['applied', 'needs_review', 'forwarded'] }).notNull(),
    /** Why the payment needs review (e.g. `unknown_tier: Gold`). */
    reviewReason: text('review_reason'),
    /** Our user id: the WhatsApp number, digits only with the country code. */
    userId: text('user_id'),
    tier: text('tier', { enum: ['lite', 'standard', 'premium'] }),
    /** In major units (89.00 ILS, 24.00 USD). */
    amount: numeric('amount', { precision: 14, scale: 3, mode: 'number' }),
    /** ISO 4217, upper case. */
    currency: text('currency'),
    name: text('name'),
    rawPayload: jsonb('raw_payload').notNull(),
    /** The `payment_received` event id, when one was published. */
    eventId: uuid('event_id'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('payments_provider_payment_key').on(t.provider, t.providerPaymentId),
    index('payments_user_idx').on(t.userId),
    index('payments_status_idx').on(t.status, t.receivedAt),
  ],
);

/**
 * Webhooks we answered 422 (valid JSON, but no payment id or no usable phone): kept verbatim so an
 * operator can review and apply them by hand.
 */
export const paymentRejections = paymentsSchema.table(
  'payment_rejections',
  {
    id: uuid('id').primaryKey(),
    provider: text('provider', { enum: ['sumit', 'stripe'] }).notNull(),
    reason: text('reason').notNull(),
    rawPayload: jsonb('raw_payload').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('payment_rejections_received_idx').on(t.receivedAt)],
);
