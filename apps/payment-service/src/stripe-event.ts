import { normalizeUserId } from '@astria/events';
import type Stripe from 'stripe';
import { type IncomingPayment, type Interpretation, reviewReason } from './payment.js';
import type { Tier } from './tiers.js';

export const PAYMENT_EVENT_TYPES = new Set(['checkout.session.completed', 'checkout.session.async_payment_succeeded']);

/** Currencies Stripe counts in whole units (no cents), and those with three decimals. */
const ZERO_DECIMAL = new Set('bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf'.split(' '));
const THREE_DECIMAL = new Set('bhd jod kwd omr tnd'.split(' '));

/** Stripe amounts are in the currency's smallest unit: 2400 usd → 24. */
export function fromMinorUnits(amount: number | null | undefined, currency: string | null | undefined): number | null {
  if (typeof amount !== 'number' || !Number.isFinite(amount) || !currency) return null;
  const c = currency.toLowerCase();
  const exponent = ZERO_DECIMAL.has(c) ? 0 : THREE_DECIMAL.has(c) ? 3 : 2;
  return amount / 10 ** exponent;
}

/** The paid checkout session an event is about, or why the event is not a payment. Pure. */
export function paidSession(
  event: Stripe.Event,
): { kind: 'session'; session: Stripe.Checkout.Session } | { kind: 'ignored'; reason: string } {
  if (!PAYMENT_EVENT_TYPES.has(event.type)) return { kind: 'ignored', reason: `event type ${event.type}` };
  const session = event.data.object as Stripe.Checkout.Session;
  if (session?.object !== 'checkout.session' || typeof session.id !== 'string') {
    return { kind: 'ignored', reason: 'not a checkout session' };
  }
  // `completed` with payment_status `unpaid` is a delayed method (bank debit): async_payment_succeeded follows.
  if (event.type === 'checkout.session.completed' && session.payment_status !== 'paid') {
    return { kind: 'ignored', reason: `payment_status ${session.payment_status}` };
  }
  return { kind: 'session', session };
}

/** The payment link id of a session, whether expanded or not. */
export function paymentLinkId(session: Stripe.Checkout.Session): string | null {
  const link = session.payment_link;
  if (!link) return null;
  return typeof link === 'string' ? link : link.id;
}

/**
 * Our user id back from a `client_reference_id`: Stripe allows only letters, digits, `-` and `_`, so the
 * bot writes a business-scoped user id `US.1349…` as `US_1349…`; phone numbers are digits already.
 */
export function userIdFromClientReference(
  reference: string | null | undefined,
  defaultCountryCode: string,
): string | null {
  if (!reference) return null;
  const bsuid = /^([A-Za-z]{2})_([A-Za-z0-9._-]{1,120})$/.exec(reference.trim());
  const candidate = bsuid ? `${bsuid[1]}.${bsuid[2]}` : reference;
  return normalizeUserId(candidate, { defaultCountryCode });
}

/** Maps a paid session (and the tier found for it) to a payment. Pure. */
export function interpretStripeSession(
  eventId: string,
  session: Stripe.Checkout.Session,
  tier: Tier | null,
  options: { defaultCountryCode: string },
): Interpretation {
  const userId = userIdFromClientReference(session.client_reference_id, options.defaultCountryCode);
  const currency = session.currency ? session.currency.toUpperCase() : null;
  const payment: IncomingPayment = {
    provider: 'stripe',
    providerPaymentId: session.id,
    providerEventId: eventId,
    userId,
    tier,
    amount: fromMinorUnits(session.amount_total, session.currency),
    currency,
    name: session.customer_details?.name?.trim().slice(0, 200) || null,
  };
  return { kind: 'payment', payment, reviewReason: reviewReason(payment, paymentLinkId(session)) };
}
