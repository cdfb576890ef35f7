import { z } from 'zod';
import { commaList, httpUrl, port, positiveInt, price, secret } from '../fields.js';
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

const templateRef = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9_]{1,512}$/, 'a template name: lowercase letters, digits and _')
    .optional(),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'a language code, e.g. en, he, en_US')
    .optional(),
  parameters: z.array(z.string().min(1).max(1024)).max(10).optional(),
});
const templatesByLanguage = z.strictObject({ en: templateRef.optional(), he: templateRef.optional() });
/** Overrides of the window templates' documented defaults, per purpose and language (JSON). */
export const whatsappTemplatesOverride = z.strictObject({
  payment_received: templatesByLanguage.optional(),
  images_ready: templatesByLanguage.optional(),
  follow_up: templatesByLanguage.optional(),
});

/** WHATSAPP_TEMPLATES: JSON overrides of the window templates, validated. */
const whatsappTemplates = z
  .string()
  .default('{}')
  .transform((v, ctx) => {
    try {
      return JSON.parse(v || '{}') as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'JSON, e.g. {"images_ready":{"he":{"name":"my_template"}}}' });
      return z.NEVER;
    }
  })
  .pipe(whatsappTemplatesOverride)
  .describe('overrides of the 24-hour-window templates (name, language, parameters) per purpose and language');

export const messageServiceConfigSchema = z
  .object({
    ...sharedConfigShape,
    PORT: port(7071),
    ...whatsappApiShape,
    WHATSAPP_APP_SECRET: secret('the Meta app secret that signs webhooks'),
    WHATSAPP_VERIFY_TOKEN: secret('the token Meta sends in the verification handshake'),
    WHATSAPP_MAX_MPS: positiveInt(80).describe(
      'outbound messages per second per number, shared by every pod (up to 1,000)',
    ),
    WHATSAPP_PAIR_INTERVAL_MS: positiveInt(6000).describe(
      "per-user pair rate: one message to one user per this many ms once the burst is spent (Meta's: 6 s)",
    ),
    WHATSAPP_PAIR_BURST: positiveInt(40).describe(
      'per-user pair rate: messages one user may get at once (Meta allows 45; kept a little under)',
    ),
    WHATSAPP_HTTP_TIMEOUT_MS: positiveInt(10_000).describe('timeout of one Graph API request'),
    WHATSAPP_SEND_ATTEMPTS: positiveInt(4).describe(
      'attempts of one send on 429/5xx/network/130429/131056 before handing it back to the event retry',
    ),
    WHATSAPP_TEMPLATES: whatsappTemplates,
    ASTRIA_API_URL: httpUrl().default('https://api.astria.ai'),
    ASTRIA_API_KEY: secret('the Astria API key'),
    INGEST_MAX_CONCURRENT_TX: positiveInt(4).describe(
      'webhook transactions running at once; webhooks arriving meanwhile share the next one (group commit)',
    ),
    INGEST_MAX_BATCH: positiveInt(64).describe('most webhooks committed together in one transaction'),
    ROLLOUT_STAGE_TTL_MS: positiveInt(2000).describe(
      'how long a pod reuses the move-over stage it read (rollout.stage) before reading it again',
    ),
    MONOLITH_WEBHOOK_URL: httpUrl()
      .optional()
      .describe(
        "move-over: the old app's WhatsApp webhook URL; set, notifications are split by owner and the old app's part is forwarded there re-signed (unset: no old app, this system serves everyone)",
      ),
    MONOLITH_DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
      .optional()
      .describe(
        "move-over: the old app's database, read-only: who is mid-training there, and a user moving to this system is imported at first touch",
      ),
    MONOLITH_PAYMENT_URL: httpUrl()
      .optional()
      .describe("move-over: the old app's /payment-received URL, where sumit_forward_requested events are posted"),
    FORWARD_TIMEOUT_MS: positiveInt(10_000).describe('timeout of one forward to the old app'),
    PACKS_CACHE_TTL_SECONDS: positiveInt(300).describe('how long the Astria GET /packs answer is reused'),
    TRAINING_ETA_MINUTES: positiveInt(25).describe('the ETA promised to the user once training is requested'),
    ...tierPricingShape,
    MIN_TRAINING_PHOTOS: positiveInt(4).describe('accepted photos needed before choosing a pack'),
    SUPPORT_CONTACT: z.string({ error: 'required: where users reach support (email or phone)' }).min(1),
    OPT_OUT_KEYWORDS: commaList().describe(
      'extra opt-out words besides STOP, UNSUBSCRIBE and the Hebrew ones (comma-separated)',
    ),
    EXAMPLE_IMAGE_URLS: commaList(),
  })
  .superRefine(requireTransportSettings);

export type MessageServiceConfig = z.output<typeof messageServiceConfigSchema>;

/** `pnpm whatsapp templates`: the Graph API of the WhatsApp Business Account that owns the number. */
export const whatsappTemplatesCommandConfigSchema = z.object({
  WHATSAPP_API_URL: whatsappApiShape.WHATSAPP_API_URL,
  WHATSAPP_API_KEY: whatsappApiShape.WHATSAPP_API_KEY,
  WHATSAPP_WABA_ID: z
    .string({ error: 'required: the WhatsApp Business Account id (WhatsApp Manager → Account tools)' })
    .regex(/^\d+$/, 'digits: the WhatsApp Business Account id')
    .describe('the WhatsApp Business Account id whose message templates are listed and submitted'),
  WHATSAPP_TEMPLATES: whatsappTemplates,
  WHATSAPP_HTTP_TIMEOUT_MS: positiveInt(10_000).describe('timeout of one Graph API request'),
});
export type WhatsAppTemplatesCommandConfig = z.infer<typeof whatsappTemplatesCommandConfigSchema>;
