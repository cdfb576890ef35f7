import { z } from 'zod';
import { httpUrl, port, positiveInt, price, secret } from '../fields.js';
import { requireTransportSettings, sharedConfigShape } from './shared.js';

export const whatsappApiShape = {
  WHATSAPP_API_URL: httpUrl().describe('Graph API base URL including the version'),
  WHATSAPP_NUMBER_ID: z.string({ error: 'required: the WhatsApp phone number id' }).min(1),
  WHATSAPP_API_KEY: secret('the WhatsApp Cloud API access token'),
};

export const tierPricingShape = {
  LITE_TIER_PRICE: price(),
  STANDARD_TIER_PRICE: price(),
  PREMIUM_TIER_PRICE: price(),
  LITE_TIER_PAYMENT_LINK: httpUrl(),
  STANDARD_TIER_PAYMENT_LINK: httpUrl(),
  PREMIUM_TIER_PAYMENT_LINK: httpUrl(),
};

export const messageServiceConfigSchema = z
  .object({
    ...sharedConfigShape,
    PORT: port(7071),
    ...whatsappApiShape,
    WHATSAPP_APP_SECRET: secret('the Meta app secret that signs webhooks'),
    WHATSAPP_VERIFY_TOKEN: secret('the token Meta sends in the verification handshake'),
    WHATSAPP_MAX_MPS: positiveInt(80).describe('outbound messages per second per number, across the process'),
    WHATSAPP_HTTP_TIMEOUT_MS: positiveInt(10_000).describe('timeout of one Graph API request'),
    WHATSAPP_SEND_ATTEMPTS: positiveInt(4).describe(
      'attempts of one send on 429/5xx/network/130429/131056 before handing it back to the event retry',
    ),
    ASTRIA_API_URL: httpUrl().default('https://api.astria.ai'),
    ASTRIA_API_KEY: secret('the Astria API key'),
    INGEST_MAX_CONCURRENT_TX: positiveInt(4).describe(
      'webhook transactions running at once; webhooks arriving meanwhile share the next one (group commit)',
    ),
    INGEST_MAX_BATCH: positiveInt(64).describe('most webhooks committed together in one transaction'),
    ROLLOUT_STAGE_TTL_MS: positiveInt(2000).describe(
      'how long a pod reuses the move-over stage it read (rollout.stage) before reading it again',
    ),
    PACKS_CACHE_TTL_SECONDS: positiveInt(300).describe('how long the Astria GET /packs answer is reused'),
    TRAINING_ETA_MINUTES: positiveInt(25).describe('the ETA promised to the user once training is requested'),
    ...tierPricingShape,
    MIN_TRAINING_PHOTOS: positiveInt(4).describe('accepted photos needed before choosing a pack'),
    SUPPORT_CONTACT: z.string({ error: 'required: where users reach support (email or phone)' }).min(1),
    EXAMPLE_IMAGE_URLS: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
  })
  .superRefine(requireTransportSettings);

export type MessageServiceConfig = z.output<typeof messageServiceConfigSchema>;
