import type { Tier } from './tiers.js';

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
  if (payment.tier === null) return `unknown_tier${tierHint ? `: ${tierHint.slice(0, 80)}` : ''}`;
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
