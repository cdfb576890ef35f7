import { z } from 'zod';
import { httpUrl, port, secret } from '../fields.js';
import { whatsappApiShape } from './message-service.js';
import { requireTransportSettings, sharedConfigShape } from './shared.js';

export const imageServiceConfigSchema = z
  .object({
    ...sharedConfigShape,
    PORT: port(7072),
    ...whatsappApiShape,
    ASTRIA_API_URL: httpUrl().default('https://api.astria.ai'),
    ASTRIA_API_KEY: secret('the Astria API key'),
    PUBLIC_BASE_URL: httpUrl().describe('where Astria callbacks reach this service'),
    CALLBACK_SIGNING_SECRET: secret('the HMAC key for callback URL tokens (32+ random bytes)'),
    UPDATE_IMAGES_TOKEN: secret('the token that protects POST /update-images'),
    BLOB_STORAGE: z.enum(['local', 'azure']).default('local'),
    BLOB_LOCAL_DIR: z.string().default('.data/blobs'),
    AZURE_STORAGE_CONNECTION_STRING: z.string().optional(),
  })
  .superRefine(requireTransportSettings);

export type ImageServiceConfig = z.output<typeof imageServiceConfigSchema>;
