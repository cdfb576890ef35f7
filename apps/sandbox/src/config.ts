import { fields } from '@astria/config';
import { z } from 'zod';

const optionalUrl = () => fields.httpUrl().optional();

/**
 * The sandbox's own settings. Everything has a default, so `pnpm start` needs no `.env`.
 * Setting one of the external API URLs replaces its simulator with the real API (the services
 * then need the matching real credentials, which the environment provides as usual).
 */
export const sandboxConfigSchema = z.object({
  SANDBOX_HOST: z.string().default('127.0.0.1').describe('interface every sandbox server listens on'),
  SANDBOX_PORT: fields.port(7070).describe('the chat page'),
  MESSAGE_SERVICE_PORT: fields.port(7071),
  IMAGE_SERVICE_PORT: fields.port(7072),
  PAYMENT_SERVICE_PORT: fields.port(7073),
  MAINTENANCE_SERVICE_PORT: fields.port(7074),
  WHATSAPP_SIMULATOR_PORT: fields.port(7075),
  ASTRIA_SIMULATOR_PORT: fields.port(7076),
  PAYMENT_SIMULATOR_PORT: fields.port(7077),
  SANDBOX_DATA_DIR: z.string().default('.data').describe('PGlite data, blobs and the chat log'),
  SANDBOX_TRAINING_DELAY_MS: fields.positiveInt(4000).describe('how long a simulated Astria tune trains'),
  SANDBOX_PAYMENT_PROVIDER: z
    .enum(['sumit', 'stripe'])
    .default('sumit')
    .describe('whose simulated payment links the bot sends'),
  SHUTDOWN_DRAIN_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(3000)
    .describe('after SIGTERM: readiness 503 while still serving this long, then close (Ctrl-C closes at once)'),
  SANDBOX_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
    .optional(),
  WHATSAPP_API_URL: optionalUrl().describe('set: real WhatsApp Graph API instead of the simulator'),
  ASTRIA_API_URL: optionalUrl().describe('set: real Astria API instead of the simulator'),
  LITE_TIER_PAYMENT_LINK: optionalUrl().describe('set (with the other tiers): real payment links, no simulator'),
});

export type SandboxConfig = z.output<typeof sandboxConfigSchema>;
