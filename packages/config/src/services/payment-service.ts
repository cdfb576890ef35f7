import { z } from 'zod';
import { httpUrl, port, positiveInt, secret, splitList } from '../fields.js';
import { requireTransportSettings, sharedConfigShape } from './shared.js';

const TIERS = ['lite', 'standard', 'premium'] as const;
type Tier = (typeof TIERS)[number];

/** `plink_123:standard,price_456:lite` → { plink_123: 'standard', price_456: 'lite' } (empty: none). */
const tierMap = () =>
  z
    .string()
    .default('')
    .transform((value, ctx) => {
      const map: Record<string, Tier> = {};
      for (const entry of splitList(value)) {
        const at = entry.lastIndexOf(':');
        const id = at > 0 ? entry.slice(0, at).trim() : '';
        const tier =
          at > 0
            ? entry
                .slice(at + 1)
                .trim()
                .toLowerCase()
            : '';
        if (!id || !(TIERS as readonly string[]).includes(tier)) {
          ctx.addIssue({
            code: 'custom',
            message: `"${entry}" is not <payment link or price id>:<lite|standard|premium>, e.g. plink_1Abc:standard`,
          });
          continue;
        }
        map[id] = tier as Tier;
      }
      return map;
    });

/** A dotted path into the SUMIT JSON, with array indexes: `Properties.Property_M-3[0].Name`. */
const fieldPath = (fallback: string) =>
  z
    .string()
    .regex(/^[^.[\]]+(\[\d+\])*(\.[^.[\]]+(\[\d+\])*)*$/, 'a field path such as Properties.Property_M-5[0]')
    .default(fallback);

export const paymentServiceConfigSchema = z
  .object({
    ...sharedConfigShape,
    PORT: port(7073),
    SUMIT_WEBHOOK_TOKEN: secret('the secret token carried in the SUMIT webhook URL (?token=…)'),
    SUMIT_FIELD_PAYMENT_ID: fieldPath('EntityID').describe('where the SUMIT payload carries the payment id'),
    SUMIT_FIELD_PHONE: fieldPath('Properties.Property_M-5[0]').describe("the customer's phone in the SUMIT payload"),
    SUMIT_FIELD_NAME: fieldPath('Properties.Property_M-10[0]').describe("the customer's full name"),
    SUMIT_FIELD_TIER: fieldPath('Properties.Property_M-3[0].Name').describe(
      'the tier name (matched case-insensitively to lite/standard/premium)',
    ),
    SUMIT_FIELD_AMOUNT: fieldPath('Properties.Property_M-12[0]').describe('the amount paid, in major units (89.0)'),
    SUMIT_CURRENCY: z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'an ISO 4217 code, e.g. ILS')
      .default('ILS')
      .transform((c) => c.toUpperCase())
      .describe('the currency of SUMIT amounts (SUMIT does not send it)'),
    MONOLITH_PAYMENT_URL: httpUrl()
      .optional()
      .describe(
        "move-over: the old app's /payment-received URL; set, SUMIT payments of users the old app serves are forwarded there (message-service posts them; unset: no old app)",
      ),
    ROLLOUT_STAGE_TTL_MS: positiveInt(2000).describe(
      'how long a pod reuses the move-over stage it read (rollout.stage) before reading it again',
    ),
    STRIPE_WEBHOOK_SECRET: secret('the Stripe endpoint signing secret (whsec_…)'),
    STRIPE_WEBHOOK_TOLERANCE_SECONDS: positiveInt(300).describe('largest accepted age of a Stripe-Signature timestamp'),
    STRIPE_TIER_BY_ID: tierMap().describe(
      'Stripe payment link or price id → tier, comma separated: plink_1Abc:lite,plink_1Def:standard,price_1Ghi:premium',
    ),
    STRIPE_API_KEY: z
      .string()
      .min(1)
      .optional()
      .describe(
        "restricted key (read checkout sessions): finds the tier from a session's price ids when the payment link is not mapped",
      ),
    STRIPE_API_URL: httpUrl().default('https://api.stripe.com').describe('the Stripe API base URL'),
    STRIPE_API_TIMEOUT_MS: positiveInt(10_000).describe('timeout of one Stripe API request'),
    DEFAULT_COUNTRY_CODE: z
      .string()
      .regex(/^\d{1,3}$/, 'a country calling code without +, e.g. 972')
      .default('972')
      .describe('replaces the trunk 0 of a national number (050-123-4567 → 972501234567)'),
  })
  .superRefine(requireTransportSettings);

export type PaymentServiceConfig = z.output<typeof paymentServiceConfigSchema>;
