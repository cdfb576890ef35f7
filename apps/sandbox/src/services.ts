import {
  type Env,
  imageServiceConfigSchema,
  maintenanceServiceConfigSchema,
  messageServiceConfigSchema,
  paymentServiceConfigSchema,
} from '@astria/config';
import type { ServiceName } from '@astria/db';
import { resolveFfmpeg } from '@astria/dev-programs';
import { imageServiceApp } from '@astria/image-service';
import { maintenanceServiceApp } from '@astria/maintenance-service';
import { messageServiceApp } from '@astria/message-service';
import { paymentServiceApp } from '@astria/payment-service';
import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';

/** A service the sandbox composes: its app plugin and how it is configured. */
export interface ServiceSpec {
  service: ServiceName;
  packageName: string;
  /** The service's app plugin, as its main.ts runs it. */
  app: AppPlugin;
  // biome-ignore lint/suspicious/noExplicitAny: each service has its own config type; the sandbox only passes it through
  configSchema: z.ZodType<any>;
  /** Extra options the app takes besides `config` (e.g. the maintenance service's scheduler mode). */
  extraOptions?: Record<string, unknown>;
}

export const SERVICE_SPECS: readonly ServiceSpec[] = [
  {
    service: 'message-service',
    packageName: '@astria/message-service',
    app: messageServiceApp as unknown as AppPlugin,
    configSchema: messageServiceConfigSchema,
  },
  {
    service: 'image-service',
    packageName: '@astria/image-service',
    app: imageServiceApp as unknown as AppPlugin,
    configSchema: imageServiceConfigSchema,
  },
  {
    service: 'payment-service',
    packageName: '@astria/payment-service',
    app: paymentServiceApp as unknown as AppPlugin,
    configSchema: paymentServiceConfigSchema,
  },
  {
    service: 'maintenance-service',
    packageName: '@astria/maintenance-service',
    app: maintenanceServiceApp as unknown as AppPlugin,
    configSchema: maintenanceServiceConfigSchema,
  },
];

export type AppPlugin = FastifyPluginAsync<Record<string, unknown>>;

export interface SandboxUrls {
  page: string;
  services: Record<ServiceName, string>;
  whatsapp?: string;
  astria?: string;
  payments?: string;
}

export interface SandboxSecrets {
  whatsappNumberId: string;
  whatsappAccessToken: string;
  whatsappAppSecret: string;
  whatsappVerifyToken: string;
  astriaApiKey: string;
  sumitWebhookToken: string;
  stripeWebhookSecret: string;
}

/** Fixed, obviously-not-production credentials shared by the services and the simulators. */
export const SANDBOX_SECRETS: SandboxSecrets = {
  whatsappNumberId: '100000000000001',
  whatsappAccessToken: 'sandbox-whatsapp-access-token',
  whatsappAppSecret: 'sandbox-whatsapp-app-secret',
  whatsappVerifyToken: 'sandbox-whatsapp-verify-token',
  astriaApiKey: 'sandbox-astria-api-key',
  sumitWebhookToken: 'sandbox-sumit-webhook-token',
  stripeWebhookSecret: 'whsec_sandbox_stripe_webhook_secret',
};

/** Tier prices, the same on the bot's menus and on the simulated payment pages. */
export const SANDBOX_PRICES = { lite: 49, standard: 89, premium: 129 };

export interface ServiceEnvInput {
  urls: SandboxUrls;
  dataDir: string;
  databaseUrl?: string | undefined;
  logLevel: string;
  paymentLinks?: { lite: string; standard: string; premium: string } | undefined;
  /** STRIPE_TIER_BY_ID matching the simulated Stripe payment links. */
  stripeTierMapping?: string | undefined;
  /** Variables from the environment: they win over the sandbox defaults, except those the sandbox controls. */
  userEnv: Env;
}

/**
 * The environment every composed service is configured from: sandbox defaults for every variable,
 * then the user's environment, then what the sandbox must control (ports, database, transport, and
 * the credentials of each simulator it runs).
 */
