import { normalizeUserId } from '@astria/events';
import { storableId } from '@astria/service-kit';
import type Stripe from 'stripe';
import { z } from 'zod';
import {
  type IncomingPayment,
  type Interpretation,
  PAYMENT_LIMITS,
  reviewReason,
  storableName,
  unstorablePayment,
} from './payment.js';
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

/**
 * The fields of a Checkout Session the service reads, with explicit limits (others pass through). A paid
 * session that fails it is refused for review: no retry of a signed event can change it.
 */
export const checkoutSessionSchema = z.looseObject({
  object: z.literal('checkout.session'),
  id: storableId(PAYMENT_LIMITS.id),
  payment_status: z.string().max(64).nullable().optional(),
  client_reference_id: z.string().max(200).nullable().optional(),
  currency: z.string().max(16).nullable().optional(),
  amount_total: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
  customer_details: z
    .looseObject({ name: z.string().max(10_000).nullable().optional() })
    .nullable()
    .optional(),
  payment_link: z
    .union([z.string().max(PAYMENT_LIMITS.id), z.looseObject({ id: z.string().max(PAYMENT_LIMITS.id) })])
    .nullable()
    .optional(),
});

/** The paid checkout session an event is about, why the event is not a payment, or why it is refused. Pure. */
export function paidSession(
  event: Stripe.Event,
):
  | { kind: 'session'; session: Stripe.Checkout.Session }
  | { kind: 'ignored'; reason: string }
  | { kind: 'rejected'; reason: string } {
  if (!PAYMENT_EVENT_TYPES.has(event.type)) return { kind: 'ignored', reason: `event type ${event.type}` };
  const object = event.data.object as { object?: unknown } | null;
  if (object?.object !== 'checkout.session') return { kind: 'ignored', reason: 'not a checkout session' };
  const parsed = checkoutSessionSchema.safeParse(object);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'rejected', reason: `session ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
  }
  const session = parsed.data as unknown as Stripe.Checkout.Session;
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
    name: storableName(session.customer_details?.name),
  };
  const unstorable = unstorablePayment(payment);
  if (unstorable !== null) return { kind: 'rejected', reason: unstorable };
  return { kind: 'payment', payment, reviewReason: reviewReason(payment, paymentLinkId(session)) };
}
