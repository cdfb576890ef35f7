import { sanitizeText, storableId, textProblem } from '@astria/service-kit';
import type { Tier } from './tiers.js';

/**
 * Explicit limits on what a payment may carry before it is stored. `payments.amount` is numeric(14,3):
 * below 10^11 in major units; anything larger (1e308) is not a payment we can take, refused for review.
 */
export const PAYMENT_LIMITS = {
  /** Provider payment and event ids. */
  id: 255,
  /** Exclusive upper bound of an amount in major units (numeric(14,3)). */
  amount: 1e11,
  /** The payer's name is kept sanitized and cut to this. */
  name: 200,
  /** A tier name quoted in a review reason. */
  tierHint: 80,
} as const;

const paymentIdSchema = storableId(PAYMENT_LIMITS.id);

export type Provider = 'sumit' | 'stripe';

/** A payment as a provider described it, mapped to our terms; what gets stored. */
export interface IncomingPayment {
  provider: Provider;
  providerPaymentId: string;
  providerEventId: string | null;
  userId: string | null;
  tier: Tier | null;
  /** Major units (89, 24.5). */
  amount: number | null;
  currency: string | null;
  name: string | null;
}

/**
 * `applied`: user and tier known, `payment_received` is published. `needs_review`: paid, but we cannot
 * tell who or what (unknown tier, no user): stored for an operator, nothing published.
 */
export function reviewReason(payment: IncomingPayment, tierHint: string | null): string | null {
  if (payment.userId === null) return 'missing_user';
  if (payment.tier === null)
    return `unknown_tier${tierHint ? `: ${sanitizeText(tierHint, PAYMENT_LIMITS.tierHint)}` : ''}`;
  return null;
}

/** What a webhook payload means, before any I/O. */
export type Interpretation =
  | { kind: 'payment'; payment: IncomingPayment; reviewReason: string | null }
  /** Valid JSON we cannot act on (no payment id, no usable phone): 422 and the payload kept. */
  | { kind: 'rejected'; reason: string }
  /** Not a payment (another Stripe event type, an unpaid session): 200 and nothing stored. */
  | { kind: 'ignored'; reason: string };

/** Amounts arrive as numbers or numeric strings; anything else is unknown (null). */
export function toAmount(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : null;
}

/**
 * Why a payment cannot be stored as it is (an id PostgreSQL cannot hold or over the limit, an amount over
 * numeric(14,3), an unstorable user id or currency), or null. Such a webhook is refused and kept for review:
 * retrying it can never succeed.
 */
export function unstorablePayment(payment: IncomingPayment): string | null {
  const id = paymentIdSchema.safeParse(payment.providerPaymentId);
  if (!id.success) return `payment id: ${id.error.issues[0]?.message ?? 'invalid'}`;
  if (payment.providerEventId !== null) {
    const event = paymentIdSchema.safeParse(payment.providerEventId);
    if (!event.success) return `event id: ${event.error.issues[0]?.message ?? 'invalid'}`;
  }
  if (payment.amount !== null && !(Math.abs(payment.amount) < PAYMENT_LIMITS.amount))
    return `amount out of range (limit ${PAYMENT_LIMITS.amount})`;
  for (const [field, value] of [
    ['user id', payment.userId],
    ['currency', payment.currency],
  ] as const) {
    if (value !== null && (value.length > 64 || textProblem(value) !== null)) return `${field}: unstorable`;
  }
  return null;
}

/** The payer's name as stored: trimmed, sanitized, cut; null when empty. */
export function storableName(name: unknown): string | null {
  return typeof name === 'string' && name.trim() !== '' ? sanitizeText(name.trim(), PAYMENT_LIMITS.name) : null;
}
