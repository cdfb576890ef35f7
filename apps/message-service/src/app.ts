import type { MessageServiceConfig } from '@astria/config';
import type { Database } from '@astria/db';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { astriaPacksPlugin } from './plugins/astria-packs.js';
import { eventConsumersPlugin } from './plugins/event-consumers.js';
import { ingestPlugin } from './plugins/ingest.js';
import { messageMetricsPlugin } from './plugins/message-metrics.js';
import { whatsappGraphPlugin } from './plugins/whatsapp-graph.js';
import { moveOverPlugin } from './rollout/move-over-plugin.js';
import { rolloutStagePlugin } from './rollout/stage-plugin.js';
import { whatsappWebhookRoutes } from './routes/whatsapp-webhook.js';

export { WEBHOOK_BODY_LIMIT } from './routes/whatsapp-webhook.js';

export interface MessageServiceAppOptions {
  config: MessageServiceConfig;
  /** Override the clock (tests). */
  now?: () => Date;
  /** The old app's database (tests); else MONOLITH_DATABASE_URL opens one. */
  monolithDatabase?: Database;
  [key: string]: unknown;
}

/**
 * The message service: the WhatsApp webhook (GET handshake, POST notifications), the consumers of
 * the domain events and the ordered outbound sender. Only composes: adapters (`plugins/`), then routes.
 */
const plugin: FastifyPluginAsync<MessageServiceAppOptions> = async (app, { config, now, monolithDatabase }) => {
  await app.register(messageMetricsPlugin);
  await app.register(whatsappGraphPlugin, { config });
  await app.register(astriaPacksPlugin, { config });
  await app.register(rolloutStagePlugin, { config });
  await app.register(ingestPlugin, { config, ...(now ? { now } : {}) });
  await app.register(eventConsumersPlugin);
  await app.register(moveOverPlugin, {
    config,
    ...(monolithDatabase ? { monolithDatabase: monolithDatabase as Database } : {}),
  });

  await app.register(whatsappWebhookRoutes, { config });
};

/** Not encapsulated, so the decorators (`app.webhookIngest`, …) are visible on the service's root instance (tests, sandbox). */
export const messageServiceApp: FastifyPluginAsync<MessageServiceAppOptions> = fp(plugin, {
  name: 'message-service',
  fastify: '5.x',
});