export function buildServiceEnv(input: ServiceEnvInput): Env {
  const { urls, dataDir } = input;
  const s = SANDBOX_SECRETS;
  const defaults: Env = {
    NODE_ENV: 'development',
    LOG_LEVEL: input.logLevel,
    EVENT_RETRY_BASE_MS: '250',
    EVENT_RETRY_MAX_MS: '10000',
    OUTBOX_SAFETY_POLL_MS: '2000',
    SHUTDOWN_GRACE_MS: '3000',
    WHATSAPP_NUMBER_ID: s.whatsappNumberId,
    WHATSAPP_API_KEY: s.whatsappAccessToken,
    WHATSAPP_APP_SECRET: s.whatsappAppSecret,
    WHATSAPP_VERIFY_TOKEN: s.whatsappVerifyToken,
    ASTRIA_API_KEY: s.astriaApiKey,
    PACKS_CACHE_TTL_SECONDS: '60',
    LITE_TIER_PRICE: String(SANDBOX_PRICES.lite),
    STANDARD_TIER_PRICE: String(SANDBOX_PRICES.standard),
    PREMIUM_TIER_PRICE: String(SANDBOX_PRICES.premium),
    MIN_TRAINING_PHOTOS: '4',
    SUPPORT_CONTACT: 'support@example.com',
    EXAMPLE_IMAGE_URLS: `${urls.page}/assets/examples/example-1.jpg,${urls.page}/assets/examples/example-2.jpg`,
    PUBLIC_BASE_URL: urls.services['image-service'],
    CALLBACK_SIGNING_SECRET: 'sandbox-callback-signing-secret-0123456789abcdef',
    UPDATE_IMAGES_TOKEN: 'sandbox-update-images-token',
    BLOB_STORAGE: 'local',
    BLOB_LOCAL_DIR: `${dataDir}/blobs`,
    SUMIT_WEBHOOK_TOKEN: s.sumitWebhookToken,
    STRIPE_WEBHOOK_SECRET: s.stripeWebhookSecret,
    // Preview videos: the configured or system ffmpeg, else the one `pnpm install` brought.
    FFMPEG_PATH: resolveFfmpeg(input.userEnv).path,
  };
  const controlled: Env = {
    EVENT_TRANSPORT: 'memory',
    RUN_MIGRATIONS: 'false',
    DATABASE_URL: input.databaseUrl,
    PGLITE_DATA_DIR: `${dataDir}/pglite`,
  };
  if (urls.whatsapp) {
    Object.assign(controlled, {
      WHATSAPP_API_URL: urls.whatsapp,
      WHATSAPP_NUMBER_ID: s.whatsappNumberId,
      WHATSAPP_API_KEY: s.whatsappAccessToken,
      WHATSAPP_APP_SECRET: s.whatsappAppSecret,
      WHATSAPP_VERIFY_TOKEN: s.whatsappVerifyToken,
    });
  }
  if (urls.astria) {
    Object.assign(controlled, {
      ASTRIA_API_URL: urls.astria,
      ASTRIA_API_KEY: s.astriaApiKey,
      // The simulator calls back to the image service on the port the sandbox gave it.
      PUBLIC_BASE_URL: urls.services['image-service'],
    });
  }
  if (input.paymentLinks) {
    Object.assign(controlled, {
      LITE_TIER_PAYMENT_LINK: input.paymentLinks.lite,
      STANDARD_TIER_PAYMENT_LINK: input.paymentLinks.standard,
      PREMIUM_TIER_PAYMENT_LINK: input.paymentLinks.premium,
    });
  }
  if (urls.payments) {
    Object.assign(controlled, {
      SUMIT_WEBHOOK_TOKEN: s.sumitWebhookToken,
      STRIPE_WEBHOOK_SECRET: s.stripeWebhookSecret,
      ...(input.stripeTierMapping ? { STRIPE_TIER_BY_ID: input.stripeTierMapping } : {}),
    });
  }
  const env: Env = { ...defaults };
  for (const [key, value] of Object.entries(input.userEnv)) if (value !== undefined && value !== '') env[key] = value;
  for (const [key, value] of Object.entries(controlled)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}
