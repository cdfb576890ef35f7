import { z } from 'zod';
import { httpUrl, port, positiveInt, secret } from '../fields.js';
import { whatsappApiShape } from './message-service.js';
import { requireTransportSettings, sharedConfigShape } from './shared.js';

const nonNegativeInt = (fallback: number) =>
  z.coerce.number().int('a whole number').min(0, 'zero or a positive whole number').default(fallback);

export const imageServiceConfigSchema = z
  .object({
    ...sharedConfigShape,
    PORT: port(7072),
    ...whatsappApiShape,
    MEDIA_MAX_BYTES: positiveInt(10 * 1024 * 1024).describe('largest accepted photo in bytes (larger: too_large)'),
    MEDIA_TIMEOUT_MS: positiveInt(15_000).describe('timeout of each WhatsApp media request'),
    ASTRIA_API_URL: httpUrl().default('https://api.astria.ai'),
    ASTRIA_API_KEY: secret('the Astria API key'),
    ASTRIA_TIMEOUT_MS: positiveInt(35_000).describe('timeout of one Astria request (Astria itself gives up at 30 s)'),
    ASTRIA_MAX_RETRIES: nonNegativeInt(4).describe('retries of an Astria request on 429/5xx/network errors'),
    ASTRIA_RETRY_BASE_MS: positiveInt(2000).describe('first retry delay; doubles each time, with jitter'),
    ASTRIA_BRANCH: z
      .enum(['', 'fast', 'sd15', 'sdxl1', 'flux1'])
      .default('')
      .describe('tune[branch]: "fast" makes free mock tunes (Astria test mode); empty: the pack default'),
    PUBLIC_BASE_URL: httpUrl().describe('where Astria callbacks reach this service'),
    CALLBACK_SIGNING_SECRET: secret('the HMAC key for callback URL tokens (32+ random bytes)'),
    UPDATE_IMAGES_TOKEN: secret('the token that protects POST /update-images'),
    PREVIEW_REBUILD_INTERVAL_HOURS: nonNegativeInt(24).describe('rebuild pack preview videos every N hours (0: off)'),
    PREVIEW_SECONDS_PER_IMAGE: positiveInt(1).describe('seconds each image shows in a preview video'),
    FFMPEG_PATH: z.string().min(1).default('ffmpeg').describe('the ffmpeg binary'),
    BLOB_STORAGE: z.enum(['local', 'azure']).default('local'),
    BLOB_LOCAL_DIR: z.string().default('.data/blobs'),
    BLOB_PUBLIC_BASE_URL: httpUrl()
      .optional()
      .describe('public URL of stored media; default: PUBLIC_BASE_URL/media (local) or the container URL (azure)'),
    AZURE_STORAGE_CONNECTION_STRING: z.string().optional(),
    AZURE_STORAGE_CONTAINER: z.string().min(3).default('media'),
  })
  .superRefine(requireTransportSettings)
  .superRefine((value, ctx) => {
    if (value.BLOB_STORAGE === 'azure' && !value.AZURE_STORAGE_CONNECTION_STRING) {
      ctx.addIssue({
        code: 'custom',
        path: ['AZURE_STORAGE_CONNECTION_STRING'],
        message: 'required when BLOB_STORAGE=azure',
      });
    }
  });

export type ImageServiceConfig = z.output<typeof imageServiceConfigSchema>;
