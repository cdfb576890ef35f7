import { z } from 'zod';
import { port, secret } from '../fields.js';
import { requireTransportSettings, sharedConfigShape } from './shared.js';

export const paymentServiceConfigSchema = z
  .object({
    ...sharedConfigShape,
    PORT: port(7073),
    SUMIT_WEBHOOK_TOKEN: secret('the secret token carried in the SUMIT webhook URL'),
    STRIPE_WEBHOOK_SECRET: secret('the Stripe endpoint signing secret (whsec_…)'),
  })
  .superRefine(requireTransportSettings);

export type PaymentServiceConfig = z.output<typeof paymentServiceConfigSchema>;
