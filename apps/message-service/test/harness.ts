import { loadConfig, type MessageServiceConfig, messageServiceConfigSchema } from '@astria/config';
import { queryRows } from '@astria/db';
import { createTestDatabase, type TestDatabase, waitFor } from '@astria/db/testing';
import {
  buildEnvelope,
  catalog,
  type EventInput,
  type EventType,
  type MemoryTransport,
  type OutboundMessage,
} from '@astria/events';
import { type FakeOldApp, startFakeOldApp } from '@astria/rollout/testing';
import { buildTestService } from '@astria/service-host/testing';
import {
  type SentMessage,
  startWhatsAppSimulator,
  type WhatsAppSimulator,
  type WhatsAppSimulatorOptions,
} from '@astria/simulators/whatsapp';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { type MessageServiceAppOptions, messageServiceApp } from '../src/app.js';

export const NUMBER_ID = '106540352242922';
export const APP_SECRET = 'test-app-secret';
export const VERIFY_TOKEN = 'test-verify-token';
export const API_KEY = 'test-graph-token';

export function testConfig(overrides: Record<string, string> = {}): MessageServiceConfig {
  return loadConfig('message-service', messageServiceConfigSchema, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    WHATSAPP_API_URL: 'http://127.0.0.1:9/v21.0',
    WHATSAPP_NUMBER_ID: NUMBER_ID,
    WHATSAPP_API_KEY: API_KEY,
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
    ASTRIA_API_URL: 'http://127.0.0.1:9',
    ASTRIA_API_KEY: 'astria-key',
    LITE_TIER_PRICE: '49',
    STANDARD_TIER_PRICE: '79',
    PREMIUM_TIER_PRICE: '119',
    LITE_TIER_PAYMENT_LINK: 'https://pay.sumit.co.il/lite',
    STANDARD_TIER_PAYMENT_LINK: 'https://buy.stripe.com/test_standard',
    PREMIUM_TIER_PAYMENT_LINK: 'https://pay.sumit.co.il/premium',
    SUPPORT_CONTACT: 'support@example.com',
    WHATSAPP_SEND_ATTEMPTS: '3',
    ...overrides,
  }) as MessageServiceConfig;
}

export interface Harness {
  app: FastifyInstance;
  database: TestDatabase;
  transport: MemoryTransport;
  sim: WhatsAppSimulator;
  config: MessageServiceConfig;
  registry: Registry;
  startEvents(): Promise<void>;
  /**
   * The app listens on loopback, the simulator posts its webhooks (inbound messages, statuses) there,
   * and events start: the whole service over HTTP.
   */
  serveWebhooks(): Promise<void>;
  /** Publishes an event as another service would (through the transport). */
  publish<T extends EventType>(type: T, data: EventInput<T>, key: string): Promise<void>;
  /** Until every event of the outbox was published (and so handed to the sender and consumers). */
  quiesce(): Promise<void>;
  /**
   * Publishes `whatsapp_send_requested` events for one user, as the service's own turns would; the
   * promise settles once the sender handled them all (don't await it before looking at what goes on).
   */
  requestSends(to: string, messages: OutboundMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** The app on a fresh database, a memory transport and a WhatsApp simulator (events not started). */
export async function createHarness(
  overrides: Record<string, string> = {},
  database?: TestDatabase,
  simOptions: Pick<WhatsAppSimulatorOptions, 'autoStatuses' | 'pairRate' | 'enforceWindow' | 'templates'> = {},
  /** More app options (the move-over's old database). */
  appOptions: Pick<MessageServiceAppOptions, 'monolithDatabase'> = {},
): Promise<Harness> {
  const db = database ?? (await createTestDatabase());
  const sim = await startWhatsAppSimulator({
    phoneNumberId: NUMBER_ID,
    accessToken: API_KEY,
    appSecret: APP_SECRET,
    ...simOptions,
  });
  const config = testConfig({ WHATSAPP_API_URL: sim.url, ...overrides });
  const { app, transport, registry, startEvents } = await buildTestService({
    service: 'message-service',
    plugin: messageServiceApp,
    options: { config, ...appOptions },
    database: db,
    transport: { retry: { baseMs: 20, maxMs: 200 } },
    events: { relay: { safetyPollMs: 200 } },
  });
  return {
    app,
    database: db,
    transport,
    sim,
    config,
    registry,
    startEvents,
    async serveWebhooks() {
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      sim.setWebhookUrl(`${address}/whatsapp/webhook`);
      await startEvents();
    },
    async publish(type, data, key) {
      const envelope = buildEnvelope(type, catalog[type].version, data, { source: catalog[type].producer, key });
      await transport.publish([{ envelope }]);
    },
    async quiesce() {
      await waitFor(
        async () =>
          (
            await queryRows<{ n: number }>(
              db.db,
              sql`select count(*)::int as n from messaging.outbox where published_at is null`,
            )
          )[0]?.n === 0,
        { timeoutMs: 10_000, what: 'an empty outbox' },
      );
    },
    requestSends(to, messages) {
      const type = 'whatsapp_send_requested' as const;
      return transport.publish(
        messages.map((message) => ({
          envelope: buildEnvelope(
            type,
            catalog[type].version,
            { to, message },
            { source: catalog[type].producer, key: to },
          ),
        })),
      );
    },
    async close() {
      await app.close();
      await sim.close();
      if (!database) await db.destroy();
    },
  };
}

export interface OldAppHarness {
  h: Harness;
  /** The old app's database (its own tables, not migrated by this repo). */
  oldDb: TestDatabase;
  oldApp: FakeOldApp;
  close(): Promise<void>;
}

/** The move-over's setting: the fake old app on its own database, and the service forwarding to it, serving webhooks. */
export async function startWithOldApp(overrides: Record<string, string> = {}): Promise<OldAppHarness> {
  const oldDb = await createTestDatabase({ migrate: false });
  const oldApp = await startFakeOldApp(oldDb);
  const h = await createHarness({
    MONOLITH_WEBHOOK_URL: `${oldApp.url}/whatsapp`,
    MONOLITH_PAYMENT_URL: `${oldApp.url}/payment-received`,
    ...overrides,
  });
  await h.serveWebhooks();
  return {
    h,
    oldDb,
    oldApp,
    async close() {
      await h.close();
      await oldApp.close();
      await oldDb.destroy();
    },
  };
}

/** The reply ids a sent interactive message offers: its buttons', then its list rows'. */
export function replyIdsOf(m: SentMessage | undefined): string[] {
  const action = (m?.payload.interactive as { action?: Record<string, unknown> } | undefined)?.action;
  const buttons = (action?.buttons as Array<{ reply: { id: string } }> | undefined)?.map((b) => b.reply.id) ?? [];
  const rows =
    (action?.sections as Array<{ rows: Array<{ id: string }> }> | undefined)?.flatMap((s) => s.rows.map((r) => r.id)) ??
    [];
  return [...buttons, ...rows];
}
