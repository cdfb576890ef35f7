import type { PaymentServiceConfig } from '@astria/config';
import { normalizeUserId } from '@astria/events';
import { readPath } from './field-path.js';
import {
  type IncomingPayment,
  type Interpretation,
  reviewReason,
  storableName,
  toAmount,
  unstorablePayment,
} from './payment.js';
import { parseTier } from './tiers.js';

/** Where each value sits in a SUMIT webhook (they differ per SUMIT account). */
export interface SumitFields {
  paymentId: string;
  phone: string;
  name: string;
  tier: string;
  amount: string;
}

export const DEFAULT_SUMIT_FIELDS: SumitFields = {
  paymentId: 'EntityID',
  phone: 'Properties.Property_M-5[0]',
  name: 'Properties.Property_M-10[0]',
  tier: 'Properties.Property_M-3[0].Name',
  amount: 'Properties.Property_M-12[0]',
};

export interface SumitOptions {
  fields: SumitFields;
  currency: string;
  defaultCountryCode: string;
}

/** The SUMIT mapping an operator configured (field keys, currency, default country code). */
export function sumitOptionsFromConfig(config: PaymentServiceConfig): SumitOptions {
  return {
    fields: {
      paymentId: config.SUMIT_FIELD_PAYMENT_ID,
      phone: config.SUMIT_FIELD_PHONE,
      name: config.SUMIT_FIELD_NAME,
      tier: config.SUMIT_FIELD_TIER,
      amount: config.SUMIT_FIELD_AMOUNT,
    },
    currency: config.SUMIT_CURRENCY,
    defaultCountryCode: config.DEFAULT_COUNTRY_CODE,
  };
}

function text(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return null;
}

/** Maps a parsed SUMIT webhook body to a payment, a rejection (422) or nothing. Pure. */
export function interpretSumit(body: unknown, options: SumitOptions): Interpretation {
  const { fields } = options;
  const paymentId = text(readPath(body, fields.paymentId));
  if (paymentId === null) return { kind: 'rejected', reason: `missing payment id (${fields.paymentId})` };
  const rawPhone = text(readPath(body, fields.phone));
  if (rawPhone === null) return { kind: 'rejected', reason: `missing phone (${fields.phone})` };
  const userId = normalizeUserId(rawPhone, { defaultCountryCode: options.defaultCountryCode });
  if (userId === null) return { kind: 'rejected', reason: `phone is not a phone number (${fields.phone})` };
  const tierName = text(readPath(body, fields.tier));
  const payment: IncomingPayment = {
    provider: 'sumit',
    providerPaymentId: paymentId,
    providerEventId: null,
    userId,
    tier: parseTier(tierName),
    amount: toAmount(readPath(body, fields.amount)),
    currency: options.currency,
    name: storableName(text(readPath(body, fields.name))),
  };
  const unstorable = unstorablePayment(payment);
  if (unstorable !== null) return { kind: 'rejected', reason: unstorable };
  return { kind: 'payment', payment, reviewReason: reviewReason(payment, tierName) };
}
