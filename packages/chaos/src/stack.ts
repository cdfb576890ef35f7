import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess } from '@astria/bench-kit';
import type { Database } from '@astria/db';
import { createDatabaseOn, freePort } from '@astria/db/testing';
import { type PaymentSimulator, startPaymentSimulator } from '@astria/simulators/payments';
import { startWhatsAppSimulator, type WhatsAppSimulator } from '@astria/simulators/whatsapp';

export const NUMBER_ID = '106540352242922';
export const APP_SECRET = 'chaos-app-secret';
export const VERIFY_TOKEN = 'chaos-verify-token';
const GRAPH_TOKEN = 'chaos-graph-token';

// The one service-process runner (with the benches): `node apps/<service>/dist/main.js`, ready on /health/ready.
export { freePort, ServiceProcess };

/** A fresh, migrated database on the server of `baseUrl`; dropped by `drop()`. */
export async function freshDatabase(
  baseUrl: string,
): Promise<{ url: string; database: Database; drop(): Promise<void> }> {
  const database = await createDatabaseOn(baseUrl, {
    prefix: 'astria_chaos',
    poolMax: 2,
    applicationName: 'chaos-observer',
  });
  return { url: database.url, database, drop: () => database.destroy() };
}

export interface MessageStack {
  sim: WhatsAppSimulator;
  service: ServiceProcess;
  database: Database;
  webhookUrl: string;
  close(): Promise<void>;
}

/**
 * message-service as a real process on a fresh database of `baseUrl`, with the WhatsApp simulator
 * (in this process) playing Meta: the Graph API it calls and the webhooks it receives.
 */
export async function startMessageStack(baseUrl: string, extraEnv: Record<string, string> = {}): Promise<MessageStack> {
  const db = await freshDatabase(baseUrl);
  const port = await freePort();
  const webhookUrl = `http://127.0.0.1:${port}/whatsapp/webhook`;
  const sim = await startWhatsAppSimulator({
    phoneNumberId: NUMBER_ID,
    accessToken: GRAPH_TOKEN,
    appSecret: APP_SECRET,
    webhookUrl,
    host: '127.0.0.1',
  });
  const service = new ServiceProcess('message-service', port, {
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    DATABASE_URL: db.url,
    DATABASE_POOL_MAX: '8',
    EVENT_TRANSPORT: 'memory',
    WHATSAPP_API_URL: sim.url,
    WHATSAPP_NUMBER_ID: NUMBER_ID,
    WHATSAPP_API_KEY: GRAPH_TOKEN,
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
    WHATSAPP_SEND_ATTEMPTS: '4',
    ASTRIA_API_URL: 'http://127.0.0.1:9',
    ASTRIA_API_KEY: 'chaos-astria-key',
    LITE_TIER_PRICE: '49',
    STANDARD_TIER_PRICE: '79',
    PREMIUM_TIER_PRICE: '119',
    LITE_TIER_PAYMENT_LINK: 'https://pay.sumit.co.il/lite',
    STANDARD_TIER_PAYMENT_LINK: 'https://buy.stripe.com/test_standard',
    PREMIUM_TIER_PAYMENT_LINK: 'https://pay.sumit.co.il/premium',
    SUPPORT_CONTACT: 'support@example.com',
    OUTBOX_SAFETY_POLL_MS: '500',
    EVENT_RETRY_BASE_MS: '200',
    EVENT_RETRY_MAX_MS: '2000',
    SHUTDOWN_GRACE_MS: '5000',
    ...extraEnv,
  });
  try {
    await service.start();
  } catch (error) {
    await sim.close();
    await db.drop();
    throw error;
  }
  return {
    sim,
    service,
    database: db.database,
    webhookUrl,
    async close() {
      await service.kill('SIGKILL');
      await sim.close();
      await db.drop();
    },
  };
}

export const SUMIT_TOKEN = 'chaos-sumit-token';
export const STRIPE_SECRET = 'whsec_chaos_secret';

export interface PaymentStack {
  sim: PaymentSimulator;
  service: ServiceProcess;
  database: Database;
  serviceUrl: string;
  close(): Promise<void>;
}

/** payment-service as a real process on a fresh database, with the payment simulator playing SUMIT and Stripe. */
export async function startPaymentStack(baseUrl: string): Promise<PaymentStack> {
  const db = await freshDatabase(baseUrl);
  const port = await freePort();
  const serviceUrl = `http://127.0.0.1:${port}`;
  const sim = await startPaymentSimulator({
    sumitWebhookUrl: `${serviceUrl}/payment-received?token=${SUMIT_TOKEN}`,
    stripeWebhookUrl: `${serviceUrl}/stripe/webhook`,
    stripeWebhookSecret: STRIPE_SECRET,
    host: '127.0.0.1',
  });
  const service = new ServiceProcess('payment-service', port, {
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    DATABASE_URL: db.url,
    EVENT_TRANSPORT: 'memory',
    SUMIT_WEBHOOK_TOKEN: SUMIT_TOKEN,
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    STRIPE_TIER_BY_ID: sim.stripeTierMapping(),
    STRIPE_API_KEY: 'rk_test_chaos',
    STRIPE_API_URL: sim.url,
  });
  const close = async () => {
    await service.kill('SIGKILL');
    await sim.close();
    await db.drop();
  };
  try {
    await service.start();
  } catch (error) {
    await close();
    throw error;
  }
  return { sim, service, database: db.database, serviceUrl, close };
}

export const CALLBACK_SECRET = 'chaos-callback-signing-secret-0123456789abcdef';

export interface ImageStack {
  service: ServiceProcess;
  database: Database;
  /** The fresh database's URL (for other processes on it, e.g. the maintenance CLI). */
  databaseUrl: string;
  serviceUrl: string;
  close(): Promise<void>;
}

/** image-service as a real process on a fresh database (Astria unreachable unless `extraEnv` says otherwise). */
export async function startImageStack(baseUrl: string, extraEnv: Record<string, string> = {}): Promise<ImageStack> {
  const db = await freshDatabase(baseUrl);
  const port = await freePort();
  const serviceUrl = `http://127.0.0.1:${port}`;
  const blobs = await mkdtemp(join(tmpdir(), 'chaos-blobs-'));
  const service = new ServiceProcess('image-service', port, {
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    DATABASE_URL: db.url,
    EVENT_TRANSPORT: 'memory',
    WHATSAPP_API_URL: 'http://127.0.0.1:9',
    WHATSAPP_NUMBER_ID: NUMBER_ID,
    WHATSAPP_API_KEY: GRAPH_TOKEN,
    ASTRIA_API_URL: 'http://127.0.0.1:9',
    ASTRIA_API_KEY: 'chaos-astria-key',
    ASTRIA_MAX_RETRIES: '0',
    PUBLIC_BASE_URL: serviceUrl,
    CALLBACK_SIGNING_SECRET: CALLBACK_SECRET,
    UPDATE_IMAGES_TOKEN: 'chaos-update-images-token',
    PREVIEW_REBUILD_INTERVAL_HOURS: '0',
    BLOB_STORAGE: 'local',
    BLOB_LOCAL_DIR: blobs,
    ...extraEnv,
  });
  const close = async () => {
    await service.kill('SIGKILL');
    await db.drop();
    await rm(blobs, { recursive: true, force: true });
  };
  try {
    await service.start();
  } catch (error) {
    await close();
    throw error;
  }
  return { service, database: db.database, databaseUrl: db.url, serviceUrl, close };
}
